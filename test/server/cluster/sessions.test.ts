// 2025 sessions across replicas (issue 12): three in-process gateways sharing a real Redis (Debian's
// redis-server, started here on 127.0.0.1, stopped in afterAll) and one cluster secret. A session
// opened on one replica is served on any other (forwarded to its owner), a forged id is an unknown
// session, and when the owner stops, exactly one replica takes the session over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { everythingStdio, until } from '../helpers.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
/** Every request gets its own JSON-RPC id, as a real client's do (two in flight on one session never share one). */
let nextId = 1;

/** One JSON-RPC call over raw HTTP; the answer's first JSON-RPC message (JSON or SSE). */
async function rpc(url: string, sessionId: string | undefined, method: string, params: Record<string, unknown> = {}, extra: Record<string, string> = {}): Promise<{ status: number; sessionId?: string; body: Record<string, unknown> | undefined }> {
  const res = await fetch(url, { method: 'POST', headers: { ...HEADERS, ...(sessionId ? { 'mcp-session-id': sessionId } : {}), ...extra }, body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }) });
  const text = await res.text();
  const data = text.startsWith('{') ? text : text.split('\n').find((l) => l.startsWith('data: {'))?.slice(6);
  return { status: res.status, sessionId: res.headers.get('mcp-session-id') ?? undefined, body: data ? (JSON.parse(data) as Record<string, unknown>) : undefined };
}

async function initialize(url: string): Promise<string> {
  const r = await rpc(url, undefined, 'initialize', { protocolVersion: '2025-06-18', capabilities: { sampling: {} }, clientInfo: { name: 'raw-legacy', version: '1' } });
  expect(r.status).toBe(200);
  await fetch(url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': r.sessionId! }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  return r.sessionId!;
}

describe('2025 sessions on several replicas', () => {
  let redis: RunningRedis;
  let replicas: TestGateway[] = [];
  const cluster = () => ({ cluster: { redis: redis.url, secret: 'cluster-test-secret' } });

  beforeAll(async () => {
    redis = await startRedis();
    replicas = await Promise.all([0, 1, 2].map(() => startGateway({ gateway: cluster(), backends: { ev: everythingStdio() } })));
    await Promise.all(replicas.map((r) => r.ready()));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop().catch(() => undefined)));
    await redis?.stop();
  });

  it('seals the session id with the owner, serves it on every replica, and 404s a forged one', async () => {
    const [a, b, c] = replicas as [TestGateway, TestGateway, TestGateway];
    const id = await initialize(a.url);
    expect(id).toMatch(/^gh1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    for (const g of [a, b, c]) {
      const r = await rpc(g.url, id, 'tools/list');
      expect(r.status).toBe(200);
      expect((r.body?.result as { tools: Array<{ name: string }> }).tools.map((t) => t.name)).toContain('ev_echo');
    }
    // The session lives on its owner only: the others forwarded.
    expect(a.gateway.sessions.get(id)).toBeDefined();
    expect(b.gateway.sessions.get(id)).toBeUndefined();
    const [, owner, local, mac] = id.split('.');
    const forged = `gh1.${owner}.${local}x.${mac}`;
    for (const g of [a, b]) {
      const r = await rpc(g.url, forged, 'tools/list');
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.body)).toMatch(/Session not found/);
    }
    // A request already forwarded once is never forwarded again.
    expect((await rpc(b.url, id, 'tools/list', {}, { 'x-gatehouse-forwarded': 'someone' })).status).toBe(404);
    // The GET stream, opened through another replica, carries the owner's notifications.
    const stream = new AbortController();
    const get = await fetch(b.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': id }, signal: stream.signal });
    expect(get.status).toBe(200);
    const reader = get.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += value;
      }
    })().catch(() => undefined);
    await until(() => a.gateway.sessions.get(id)!.streams === 1, 10_000, 'the owner to hold the forwarded stream');
    a.gateway.http!.notifyListChanged('tools');
    await until(() => seen.includes('notifications/tools/list_changed'), 10_000, 'list_changed on the forwarded stream');
    stream.abort();
    await reading;
    await until(() => a.gateway.sessions.get(id)!.streams === 0, 10_000, 'the owner to see the stream closed');
    // DELETE through another replica ends the session at its owner, for every replica.
    const del = await fetch(c.url, { method: 'DELETE', headers: { 'mcp-session-id': id } });
    expect(del.status).toBe(200);
    await until(() => a.gateway.sessions.get(id) === undefined, 10_000, 'the owner to end the session');
    for (const g of [a, b]) expect((await rpc(g.url, id, 'tools/list')).status).toBe(404);
  });

  it('takes a session over once when its owner stops, and the others forward to the new owner', async () => {
    const [a, b, c] = replicas as [TestGateway, TestGateway, TestGateway];
    const id = await initialize(a.url);
    const level = await rpc(a.url, id, 'logging/setLevel', { level: 'error' });
    expect(level.status).toBe(200);
    await a.stop();
    // b and c are asked at once (round robin): one claims the session, the other forwards to it.

    const answers = await Promise.all([rpc(b.url, id, 'tools/list'), rpc(c.url, id, 'tools/list'), rpc(b.url, id, 'tools/list')]);
    for (const r of answers) expect(r.status).toBe(200);
    const takeovers = [...b.events, ...c.events].filter((e) => e.type === 'session.taken_over');
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]).toMatchObject({ sessionId: id, client: 'raw-legacy' });
    const holder = b.gateway.sessions.get(id) ? b : c;
    expect((holder === b ? c : b).gateway.sessions.get(id)).toBeUndefined();
    // the call still works afterwards, through either replica
    const echo = await rpc(holder === b ? c.url : b.url, id, 'tools/call', { name: 'ev_echo', arguments: { message: 'after takeover' } });
    expect(JSON.stringify(echo.body)).toContain('after takeover');
    await until(() => holder.gateway.sessions.get(id)!.inFlight === 0, 10_000, 'the call to settle');
  }, 60_000);
});
