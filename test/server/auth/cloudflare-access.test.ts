/**
 * `gateway.auth.mode: cloudflare-access` behind the local Cloudflare Access stand-in: the gateway
 * verifies the Cf-Access-Jwt-Assertion the edge adds (signature against the edge's certs, issuer
 * https://<team>.cloudflareaccess.com, the application's AUD tag), maps the identity to a client
 * name, and never passes the assertion (or the service token) on to a backend.
 *
 *   SDK client ──▶ stand-in (service token → assertion) ──▶ recording proxy ──▶ gateway ──▶ recording proxy ──▶ HTTP fixture
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startHttpFixture, type HttpFixture } from '../../fixtures/servers/spawn-fixture.js';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../../fixtures/cf-access/stand-in.js';
import { startRecordingProxy, type RecordingProxy } from './helpers.js';

const tok = makeServiceToken();
let dir: string;
let fixture: HttpFixture;
let backendView: RecordingProxy;
let front: RecordingProxy;
let edge: CfAccessStandIn;
let gw: TestGateway;
let origin: string;
const assertions: string[] = [];

async function assertion(claims: Record<string, unknown>, o: Parameters<CfAccessStandIn['signJwt']>[1] = {}): Promise<string> {
  const a = await edge.signJwt(claims, o);
  assertions.push(a);
  return a;
}

async function post(headers: Record<string, string>): Promise<Response> {
  return fetch(`${origin}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-cfa-'));
  fixture = await startHttpFixture('conformance-server');
  backendView = await startRecordingProxy(`http://127.0.0.1:${fixture.port}`);
  front = await startRecordingProxy();
  edge = await startCfAccessStandIn({ upstream: front.url, tokens: [tok] });
  const auth = buildInboundAuth({ mode: 'cloudflare-access', cloudflareAccess: { team: edge.team, aud: edge.aud, certsUrl: edge.certsUrl } }, { configDir: dir, jwksCooldownMs: 0 });
  gw = await startGateway({ backends: { fx: { type: 'http', url: `${backendView.url}/mcp` } } }, { authenticate: auth.authenticate, wellKnown: auth.wellKnown });
  await gw.ready();
  origin = new URL(gw.url).origin;
  front.setTarget(origin);
});

afterAll(async () => {
  await gw?.stop();
  await edge?.close();
  await front?.close();
  await backendView?.close();
  await fixture?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('cloudflare-access mode', { timeout: 60_000 }, () => {
  it('a real client through Access with a service token gets through, named by the token common_name', async () => {
    const client = new Client({ name: 'through-access', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { requestInit: { headers: { 'CF-Access-Client-Id': tok.clientId, 'CF-Access-Client-Secret': tok.clientSecret } } }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('fx_test_simple_text');
    expect(JSON.stringify((await client.callTool({ name: 'fx_test_simple_text', arguments: {} })).content)).toContain('simple text');
    await client.close();
    expect(gw.events.find((e) => e.type === 'session.opened')).toMatchObject({ client: tok.clientId });
  });

  it('the backend never sees the assertion, the service token or any Authorization header', () => {
    expect(backendView.seen.length).toBeGreaterThan(0);
    expect(front.seen.some((h) => h['cf-access-jwt-assertion'])).toBe(true);
    for (const h of backendView.seen) {
      expect(h['cf-access-jwt-assertion']).toBeUndefined();
      expect(h['cf-access-client-id']).toBeUndefined();
      expect(h['cf-access-client-secret']).toBeUndefined();
      expect(h.authorization).toBeUndefined();
      expect(h.cookie).toBeUndefined();
    }
    expect(JSON.stringify(backendView.seen)).not.toContain(tok.clientSecret);
  });

  it('a user assertion (email) in the header or the CF_Authorization cookie is accepted', async () => {
    expect((await post({ 'cf-access-jwt-assertion': await assertion({ email: 'alice@example.com', sub: 'u-1' }) })).status).toBe(200);
    await gw.waitFor((e) => e.type === 'session.opened' && e.client === 'alice@example.com');
    expect((await post({ cookie: `theme=dark; CF_Authorization=${await assertion({ email: 'bob@example.com' })}` })).status).toBe(200);
    await gw.waitFor((e) => e.type === 'session.opened' && e.client === 'bob@example.com');
  });

  const cases: Array<[string, () => Promise<Record<string, string>>, string]> = [
    ['missing', async () => ({}), 'no Cf-Access-Jwt-Assertion'],
    ['expired', async () => ({ 'cf-access-jwt-assertion': await assertion({ email: 'a@x' }, { expiresIn: -120 }) }), 'token expired'],
    ['for another application (wrong AUD)', async () => ({ 'cf-access-jwt-assertion': await assertion({ email: 'a@x' }, { aud: 'f'.repeat(64) }) }), 'wrong audience'],
    ['from another team (wrong issuer)', async () => ({ 'cf-access-jwt-assertion': await assertion({ email: 'a@x' }, { issuer: 'https://other.cloudflareaccess.com' }) }), 'wrong issuer'],
    ['signed by a key the certs do not publish', async () => ({ 'cf-access-jwt-assertion': await assertion({ email: 'a@x' }, { foreignKey: true }) }), 'unknown signing key'],
    [
      'forged under the real kid (wrong key)',
      async () => {
        const kid = decodeProtectedHeader(await edge.signJwt({})).kid!;
        return { 'cf-access-jwt-assertion': await assertion({ email: 'a@x' }, { foreignKey: true, kid }) };
      },
      'bad signature',
    ],
    ['without an identity', async () => ({ 'cf-access-jwt-assertion': await assertion({ email: '', common_name: '' }) }), 'no email or common_name'],
  ];
  for (const [name, headers, reason] of cases) {
    it(`refuses an assertion that is ${name} (403, reason "${reason}")`, async () => {
      const res = await post(await headers());
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: 'access_denied' });
      await gw.waitFor((e) => e.type === 'auth.failed' && e.reason.startsWith('cloudflare-access: ') && e.reason.includes(reason));
    });
  }

  it('follows an Access key rotation (a new kid re-fetches the certs)', async () => {
    await edge.rotateKey();
    expect((await post({ 'cf-access-jwt-assertion': await assertion({ email: 'after-rotation@example.com' }) })).status).toBe(200);
  });

  it('service-token requests without a valid token never reach the gateway; events carry no assertion', async () => {
    const before = front.seen.length;
    const res = await fetch(`${edge.url}/mcp`, { method: 'POST', redirect: 'manual', headers: { 'CF-Access-Client-Id': tok.clientId, 'CF-Access-Client-Secret': 'wrong' } });
    expect(res.status).toBe(302);
    expect(front.seen.length).toBe(before);
    const text = JSON.stringify(gw.events);
    for (const a of assertions) expect(text).not.toContain(a.split('.')[2]!);
    expect(text).not.toContain(tok.clientSecret);
  });
});
