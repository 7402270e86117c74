/**
 * `gateway.auth.mode: bearer`: static client tokens from `clients token create`, checked by hash.
 * A real SDK client gets through with its token and is refused without; a revoked token stops
 * working on the running gateway; sessions stay bound to the client that opened them; and the
 * inbound Authorization (or a stray Cf-Access-Jwt-Assertion) never reaches a backend.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ClientTokenStore, CLIENT_TOKENS_FILE } from '../../../src/core/auth/client-tokens.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startHttpFixture, type HttpFixture } from '../../fixtures/servers/spawn-fixture.js';
import { parseChallenge, startRecordingProxy, type RecordingProxy } from './helpers.js';

let dir: string;
let store: ClientTokenStore;
let laptop: string;
let ci: string;
let fixture: HttpFixture;
let backendView: RecordingProxy;
let gw: TestGateway;
let origin: string;
const STRAY_ASSERTION = 'eyJhbGciOiJSUzI1NiJ9.eyJzdHJheSI6dHJ1ZX0.c3RyYXktc2lnbmF0dXJl';

function initBody(): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
}

async function post(headers: Record<string, string> = {}, body = initBody()): Promise<Response> {
  return fetch(`${origin}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-bearer-'));
  store = new ClientTokenStore(dir);
  laptop = store.create('laptop').token;
  ci = store.create('ci').token;
  fixture = await startHttpFixture('conformance-server');
  backendView = await startRecordingProxy(`http://127.0.0.1:${fixture.port}`);
  const auth = buildInboundAuth({ mode: 'bearer' }, { configDir: dir });
  gw = await startGateway({ backends: { fx: { type: 'http', url: `${backendView.url}/mcp` } } }, { authenticate: auth.authenticate, wellKnown: auth.wellKnown });
  await gw.ready();
  origin = new URL(gw.url).origin;
});

afterAll(async () => {
  await gw?.stop();
  await backendView?.close();
  await fixture?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('bearer mode', { timeout: 60_000 }, () => {
  it('stores only a hash (0600) of each token', () => {
    const path = join(dir, CLIENT_TOKENS_FILE);
    const text = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(laptop);
    expect(text).not.toContain(laptop.slice(4, 16));
    expect(JSON.parse(text).clients.laptop.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(laptop).toMatch(/^gth_[A-Za-z0-9_-]{43}$/);
  });

  it('a real SDK client with its token gets through (streamable HTTP and SSE), named by the client', async () => {
    const headers = { Authorization: `Bearer ${laptop}`, 'Cf-Access-Jwt-Assertion': STRAY_ASSERTION };
    const client = new Client({ name: 'sdk-bearer', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers } }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('fx_test_simple_text');
    expect(JSON.stringify((await client.callTool({ name: 'fx_test_simple_text', arguments: {} })).content)).toContain('simple text');
    await client.close();
    expect(gw.events.find((e) => e.type === 'session.opened')).toMatchObject({ client: 'laptop' });

    const sse = new Client({ name: 'sdk-bearer-sse', version: '1.0.0' });
    await sse.connect(new SSEClientTransport(new URL(`${origin}/sse`), { requestInit: { headers }, eventSourceInit: { fetch: (u, i) => fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), ...headers } }) } }));
    expect((await sse.callTool({ name: 'fx_test_simple_text', arguments: {} })).isError).toBeFalsy();
    await sse.close();
  });

  it('the backend never sees the inbound Authorization or Cf-Access-Jwt-Assertion', () => {
    expect(backendView.seen.length).toBeGreaterThan(0);
    for (const h of backendView.seen) {
      expect(h.authorization).toBeUndefined();
      expect(h['cf-access-jwt-assertion']).toBeUndefined();
    }
    const all = JSON.stringify(backendView.seen);
    expect(all).not.toContain(laptop);
    expect(all).not.toContain(STRAY_ASSERTION);
  });

  it('refuses a client without a token: the SDK client fails to connect; the challenge has no error code', async () => {
    const client = new Client({ name: 'no-token', version: '1.0.0' });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(gw.url)))).rejects.toThrow();
    await client.close().catch(() => undefined);
    const res = await post();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
    await gw.waitFor((e) => e.type === 'auth.failed' && e.reason === 'bearer: no Authorization header');
  });

  it('refuses a wrong token with error="invalid_token"', async () => {
    const res = await post({ authorization: `Bearer ${laptop.slice(0, -2)}xx` });
    expect(res.status).toBe(401);
    expect(parseChallenge(res.headers.get('www-authenticate') ?? '').params).toMatchObject({ realm: 'gatehouse', error: 'invalid_token' });
    expect((await post({ authorization: 'Basic dXNlcjpwYXNz' })).status).toBe(401);
  });

  it("a session opened by one client cannot be used with another client's token", async () => {
    const res = await post({ authorization: `Bearer ${laptop}` });
    const sid = res.headers.get('mcp-session-id')!;
    expect(sid).toBeTruthy();
    await res.body?.cancel();
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const other = await post({ authorization: `Bearer ${ci}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, list);
    expect(other.status).toBe(404);
    const same = await post({ authorization: `Bearer ${laptop}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' }, list);
    expect(same.status).toBe(200);
    await same.body?.cancel();
  });

  it('records last use, and a revoked token is refused by the running gateway at once', async () => {
    expect(store.list().find((c) => c.client === 'laptop')?.lastUsedAt).toBeTruthy();
    store.revoke('ci');
    expect((await post({ authorization: `Bearer ${ci}` })).status).toBe(401);
    const ok = await post({ authorization: `Bearer ${laptop}` });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });

  it('auth.failed events never carry a token', () => {
    const text = JSON.stringify(gw.events);
    expect(text).not.toContain(laptop);
    expect(text).not.toContain(ci);
    expect(gw.events.filter((e) => e.type === 'auth.failed').length).toBeGreaterThanOrEqual(4);
  });
});
