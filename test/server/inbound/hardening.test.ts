// Inbound hardening against a real in-process gateway over real sockets (issue 9 items 6, 15, 17,
// 18, 21): oversized chunked bodies, /messages validation, strict Host parsing and a generic 500,
// header timeouts and a per-address connection cap, and CORS preflight for allowed origins.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { rawConnect, type RawConn } from './raw.js';

let gw: TestGateway | undefined;
const conns: RawConn[] = [];
const aborts: AbortController[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.destroy();
  for (const a of aborts.splice(0)) a.abort();
  await gw?.stop();
  gw = undefined;
});

const portOf = () => Number(new URL(gw!.url).port);
const base = () => gw!.url.replace(/\/mcp$/, '');
async function conn(): Promise<RawConn> {
  const c = await rawConnect(portOf());
  conns.push(c);
  return c;
}

/** Opens a legacy SSE session and returns its /messages endpoint. */
async function sseEndpoint(): Promise<string> {
  const a = new AbortController();
  aborts.push(a);
  const res = await fetch(`${base()}/sse`, { headers: { accept: 'text/event-stream' }, signal: a.signal });
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  return /data: (\S+)/.exec(text)![1]!;
}

/**
 * Sends a chunked body that never ends, 8 MB at most (over the 4 MB limit, within what the gateway
 * drains after its 413), and reports what the server did.
 */
async function chunkedFlood(path: string): Promise<{ status: string; closed: boolean }> {
  const c = await conn();
  c.socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const chunk = Buffer.alloc(256 * 1024, 'a');
  for (let i = 0; i < 32 && !c.socket.destroyed && !c.received(); i++) {
    c.socket.write(`${chunk.length.toString(16)}\r\n`);
    c.socket.write(chunk);
    c.socket.write('\r\n');
    await new Promise((r) => setTimeout(r, 5));
  }
  await c.waitFor((t) => t.includes('\r\n\r\n'), 10_000);
  return { status: c.received().split('\r\n')[0] ?? '', closed: await c.closed(10_000) };
}

