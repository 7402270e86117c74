// The pooled fetch of HTTP backends (http-fetch.ts) against a real HTTP server on 127.0.0.1: a 2xx
// JSON answer comes back read in one chunk (BufferedJsonResponse), everything else as a Response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferedJsonResponse } from '../../../src/server/upstream/buffered-response.js';
import { createBackendFetch, type BackendFetch } from '../../../src/server/upstream/http-fetch.js';
import { startTinyHttp } from '../helpers.js';

describe('backend fetch', () => {
  let server: Awaited<ReturnType<typeof startTinyHttp>>;
  let f: BackendFetch;

  beforeAll(async () => {
    server = await startTinyHttp((req, res) => {
      if (req.url === '/json') return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' }).end('{"jsonrpc":"2.0","id":1,"result":{"ok":true}}');
      if (req.url === '/sse') return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{}}\n\n');
      if (req.url === '/accepted') return void res.writeHead(202).end();
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"nope"}');
    });
    f = createBackendFetch();
  });

  afterAll(async () => {
    await f?.close();
    await server?.close();
  });

  it('returns a 2xx JSON answer read in one chunk, readable once, with its headers', async () => {
    const res = await f.fetch(`${server.url}/json`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res).toBeInstanceOf(BufferedJsonResponse);
    expect(res.ok).toBe(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBe('s1');
    expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 1, result: { ok: true } });
    await expect(res.text()).rejects.toThrow(/already been read/);
  });

  it('keeps event streams, empty answers and errors as Responses', async () => {
    const sse = await f.fetch(`${server.url}/sse`, { method: 'POST', body: '{}' });
    expect(sse).toBeInstanceOf(Response);
    expect(await sse.text()).toContain('event: message');
    const accepted = await f.fetch(`${server.url}/accepted`, { method: 'POST', body: '{}' });
    expect(accepted).toBeInstanceOf(Response);
    expect(accepted.status).toBe(202);
    const missing = await f.fetch(`${server.url}/missing`, { method: 'GET' });
    expect(missing).toBeInstanceOf(Response);
    expect(missing.ok).toBe(false);
    expect(await missing.json()).toEqual({ error: 'nope' });
  });
});
