/**
 * `gateway.auth.mode: jwt`: the gateway as an OAuth 2.1 resource server, over real sockets, with
 * keys made by jose and served as a JWKS from a local server the test controls.
 *
 * Checked against the RFCs:
 *   RFC 6750 §3    401 + `WWW-Authenticate: Bearer`; error="invalid_token" for a bad token, no error
 *                  code when no credentials were sent (§3.1); 403 insufficient_scope with `scope`
 *   RFC 9728 §5.1  the challenge carries `resource_metadata`, the URL of the metadata document
 *   RFC 9728 §3.1  that URL is the resource URL with /.well-known/oauth-protected-resource inserted
 *                  between host and path; §3.2 the document is JSON with `resource` (required) and
 *                  `authorization_servers`; §3.3 `resource` equals the identifier the URL came from
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { stdioFixtureCommand } from '../../fixtures/servers/spawn-fixture.js';
import { makeKey, parseChallenge, signToken, startJwksServer, type JwksServer, type TestKey } from './helpers.js';

const AUDIENCE = 'https://gatehouse.test/mcp';
const SCOPE = 'mcp:tools';
let dir: string;
let jwks: JwksServer;
let keyA: TestKey;
let keyB: TestKey;
let foreign: TestKey;
let gw: TestGateway;
let origin: string;
const tokens: string[] = [];

async function token(key: TestKey, claims: Record<string, unknown> = {}, o: Partial<Parameters<typeof signToken>[2]> = {}): Promise<string> {
  const t = await signToken(key, { sub: 'user-1', client_id: 'agent-7', scope: SCOPE, ...claims }, { issuer: jwks.origin, audience: AUDIENCE, ...o });
  tokens.push(t);
  return t;
}

async function post(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-jwt-'));
  [keyA, keyB, foreign] = await Promise.all([makeKey('key-a'), makeKey('key-b'), makeKey('key-a')]);
  jwks = await startJwksServer([keyA]);
  const auth = buildInboundAuth({ mode: 'jwt', jwt: { issuer: jwks.origin, audience: AUDIENCE, jwksUrl: jwks.url, scopes: [SCOPE] } }, { configDir: dir, jwksCooldownMs: 0 });
  const fx = stdioFixtureCommand('conformance-server');
  gw = await startGateway({ backends: { fx: { type: 'stdio', command: fx.command, args: fx.args } } }, { authenticate: auth.authenticate, wellKnown: auth.wellKnown });
  await gw.ready();
  origin = new URL(gw.url).origin;
});

afterAll(async () => {
  await gw?.stop();
  await jwks?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('jwt mode', { timeout: 60_000 }, () => {
  it('a real SDK client with a valid token gets through, identified by client_id; the JWKS is fetched once and cached', async () => {
    const t = await token(keyA);
    const client = new Client({ name: 'jwt-client', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { Authorization: `Bearer ${t}` } } }));
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name)).toContain('fx_test_simple_text');
    const r = await client.callTool({ name: 'fx_test_simple_text', arguments: {} });
    expect(JSON.stringify(r.content)).toContain('simple text response');
    await client.close();
    const opened = gw.events.find((e) => e.type === 'session.opened');
    expect(opened).toMatchObject({ client: 'agent-7' });
    for (let i = 0; i < 3; i++) expect((await post('/mcp', { authorization: `Bearer ${t}` })).status).toBe(200);
    expect(jwks.fetches).toBe(1);
  });

  it('without credentials: 401, Bearer challenge with resource_metadata and no error code (RFC 6750 §3.1, RFC 9728 §5.1)', async () => {
    const res = await post('/mcp');
    expect(res.status).toBe(401);
    const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
    expect(ch.scheme).toBe('Bearer');
    expect(ch.params.error).toBeUndefined();
    expect(ch.params.resource_metadata).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`);
    expect(ch.params.scope).toBe(SCOPE);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('serves RFC 9728 metadata at the path-suffixed URL (resource = the /mcp URL) and at the root (resource = the origin)', async () => {
    const res = await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toEqual({
      resource: gw.url,
      authorization_servers: [jwks.origin],
      scopes_supported: [SCOPE],
      resource_name: 'Gatehouse MCP gateway',
      bearer_methods_supported: ['header'],
    });
    const root = (await (await fetch(`${origin}/.well-known/oauth-protected-resource`)).json()) as Record<string, unknown>;
    expect(root.resource).toBe(origin);
    expect(root.authorization_servers).toEqual([jwks.origin]);
    // The resource_metadata a 401 on /sse points to is the root document.
    const sse = await fetch(`${origin}/sse`, { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(401);
    expect(parseChallenge(sse.headers.get('www-authenticate') ?? '').params.resource_metadata).toBe(`${origin}/.well-known/oauth-protected-resource`);
    expect((await fetch(`${origin}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
    const wrongMethod = await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`, { method: 'POST' });
    expect(wrongMethod.status).toBe(405);
  });

  const refusals: Array<[string, () => Promise<string>, string]> = [
    ['expired', () => token(keyA, {}, { expiresIn: -120 }), 'token expired'],
    ['wrong issuer', () => token(keyA, {}, { issuer: 'https://evil.example' }), 'wrong issuer'],
    ['wrong audience', () => token(keyA, {}, { audience: 'https://someone-else.example/mcp' }), 'wrong audience'],
    ['unknown kid', () => token(foreign, {}, { kid: 'no-such-key' }), 'unknown signing key'],
    ['forged (right kid, wrong key)', () => token(foreign), 'bad signature'],
    ['no exp claim', () => token(keyA, {}, { expiresIn: null }), 'no expiry'],
  ];
  for (const [name, make, reason] of refusals) {
    it(`refuses a token that is ${name}: 401 invalid_token with resource_metadata`, async () => {
      const t = await make();
      const res = await post('/mcp', { authorization: `Bearer ${t}` });
      expect(res.status).toBe(401);
      const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
      expect(ch.scheme).toBe('Bearer');
      expect(ch.params.error).toBe('invalid_token');
      expect(ch.params.error_description).toBeTruthy();
      expect(ch.params.resource_metadata).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`);
      expect(await res.json()).toMatchObject({ error: 'invalid_token' });
      const ev = await gw.waitFor((e) => e.type === 'auth.failed' && e.reason.includes(reason));
      expect(ev).toBeTruthy();
    });
  }

  it('a token without the required scope: 403 insufficient_scope naming the scope (RFC 6750 §3.1)', async () => {
    const t = await token(keyA, { scope: 'other' });
    const res = await post('/mcp', { authorization: `Bearer ${t}` });
    expect(res.status).toBe(403);
    const ch = parseChallenge(res.headers.get('www-authenticate') ?? '');
    expect(ch.params).toMatchObject({ error: 'insufficient_scope', scope: SCOPE });
    // `scp` arrays (as some providers send) count too.
    expect((await post('/mcp', { authorization: `Bearer ${await token(keyA, { scope: undefined, scp: [SCOPE] })}` })).status).toBe(200);
  });

  it('follows key rotation: a new kid triggers a JWKS re-fetch; a key dropped from the JWKS stops working', async () => {
    jwks.setKeys([keyB]);
    const before = jwks.fetches;
    const tb = await token(keyB);
    expect((await post('/mcp', { authorization: `Bearer ${tb}` })).status).toBe(200);
    expect(jwks.fetches).toBe(before + 1);
    const ta = await token(keyA);
    // key-a is still cached from before; a request signed with a kid the fresh JWKS lacks is refused.
    const res = await post('/mcp', { authorization: `Bearer ${ta}` });
    expect(res.status).toBe(401);
    jwks.setKeys([keyA, keyB]);
    expect((await post('/mcp', { authorization: `Bearer ${ta}` })).status).toBe(200);
  });

  it('never puts a token into an event', () => {
    const failures = gw.events.filter((e) => e.type === 'auth.failed');
    expect(failures.length).toBeGreaterThanOrEqual(refusals.length + 3);
    const text = JSON.stringify(gw.events);
    for (const t of tokens) {
      expect(text).not.toContain(t);
      expect(text).not.toContain(t.split('.')[2]!);
    }
  });
});

describe('jwt mode without a gateway', () => {
  const req = (path: string, headers: Record<string, string> = {}) => ({ url: path, method: 'GET', headers: { host: '127.0.0.1:9', ...headers }, socket: {} }) as never;

  it('with a configured resource, metadata and challenges use it instead of the Host header', async () => {
    const auth = buildInboundAuth(
      { mode: 'jwt', jwt: { issuer: 'https://issuer.example', audience: 'x', jwksUrl: 'https://issuer.example/jwks', resource: 'https://mcp.example.dev/mcp' } },
      { configDir: tmpdir() },
    );
    const doc = auth.wellKnown!(req('/.well-known/oauth-protected-resource/mcp'), '/.well-known/oauth-protected-resource/mcp');
    expect(doc?.body).toMatchObject({ resource: 'https://mcp.example.dev/mcp', authorization_servers: ['https://issuer.example'] });
    const root = auth.wellKnown!(req('/.well-known/oauth-protected-resource'), '/.well-known/oauth-protected-resource');
    expect(root?.body).toMatchObject({ resource: 'https://mcp.example.dev' });
    const out = await auth.authenticate!(req('/mcp'));
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.headers?.['WWW-Authenticate']).toBe('Bearer resource_metadata="https://mcp.example.dev/.well-known/oauth-protected-resource/mcp"');
  });

  it('refuses a non-https issuer outside loopback, and a missing jwt section, at build time (exit 2)', () => {
    expect(() => buildInboundAuth({ mode: 'jwt', jwt: { issuer: 'http://issuer.example', audience: 'x', jwksUrl: 'https://issuer.example/jwks' } }, { configDir: tmpdir() })).toThrow(
      expect.objectContaining({ code: 'auth_config_invalid', exit: 2 }),
    );
    expect(() => buildInboundAuth({ mode: 'jwt' }, { configDir: tmpdir() })).toThrow(expect.objectContaining({ code: 'auth_config_missing', exit: 2 }));
  });

  it('answers 503 with Retry-After (not 401) when the JWKS cannot be fetched', async () => {
    const key = await makeKey();
    const down = await startJwksServer([key]);
    const url = down.url;
    const issuer = down.origin;
    await down.close();
    const auth = buildInboundAuth({ mode: 'jwt', jwt: { issuer, audience: AUDIENCE, jwksUrl: url } }, { configDir: tmpdir(), jwksTimeoutMs: 2_000 });
    const t = await signToken(key, { sub: 'x' }, { issuer, audience: AUDIENCE });
    const out = await auth.authenticate!(req('/mcp', { authorization: `Bearer ${t}` }));
    expect(out).toMatchObject({ ok: false, status: 503, headers: { 'Retry-After': '5' } });
    if (!out.ok) expect(out.reason).not.toContain(t);
  });
});