describe('inbound hardening', () => {
  it('answers an oversized chunked POST with 413 and Connection: close, then closes (/mcp and /messages)', async () => {
    gw = await startGateway({ backends: {} });
    const mcp = await chunkedFlood('/mcp');
    expect(mcp.status).toBe('HTTP/1.1 413 Payload Too Large');
    expect(mcp.closed).toBe(true);
    const endpoint = await sseEndpoint();
    const messages = await chunkedFlood(endpoint);
    expect(messages.status).toBe('HTTP/1.1 413 Payload Too Large');
    expect(messages.closed).toBe(true);
    // The gateway still answers on fresh connections.
    expect((await fetch(`${base()}/healthz`)).status).toBe(200);
  });

  it('applies /mcp\'s batch cap and JSON-RPC validation to /messages', async () => {
    gw = await startGateway({ backends: {} });
    const endpoint = await sseEndpoint();
    const post = async (body: unknown) => {
      const r = await fetch(`${base()}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, text: await r.text() };
    };
    const ping = (id: number) => ({ jsonrpc: '2.0', id, method: 'ping' });
    const tooMany = await post(Array.from({ length: 101 }, (_, i) => ping(i)));
    expect(tooMany.status).toBe(400);
    expect(tooMany.text).toMatch(/must not exceed 100 messages/);
    for (const bad of [null, 5, 'text', { foo: 1 }, { jsonrpc: '1.0', id: 1, method: 'ping' }, [], [ping(1), null]]) {
      const r = await post(bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(JSON.parse(r.text).error.code).toBe(-32600);
    }
    expect((await post(Array.from({ length: 100 }, (_, i) => ping(i)))).status).toBe(202);
    expect((await post(ping(1))).status).toBe(202);
  });

  it('parses Host strictly: userinfo, junk ports and paths are refused with 403', async () => {
    gw = await startGateway({ backends: {} });
    for (const host of ['evil.com@127.0.0.1', `evil.com@127.0.0.1:${portOf()}`, '127.0.0.1:abc', '127.0.0.1/x', '127.0.0.1:99999', 'evil.com']) {
      const c = await conn();
      c.socket.write(`GET /readyz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      await c.closed(10_000);
      expect(c.received().split('\r\n')[0], host).toBe('HTTP/1.1 403 Forbidden');
      expect(c.received()).toMatch(/Invalid Host header/);
    }
    const ok = await conn();
    ok.socket.write(`GET /readyz HTTP/1.1\r\nHost: 127.0.0.1:${portOf()}\r\nConnection: close\r\n\r\n`);
    await ok.closed(10_000);
    expect(ok.received().split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it('answers an unexpected failure with a generic 500 and puts the detail on the bus only', async () => {
    gw = await startGateway({ backends: {} });
    // Fault injection (not a mock of a dependency): readiness throws as a gateway bug would.
    gw.gateway.readiness = () => {
      throw new Error('internal detail 7f3a');
    };
    const r = await fetch(`${base()}/readyz`);
    expect(r.status).toBe(500);
    const text = await r.text();
    expect(text).not.toMatch(/7f3a/);
    expect(JSON.parse(text).error.message).toMatch(/gateway log/);
    const ev = await gw.waitFor((e) => e.type === 'inbound.error');
    expect(ev.type === 'inbound.error' && ev.message).toMatch(/internal detail 7f3a/);
  });

  it('cuts off a client that sends headers too slowly', async () => {
    gw = await startGateway({ gateway: { inbound: { headersTimeout: 1 } }, backends: {} });
    const c = await conn();
    c.socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await c.closed(15_000)).toBe(true);
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('caps open connections per remote address', async () => {
    gw = await startGateway({ gateway: { inbound: { maxConnectionsPerAddress: 2 } }, backends: {} });
    const held = [await conn(), await conn()];
    for (const h of held) {
      h.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect(await h.waitFor((t) => t.includes('"ok"'), 10_000)).toBe(true);
    }
    const third = await conn();
    expect(await third.closed(10_000)).toBe(true);
    expect(third.received()).toMatch(/^HTTP\/1\.1 503/);
    expect(gw.events.some((e) => e.type === 'inbound.refused' && e.limit === 2)).toBe(true);
    held[0]!.destroy();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      const c = await conn();
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      await c.closed(5_000);
      status = c.received().startsWith('HTTP/1.1 200') ? 200 : 0;
      c.destroy();
    }
    expect(status).toBe(200);
  });

  it('answers CORS preflight for allowed origins with the MCP headers exposed, and nothing for others', async () => {
    gw = await startGateway({ gateway: { allowedOrigins: ['app.example'] }, backends: {} });
    const preflight = (origin: string) =>
      fetch(gw!.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, mcp-session-id, mcp-protocol-version' } });
    const ok = await preflight('http://app.example');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(ok.headers.get('access-control-expose-headers')).toMatch(/Mcp-Session-Id/);
    expect(ok.headers.get('access-control-expose-headers')).toMatch(/Mcp-Protocol-Version/);
    const allowed = (ok.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['content-type', 'mcp-session-id', 'mcp-protocol-version', 'authorization']) expect(allowed).toContain(h);
    expect(ok.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const bad = await preflight('http://evil.example');
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
    expect(bad.status).toBe(403);
    // The real request from the allowed origin carries the headers a browser needs to read the session id.
    const init = await fetch(gw.url, {
      method: 'POST',
      headers: { origin: 'http://app.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'browser', version: '1' } } }),
    });
    await init.text();
    expect(init.status).toBe(200);
    expect(init.headers.get('access-control-allow-origin')).toBe('http://app.example');
    expect(init.headers.get('access-control-expose-headers')).toMatch(/Mcp-Session-Id/);
    expect(init.headers.get('mcp-session-id')).toBeTruthy();
  });
});
