// Shared rate limits through a real Redis (Debian's redis-server, started here on 127.0.0.1 with a
// free port, no persistence): the bucket script alone (atomic under concurrency), then two
// `gatehouse serve` processes sharing one limit, Redis killed mid-run (the fail-open gateway lets
// calls through with a warning, the fail-closed one refuses them with a clear error), and Redis back.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatePath } from '../../../src/core/config/run-state.js';
import type { GatewayState } from '../../../src/server/gateway.js';
import { configSchema } from '../../../src/core/config/schema.js';
import { EventBus } from '../../../src/core/events.js';
import { RateLimiter } from '../../../src/server/ratelimit/limiter.js';
import { openRedisStore, type RedisBucketStore } from '../../../src/server/ratelimit/redis-store.js';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { NODE, ROOT, closeAllClients, connectClient, everythingStdio, stopChild, tempDir, textOf, until, writeConfig, type TempDir, type TestClient } from '../helpers.js';

async function callError(p: Promise<unknown>): Promise<ProtocolError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProtocolError);
  return e as ProtocolError;
}

interface Served {
  child: ChildProcess;
  url: string;
  events(): Array<Record<string, unknown> & { type: string }>;
  output(): string;
}

async function serve(configFile: string, configDir: string, env: Record<string, string>): Promise<Served> {
  const child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', configFile, '--port', '0', '--no-tui', '--log-format', 'json', '--no-watch'], {
    cwd: ROOT,
    env: { ...process.env, ...env, GATEHOUSE_CONFIG_DIR: configDir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const served: Served = {
    child,
    url: '',
    output: () => out + err,
    events: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown> & { type: string }),
  };
  const stateFile = runStatePath(configDir, child.pid!);
  await until(() => existsSync(stateFile) || child.exitCode !== null, 30_000, `the run-state file of gatehouse serve (output so far: ${out}${err})`);
  if (child.exitCode !== null) throw new Error(`gatehouse serve exited (${child.exitCode}):\n${out}${err}`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
  await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 30_000, 'readiness');
  served.url = state.url;
  return served;
}

