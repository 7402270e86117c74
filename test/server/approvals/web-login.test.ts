// Browser sign-in on the approval page when the gateway's auth mode is jwt: OAuth 2 authorization
// code + PKCE against a local stand-in issuer (test/fixtures/oauth: a real IdP cannot run here),
// driven in Debian's headless Chromium with playwright-core. The token the page obtains is checked
// by the gateway's own jwt verifier; the agent is a real SDK client with its own bearer token.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Browser, type BrowserContext } from 'playwright-core';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { RestBackendConfig } from '../../../src/core/config/schema.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startStandInIssuer, type StandInIssuer } from '../../fixtures/oauth/stand-in-issuer.js';
import { startFixture, sendJson, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { makeTempDir } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

import { launchChromium } from './support.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const AUDIENCE = 'https://gatehouse.test/mcp';
let fx: FixtureServer;
let issuer: StandInIssuer;
let gw: TestGateway;
let origin = '';
let browser: Browser;
const clients: Client[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  fx = await startFixture((req, res) => sendJson(res, 200, { body: JSON.parse(req.body || 'null') }));
  issuer = await startStandInIssuer({ audience: AUDIENCE, redirectUri: () => `${origin}/approvals/oauth/callback` });
  const dir = makeTempDir();
  const jwt = { issuer: issuer.url, audience: AUDIENCE, jwksUrl: issuer.jwksUrl };
  const auth = buildInboundAuth({ mode: 'jwt', jwt }, { configDir: dir, jwksCooldownMs: 0 });
  const k8s = {
    type: 'rest',
    baseUrl: fx.url,
    allowWrites: true,
    tools: [{ name: 'scale', method: 'POST', path: '/scale', body: { replicas: '{replicas}' }, inputSchema: { type: 'object', properties: { replicas: { type: 'integer' } }, required: ['replicas'] } }],
  } as RestBackendConfig;
  gw = await startGateway(
    { gateway: { auth: { mode: 'jwt', jwt }, approvals: { login: { clientId: issuer.clientId } } }, backends: { k8s } },
    { stateDir: dir, authenticate: auth.authenticate, wellKnown: auth.wellKnown, authMode: 'jwt' },
  );
  await gw.ready();
  origin = new URL(gw.url).origin;
  // launch() gives the browser a fresh temporary user-data dir, removed when it closes.
  browser = await launchChromium();
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(contexts.map((c) => c.close()));
  await browser?.close();
  await gw?.stop();
  await issuer?.close();
  await fx?.close();
});

const writes = () => fx.requests.filter((r) => r.method === 'POST').length;

async function agentPlan(sub: string, replicas: number): Promise<{ client: Client; id: string }> {
  const token = await issuer.mint({ sub, client_id: 'agent-7' });
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(client);
  const r = await client.callTool({ name: 'k8s_scale', arguments: { replicas } });
  return { client, id: (r._meta as Record<string, { id: string }>)['gatehouse/plan']!.id };
}

async function newPage() {
  const context = await browser.newContext();
  contexts.push(context);
  return context.newPage();
}

describe('approval page sign-in with OAuth (auth mode jwt)', () => {
  it('a person signs in at the issuer (code + PKCE), approves, and the agent applies with one backend call', async () => {
    const { client, id } = await agentPlan('agent-sub', 3);
    issuer.setUser({ sub: 'dana-sub', email: 'dana@example.com' });
    const page = await newPage();
    const res = await page.goto(`${origin}/approvals/${id}`);
    expect(page.url()).toBe(`${origin}/approvals/${id}`);
    expect(res!.status()).toBe(200);
    expect(issuer.tokenRequests.at(-1)).toEqual({ ok: true });
    expect(await page.textContent('#viewer')).toBe('dana@example.com');
    await Promise.all([page.waitForResponse((r) => r.url().endsWith('/approve')), page.click('#approve')]);
    await page.waitForSelector('#decided');
    expect(await page.textContent('#decided')).toContain('dana@example.com');
    const w0 = writes();
    await client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(writes()).toBe(w0 + 1);
    // The session cookie is signed: a changed one is no sign-in (and is sent back to the issuer).
    const cookies = await page.context().cookies(`${origin}/approvals/x`);
    const session = cookies.find((c) => c.name === 'gatehouse_session')!;
    expect(session.httpOnly).toBe(true);
    const r = await fetch(`${origin}/approvals`, { headers: { cookie: `gatehouse_session=${session.value.slice(0, -2)}xx` }, redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toMatch(new RegExp(`^${issuer.url}/authorize\\?`));
  });

  it('the same subject as the agent cannot approve its own plan', async () => {
    const { id } = await agentPlan('erin-sub', 1);
    issuer.setUser({ sub: 'erin-sub', email: 'erin@example.com' });
    const page = await newPage();
    await page.goto(`${origin}/approvals/${id}`);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/approve')), page.click('#approve')]);
    expect(response.status()).toBe(403);
    expect(await page.textContent('#message')).toMatch(/cannot approve it/);
    expect((await gw.gateway.approvals.get(id))!.state).toBe('pending');
  });

  it('a refused sign-in, a forged callback and a callback replayed in another browser sign no one in', async () => {
    const { id } = await agentPlan('agent-sub', 2);
    issuer.setUser(undefined);
    const page = await newPage();
    const res = await page.goto(`${origin}/approvals/${id}`);
    expect(res!.status()).toBe(403);
    expect(await page.textContent('#message')).toMatch(/refused the sign-in: access_denied/);

    const forged = await (await newPage()).goto(`${origin}/approvals/oauth/callback?code=abc&state=xyz`);
    expect(forged!.status()).toBe(400);
    expect(await forged!.text()).toMatch(/not started here/);

    // A real callback URL (code and state) opened in another browser: that browser never started the sign-in.
    issuer.setUser({ sub: 'dana-sub', email: 'dana@example.com' });
    const p2 = await newPage();
    let callbackUrl = '';
    p2.on('request', (r) => {
      if (r.url().startsWith(`${origin}/approvals/oauth/callback`)) callbackUrl = r.url();
    });
    await p2.goto(`${origin}/approvals/${id}`);
    expect(callbackUrl).toContain('code=');
    const replay = await (await newPage()).goto(callbackUrl);
    expect(replay!.status()).toBe(400);
    expect((await gw.gateway.approvals.get(id))!.state).toBe('pending');
  });
});
