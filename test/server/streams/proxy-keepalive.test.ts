// Long-lived streams survive a proxy that cuts idle connections. Debian's haproxy stands between the
// clients and the gateway with every inactivity timeout (client, server, tunnel) at IDLE seconds, as
// Cloudflare's edge cuts an idle stream at about 100 s. The gateway's SSE keep-alive comments
// (gateway.inbound.keepAliveInterval) keep each stream open:
// - a tools/call with no progress that runs three times the proxy's idle timeout, from a 2025
//   client (its response is an SSE stream) and a 2026-07-28 client;
// - an idle 2025 GET stream and an idle 2026-07-28 subscriptions/listen stream, each of which must
//   still deliver a list_changed after three idle timeouts.
// A control run with keep-alives off shows the proxy really cuts the same call (haproxy answers 504).
// The numbers are a 30 s proxy and a 90 s call; this runs the same ratios at IDLE = 4 s, so
// the file stays short (GATEHOUSE_PROXY_IDLE_S=30 runs it at full scale).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startHaproxy, type Haproxy } from '../../helpers/haproxy.js';
import { closeAllClients, connectClient, modernStdio, textOf, until, type TestClient } from '../helpers.js';

const IDLE = Number(process.env.GATEHOUSE_PROXY_IDLE_S ?? 4);
const CALL_MS = IDLE * 3 * 1000;
const KEEP_ALIVE_S = Math.max(1, Math.floor(IDLE / 3));

const listChanged = (tc: TestClient) => tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;

async function through(keepAliveInterval: number): Promise<{ gw: TestGateway; proxy: Haproxy }> {
  const gw = await startGateway({ gateway: { inbound: { keepAliveInterval }, callTimeout: CALL_MS / 1000 + 60 }, backends: { modern: modernStdio() } });
  await gw.ready();
  const port = Number(new URL(gw.url).port);
  const proxy = await startHaproxy({ host: '127.0.0.1', port }, { idleTimeoutS: IDLE });
  return { gw, proxy };
}

describe(`streams through a proxy that cuts idle connections at ${IDLE} s`, () => {
  let gw: TestGateway;
  let proxy: Haproxy;
  beforeAll(async () => {
    ({ gw, proxy } = await through(KEEP_ALIVE_S));
  }, 60_000);
  afterAll(async () => {
    await closeAllClients();
    await proxy?.stop();
    await gw?.stop();
  });

  it('keeps a silent tools/call open for three idle timeouts, in both eras', async () => {
    const legacy = await connectClient('http-legacy', { url: `${proxy.url}/mcp` }, { name: 'legacy-slow' });
    const modern = await connectClient('http-modern', { url: `${proxy.url}/mcp` }, { name: 'modern-slow' });
    const args = { steps: 1, ms: CALL_MS };
    const [a, b] = await Promise.all([
      legacy.client.callTool({ name: 'modern_slow', arguments: args }, { timeout: CALL_MS + 30_000 }),
      modern.client.callTool({ name: 'modern_slow', arguments: args }, { timeout: CALL_MS + 30_000 }),
    ]);
    expect(textOf(a as never)).toBe('done after 1 steps');
    expect(textOf(b as never)).toBe('done after 1 steps');
  }, CALL_MS + 60_000);

  it('keeps an idle 2025 GET stream and an idle 2026-07-28 listen stream delivering', async () => {
    const legacy = await connectClient('http-legacy', { url: `${proxy.url}/mcp` }, { name: 'legacy-idle' });
    const modern = await connectClient('http-modern', { url: `${proxy.url}/mcp` }, { name: 'modern-idle' });
    const sse = await connectClient('sse-legacy', { url: `${proxy.url}/mcp` }, { name: 'sse-idle' });
    const listen = await modern.client.listen({ toolsListChanged: true });
    await new Promise((r) => setTimeout(r, CALL_MS));
    const before = [listChanged(legacy), listChanged(modern), listChanged(sse)];
    // A reload that adds a backend changes the catalog: both idle streams must still carry the news.
    await gw.gateway.reconcile({ version: 1, gateway: { inbound: { keepAliveInterval: KEEP_ALIVE_S }, callTimeout: CALL_MS / 1000 + 60 }, backends: { modern: modernStdio(), second: modernStdio() } });
    await until(() => listChanged(legacy) > before[0]! && listChanged(modern) > before[1]! && listChanged(sse) > before[2]!, 20_000, 'list_changed on every idle stream');
    await listen.close();
  }, CALL_MS + 60_000);
});

describe('stream headers', () => {
  let gw: TestGateway;
  afterAll(async () => {
    await gw?.stop();
  });

  it('tell proxies not to buffer or transform an event stream, and comment while it is quiet', async () => {
    gw = await startGateway({ gateway: { inbound: { keepAliveInterval: 1 } }, backends: {} });
    const init = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    await init.text();
    const sessionId = init.headers.get('mcp-session-id')!;
    const streams = [
      await fetch(gw.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' } }),
      await fetch(gw.url.replace(/\/mcp$/, '/sse'), { headers: { accept: 'text/event-stream' } }),
    ];
    for (const res of streams) {
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      expect(res.headers.get('x-accel-buffering')).toBe('no');
      expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
      const reader = res.body!.getReader();
      let text = '';
      const deadline = Date.now() + 10_000;
      while (!text.includes(': keep-alive') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain(': keep-alive\n\n');
      await reader.cancel();
    }
  }, 30_000);
});

describe('the control: without keep-alives the proxy cuts the same call', () => {
  let gw: TestGateway;
  let proxy: Haproxy;
  beforeAll(async () => {
    ({ gw, proxy } = await through(0));
  }, 60_000);
  afterAll(async () => {
    await closeAllClients();
    await proxy?.stop();
    await gw?.stop();
  });

  it('fails a silent call with the proxy\'s 504 once it outlasts the idle timeout', async () => {
    const modern = await connectClient('http-modern', { url: `${proxy.url}/mcp` }, { name: 'modern-cut' });
    await expect(modern.client.callTool({ name: 'modern_slow', arguments: { steps: 1, ms: CALL_MS } }, { timeout: CALL_MS + 30_000 })).rejects.toThrow(/504/);
  }, CALL_MS + 60_000);
});