describe('the bucket script on a real Redis', () => {
  let redis: RunningRedis;
  let store: RedisBucketStore;
  beforeAll(async () => {
    redis = await startRedis();
    store = await openRedisStore(redis.url);
  }, 30_000);
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  it('takes atomically: 25 concurrent takes from a bucket of 10 give exactly 10 tokens', async () => {
    const spec = { key: 'atomic', capacity: 10, refillPerMs: 1 / 3_600_000 };
    const results = await Promise.all(Array.from({ length: 25 }, () => store.take([spec])));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.filter((r) => !r.ok) as Array<{ index: number; retryAfterMs: number }>;
    expect(refused.every((r) => r.index === 0 && r.retryAfterMs > 3_000_000 && r.retryAfterMs <= 3_600_000)).toBe(true);
  });

  it('takes from every bucket or none, naming the first empty one', async () => {
    const wide = { key: 'wide', capacity: 3, refillPerMs: 1 / 3_600_000 };
    const narrow = { key: 'narrow', capacity: 1, refillPerMs: 1 / 60_000 };
    expect((await store.take([wide, narrow])).ok).toBe(true);
    expect(await store.take([wide, narrow])).toMatchObject({ ok: false, index: 1 });
    // The refused take spent nothing from `wide`: two of three are left.
    expect((await store.take([wide])).ok).toBe(true);
    expect((await store.take([wide])).ok).toBe(true);
    expect(await store.take([wide])).toMatchObject({ ok: false, index: 0 });
  });

  it('refills by Redis time', async () => {
    const fast = { key: 'fast', capacity: 1, refillPerMs: 1 / 200 };
    expect((await store.take([fast])).ok).toBe(true);
    const refused = await store.take([fast]);
    expect(refused).toMatchObject({ ok: false, index: 0 });
    expect((refused as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(200);
    // A condition wait, not a timed assertion: the token comes back once 200 ms of Redis time pass.
    await until(async () => (await store.take([fast])).ok, 10_000, 'the bucket to refill');
  });
});

describe('a Redis that is down or stalled never holds a check', () => {
  let redis: RunningRedis;
  const stores: RedisBucketStore[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis?.stop();
  });
  const spec = { key: 'k', capacity: 5, refillPerMs: 1 / 60_000 };

  it('a stalled Redis (SIGSTOP) fails the check by the command timeout instead of holding it, and works again once Redis answers', async () => {
    const store = await openRedisStore(redis.url);
    stores.push(store);
    expect((await store.take([spec])).ok).toBe(true);
    redis.pause();
    try {
      // Without the command timeout this would wait for as long as Redis stays stopped.
      await expect(store.take([spec])).rejects.toThrow(`Redis at 127.0.0.1:${redis.port} did not answer within 1000 ms (command timed out)`);
    } finally {
      redis.resume();
    }
    await until(async () => (await store.take([spec]).then((r) => r.ok, () => false)), 15_000, 'checks to work again after SIGCONT');
  });

  it('a Redis that is not up at start: the store opens within its connect bound, checks fail at once, and it connects when Redis comes up', async () => {
    await redis.kill();
    const store = await openRedisStore(redis.url);
    stores.push(store);
    expect(store.connected).toBe(false);
    await expect(store.take([spec])).rejects.toThrow(`Redis at 127.0.0.1:${redis.port} is not connected (connect ECONNREFUSED 127.0.0.1:${redis.port})`);
    const bus = new EventBus();
    const degraded: unknown[] = [];
    bus.on('ratelimit.degraded', (e) => degraded.push(e));
    const limiter = new RateLimiter({ bus });
    limiter.apply({ ...(await limiter.prepare(configSchema.parse({ version: 1, gateway: { rateLimits: [{ rate: 1, per: '1h' }] }, backends: {} }))), redisUrl: redis.url, opened: store });
    const facts = { client: 'c', roles: [], backend: 'b', tool: 'b_t', native: 't' };
    for (let i = 0; i < 5; i++) expect(await limiter.check(facts)).toEqual({ ok: true });
    expect(degraded).toEqual([expect.objectContaining({ failOpen: true, reason: `Redis at 127.0.0.1:${redis.port} is not connected (connect ECONNREFUSED 127.0.0.1:${redis.port})` })]);
    await redis.start();
    await until(async () => (await store.take([spec]).then((r) => r.ok, () => false)), 15_000, 'the store to connect once Redis is up');
    // Shared again: the limit of one per hour holds.
    expect(await limiter.check(facts)).toEqual({ ok: true });
    expect(await limiter.check(facts)).toMatchObject({ ok: false, kind: 'limited' });
  });
});

describe('two gatehouse serve processes sharing limits through Redis', () => {
  let redis: RunningRedis;
  let dir: TempDir;
  let open: Served;
  let closed: Served;
  let viaOpen: TestClient;
  let viaClosed: TestClient;

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('gatehouse-ratelimit-redis-');
    const env = { GATEHOUSE_TEST_REDIS_URL: redis.url };
    const gateway = (redisFailure: 'open' | 'closed') => ({
      rateLimits: [{ rate: 5, per: '1h' }],
      cluster: { redis: 'env:GATEHOUSE_TEST_REDIS_URL', redisFailure },
    });
    const backends = { ev: everythingStdio() };
    [open, closed] = await Promise.all([
      serve(writeConfig(dir.path, backends, gateway('open') as never), dir.path, env),
      serve(writeConfig(dir.path, backends, gateway('closed') as never), dir.path, env),
    ]);
    viaOpen = await connectClient('http-legacy', { url: open.url }, { name: 'legacy-on-open' });
    viaClosed = await connectClient('http-modern', { url: closed.url }, { name: 'modern-on-closed' });
  }, 90_000);

  afterAll(async () => {
    await closeAllClients();
    await Promise.all([open && stopChild(open.child), closed && stopChild(closed.child)]);
    await redis?.stop();
    dir?.remove();
  });

  const echo = (tc: TestClient, text: string) => tc.client.callTool({ name: 'ev_echo', arguments: { message: text } });

  it('counts one limit across both gateways', async () => {
    for (let i = 0; i < 3; i++) expect(textOf(await echo(viaOpen, `a${i}`))).toContain(`a${i}`);
    for (let i = 0; i < 2; i++) expect(textOf(await echo(viaClosed, `b${i}`))).toContain(`b${i}`);
    // Five calls in all: the shared bucket is empty on both.
    const onClosed = await callError(echo(viaClosed, 'b2'));
    expect(onClosed.code).toBe(-32029);
    expect(onClosed.message).toMatch(/^Rate limit reached: gateway\.rateLimits\[0\]: 5 per 1h, burst 5\. Retry in \d+ s\.$/);
    expect((onClosed.data as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(600);
    const onOpen = await callError(echo(viaOpen, 'a3'));
    expect(onOpen.code).toBe(-32029);
    await until(() => open.events().some((e) => e.type === 'ratelimit.limited') && closed.events().some((e) => e.type === 'ratelimit.limited'), 10_000, 'ratelimit.limited in both logs');
    expect(closed.events().find((e) => e.type === 'ratelimit.limited')).toMatchObject({ backend: 'ev', tool: 'ev_echo', limit: 'gateway.rateLimits[0]: 5 per 1h, burst 5' });
  });

  it('with Redis gone: the fail-open gateway serves unlimited with a warning, the fail-closed one refuses clearly; both recover', async () => {
    await redis.kill();
    // The shared bucket was empty, so a call that succeeds now was not limited at all (fail open, not a local fallback).
    for (let i = 0; i < 3; i++) expect(textOf(await echo(viaOpen, `open ${i}`))).toContain(`open ${i}`);
    await until(() => open.events().some((e) => e.type === 'ratelimit.degraded'), 10_000, 'ratelimit.degraded from the fail-open gateway');
    const warned = open.events().find((e) => e.type === 'ratelimit.degraded')!;
    expect(warned).toMatchObject({ level: 'warn', failOpen: true });
    expect(String(warned.reason)).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${redis.port} is not connected`));

    const refused = await callError(echo(viaClosed, 'closed'));
    expect(refused.code).toBe(-32029);
    expect(refused.message).toMatch(new RegExp(`^Rate limits cannot be checked: Redis at 127\\.0\\.0\\.1:${redis.port} is not connected`));
    expect(refused.message).toContain('gateway.cluster.redisFailure is "closed", so calls are refused until Redis answers again; retry in 2 s.');
    expect(refused.data).toMatchObject({ step: 'ratelimit', reason: 'unavailable', retryAfterSeconds: 2 });
    await until(() => closed.events().some((e) => e.type === 'ratelimit.degraded'), 10_000, 'ratelimit.degraded from the fail-closed gateway');
    expect(closed.events().find((e) => e.type === 'ratelimit.degraded')).toMatchObject({ failOpen: false });
    // Warnings are bounded, not one per call.
    expect(open.events().filter((e) => e.type === 'ratelimit.degraded').length).toBeLessThanOrEqual(2);

    // Redis comes back (empty: no persistence), the gateways reconnect on their own, limits apply again.
    await redis.start();
    await until(async () => (await echo(viaClosed, 'back').then(() => true, () => false)), 30_000, 'the fail-closed gateway to serve again');
    // The fail-open gateway may reconnect a little later (its own backoff) and lets calls through
    // until then; once it is back, the shared bucket fills up and it is limited again.
    let n = 0;
    await until(async () => echo(viaOpen, `again ${n++}`).then(() => false, (e: ProtocolError) => e.code === -32029 && /^Rate limit reached: gateway\.rateLimits\[0\]/.test(e.message)), 30_000, 'limits enforced again on the fail-open gateway');
    // Counted in Redis, shared: the other gateway finds the bucket empty too.
    expect((await callError(echo(viaClosed, 'after'))).message).toMatch(/^Rate limit reached: gateway\.rateLimits\[0\]: 5 per 1h/);
  });
});
