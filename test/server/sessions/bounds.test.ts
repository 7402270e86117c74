// Session bounds on a real in-process gateway over real HTTP: LRU eviction of idle sessions and
// 404 for the evicted one, 503 + Retry-After when every session is busy, idle expiry that also
// stops the session's per-session backend child, and the same rules for legacy SSE sessions.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { alive, closeAllClients, connectClient, probeStdio, until } from '../helpers.js';
import { ACCEPT, initializeBody, openSession, ping, rpc } from './helpers.js';

let gw: TestGateway | undefined;
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const a of aborts.splice(0)) a.abort();
  await closeAllClients();
  await gw?.stop();
  gw = undefined;
});

const closedReason = (id: string) => {
  const e = gw!.events.find((x) => x.type === 'session.closed' && x.sessionId === id);
  return e?.type === 'session.closed' ? e.reason : undefined;
};

/** A 2025 standalone GET stream, held open until the test ends. */
async function openGetStream(url: string, sessionId: string): Promise<void> {
  const a = new AbortController();
  aborts.push(a);
  const res = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' }, signal: a.signal });
  expect(res.status).toBe(200);
}

describe('session bounds', () => {
  it('evicts the least recently used idle session at gateway.sessions.max; the evicted client gets 404', async () => {
    gw = await startGateway({ gateway: { sessions: { max: 3 } }, backends: {} });
    const [a, b, c] = [await openSession(gw.url, 'a'), await openSession(gw.url, 'b'), await openSession(gw.url, 'c')];
    expect(await ping(gw.url, a)).toBe(200);
    const d = await openSession(gw.url, 'd');
    expect(closedReason(b)).toBe('evicted');
    const evicted = await rpc(gw.url, { jsonrpc: '2.0', id: 99, method: 'ping' }, b);
    expect(evicted.status).toBe(404);
    expect(evicted.text).toMatch(/initialize again/);
    for (const live of [c, a, d]) expect(await ping(gw.url, live)).toBe(200);
    expect(gw.gateway.status().sessions).toBe(3);
    // The evicted client re-initializes, as the spec says, and gets a fresh session; c is now the least recent.
    const again = await openSession(gw.url, 'b');
    expect(again).not.toBe(b);
    expect(closedReason(c)).toBe('evicted');
    expect(closedReason(a)).toBeUndefined();
  });

  it('answers 503 with Retry-After naming the limit only when every session is busy', async () => {
    gw = await startGateway({ gateway: { sessions: { max: 2 } }, backends: {} });
    const a = await openSession(gw.url, 'a');
    const b = await openSession(gw.url, 'b');
    await openGetStream(gw.url, a);
    await openGetStream(gw.url, b);
    await until(() => gw!.gateway.sessions.list().every((s) => s.streams === 1), 5_000, 'both streams to register');
    const refused = await rpc(gw.url, initializeBody('c'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.text).toMatch(/gateway\.sessions\.max \(2\)/);
    expect(gw.events.some((e) => e.type === 'session.refused' && e.limit === 'max')).toBe(true);
    expect(await ping(gw.url, a)).toBe(200);
    // One client ends its session (DELETE): room again, no eviction needed.
    const del = await fetch(gw.url, { method: 'DELETE', headers: { 'mcp-session-id': b, 'mcp-protocol-version': '2025-11-25' } });
    expect(del.status).toBe(200);
    expect(closedReason(b)).toBe('deleted');
    expect(await openSession(gw.url, 'c')).toBeTruthy();
  });

  it('keeps a session with a call in flight, evicting an idle one instead', async () => {
    gw = await startGateway({ gateway: { sessions: { max: 2 } }, backends: { lp: probeStdio('legacy') } });
    await gw.ready();
    const busy = await connectClient('http-legacy', { url: gw.url }, { name: 'busy' });
    const idle = await openSession(gw.url, 'idle');
    const call = busy.client.callTool({ name: 'lp_slow', arguments: { ms: 1_500, tag: 'busy' } });
    await until(() => gw!.gateway.sessions.list().some((s) => s.client === 'busy' && s.inFlight > 0), 10_000, 'the call to be in flight');
    await openSession(gw.url, 'newcomer');
    expect(closedReason(idle)).toBe('evicted');
    expect((await call).content).toEqual([{ type: 'text', text: 'slow busy done after 1500 ms' }]);
  });

  it('expires idle sessions after idleTimeout and stops their per-session backend child', async () => {
    gw = await startGateway({ gateway: { sessions: { idleTimeout: 1 } }, backends: { iso: probeStdio('legacy', { isolation: 'per-session' }) } });
    await gw.ready();
    const id = await openSession(gw.url, 'abandoner');
    const r = await rpc(gw.url, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'iso_pid', arguments: {} } }, id);
    const pid = (r.messages.find((m) => m.id === 5)?.result as { structuredContent: { pid: number } }).structuredContent.pid;
    expect(alive(pid)).toBe(true);
    await until(() => closedReason(id) === 'expired', 10_000, 'the session to expire');
    await until(() => !alive(pid), 10_000, `per-session child ${pid} to stop`);
    expect(await ping(gw.url, id)).toBe(404);
  });

  it('applies the same cap and eviction to legacy SSE sessions', async () => {
    gw = await startGateway({ gateway: { sessions: { max: 1 } }, backends: {} });
    const base = gw.url.replace(/\/mcp$/, '');
    const openSse = async () => {
      const a = new AbortController();
      aborts.push(a);
      const res = await fetch(`${base}/sse`, { headers: { accept: 'text/event-stream' }, signal: a.signal });
      const reader = res.body!.getReader();
      let text = '';
      while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
      return { endpoint: /data: (\S+)/.exec(text)![1]!, reader };
    };
    const first = await openSse();
    const second = await openSse();
    const post = (endpoint: string, body: unknown) => fetch(`${base}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT }, body: JSON.stringify(body) });
    expect((await post(first.endpoint, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(404);
    // The evicted stream was ended by the gateway.
    let ended = false;
    for (let i = 0; i < 50 && !ended; i++) ended = (await first.reader.read()).done;
    expect(ended).toBe(true);
    expect((await post(second.endpoint, { jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(202);
  });
});
