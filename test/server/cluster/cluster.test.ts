// Cluster building blocks (issue 12): sealed 2025 session ids, and the Redis side (pub/sub between
// replicas, heartbeats, stored session params) against a real redis-server (Debian's, started here on
// 127.0.0.1 with a free port and a temp dir, stopped in afterAll).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClusterBus, type ClusterBus, type ClusterMessage } from '../../../src/server/cluster/bus.js';
import { newReplica, openSessionId, sealSessionId, sessionKey } from '../../../src/server/cluster/replica.js';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { until } from '../helpers.js';

describe('sealed session ids', () => {
  const key = sessionKey('s3cret-cluster-key');
  it('any replica with the key opens one and learns the owner', () => {
    const a = newReplica('127.0.0.1:1');
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(newReplica().id).not.toBe(a.id);
    const sealed = sealSessionId(key, a.id, 'local-1');
    expect(sealed).toMatch(/^[\x21-\x7e]+$/);
    expect(openSessionId(sessionKey('s3cret-cluster-key'), sealed)).toEqual({ owner: a.id, local: 'local-1' });
  });
  it('refuses a tampered id, another key, and junk', () => {
    const sealed = sealSessionId(key, 'ownerA', 'local-1');
    expect(openSessionId(key, sealed.replace('ownerA', 'ownerB'))).toBeUndefined();
    expect(openSessionId(sessionKey('other'), sealed)).toBeUndefined();
    expect(openSessionId(key, 'gh1.a.b')).toBeUndefined();
    expect(openSessionId(key, 'plain-uuid')).toBeUndefined();
    expect(() => sealSessionId(key, 'bad.id', 'x')).toThrow(/1-64 characters/);
  });
});

describe('ClusterBus over a real Redis', () => {
  let redis: RunningRedis;
  const buses: ClusterBus[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    for (const b of buses) await b.close().catch(() => undefined);
    await redis?.stop();
  });

  it('a message reaches every other replica, not its sender', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => openClusterBus(redis.url, newReplica())));
    buses.push(a!, b!, c!);
    const seen: Record<string, ClusterMessage[]> = { a: [], b: [], c: [] };
    a!.onMessage((m) => seen.a!.push(m));
    b!.onMessage((m) => seen.b!.push(m));
    c!.onMessage((m) => seen.c!.push(m));
    await a!.publish('config.reloaded', { fingerprint: 'f1' });
    await until(() => seen.b!.length === 1 && seen.c!.length === 1, 10_000, 'b and c to hear a');
    expect(seen.b![0]).toEqual({ kind: 'config.reloaded', from: a!.replica.id, data: { fingerprint: 'f1' } });
    // b's own message comes back to a and c only; so a's list has b's and never its own.
    await b!.publish('token.revoked', { id: 't1' });
    await until(() => seen.a!.length === 1 && seen.c!.length === 2, 10_000, 'a and c to hear b');
    expect(seen.a!.map((m) => m.kind)).toEqual(['token.revoked']);
    expect(seen.b!.map((m) => m.kind)).toEqual(['config.reloaded']);
  });

  it('a heartbeat says a replica is alive; it lapses when the replica stops renewing, and a clean close removes it', async () => {
    const a = await openClusterBus(redis.url, newReplica('127.0.0.1:7420'), { heartbeatTtlMs: 600 });
    const b = await openClusterBus(redis.url, newReplica(), { heartbeatTtlMs: 600 });
    const watcher = await openClusterBus(redis.url, newReplica());
    buses.push(watcher);
    await a.startHeartbeat();
    await b.startHeartbeat();
    expect(await watcher.isAlive(a.replica.id)).toBe(true);
    expect(await watcher.isAlive('never-was')).toBe(false);
    // renewed well past its TTL while running
    const t0 = Date.now();
    await until(() => Date.now() - t0 > 1_500, 5_000, 'two TTLs to pass');
    expect(await watcher.isAlive(a.replica.id)).toBe(true);
    await a.close();
    expect(await watcher.isAlive(a.replica.id)).toBe(false);
    // a replica that dies without closing: stop renewing (as a killed process would) and the key expires
    b.stopHeartbeat();
    await until(async () => !(await watcher.isAlive(b.replica.id)), 10_000, 'b\'s heartbeat to lapse');
    await b.close();
  });

  it('opens against a Redis that is down (the gateway still starts), and a stalled one cannot hold close()', async () => {
    const down = await startRedis();
    await down.kill();
    const bus = await openClusterBus(down.url, newReplica());
    await bus.startHeartbeat();
    await expect(bus.publish('config.reloaded')).rejects.toThrow();
    await bus.close();
    await down.stop();
    const stalled = await openClusterBus(redis.url, newReplica());
    redis.pause();
    try {
      await stalled.close();
    } finally {
      redis.resume();
    }
  }, 30_000);

  it('keeps a session\'s initialize params for a takeover, and drops them', async () => {
    const bus = await openClusterBus(redis.url, newReplica());
    buses.push(bus);
    const init = { protocolVersion: '2025-11-25', capabilities: { sampling: {} }, clientInfo: { name: 'c', version: '1' } };
    await bus.saveSession('gh1.x.y.z', init);
    expect(await bus.loadSession('gh1.x.y.z')).toEqual(init);
    await bus.dropSession('gh1.x.y.z');
    expect(await bus.loadSession('gh1.x.y.z')).toBeUndefined();
  });
});
