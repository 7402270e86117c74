// The approval page in a real headless browser: Debian's /usr/bin/chromium driven by
// playwright-core, against a real gateway in `cloudflare-access` mode in front of a real REST
// backend (a loopback fixture that counts every request). Cloudflare's edge cannot run here, so
// the local Access stand-in (test/fixtures/cf-access) signs the assertions and serves the certs the
// gateway verifies them against; the browser carries a person's assertion as the CF_Authorization
// cookie Access sets, and the agent (a real SDK client) sends a service token's assertion as the
// Cf-Access-Jwt-Assertion header Access adds.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startCfAccessStandIn, type CfAccessStandIn } from '../../fixtures/cf-access/stand-in.js';
import { startFixture, sendJson, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { makeTempDir } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startTinyHttp, textOf } from '../helpers.js';

import { launchChromium, scaleBackend } from './support.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const TOKEN_VALUE = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

let fx: FixtureServer;
let edge: CfAccessStandIn;
let gw: TestGateway;
let origin: string;
let browser: Browser;
const clients: Client[] = [];
const contexts: BrowserContext[] = [];
const extraGateways: TestGateway[] = [];

const k8s = () => scaleBackend(fx.url, { token: true });

beforeAll(async () => {
  let n = 0;
  fx = await startFixture((req, res) => sendJson(res, 200, { applied: ++n, body: JSON.parse(req.body || 'null') }));
  // Only its keys and certs are used: nothing is forwarded through it here.
  edge = await startCfAccessStandIn({ upstream: 'http://127.0.0.1:9' });
  const dir = makeTempDir();
  const auth = buildInboundAuth({ mode: 'cloudflare-access', cloudflareAccess: { team: edge.team, aud: edge.aud, certsUrl: edge.certsUrl } }, { configDir: dir, jwksCooldownMs: 0 });
  gw = await startGateway({ backends: { k8s: k8s() } }, { stateDir: dir, authenticate: auth.authenticate, wellKnown: auth.wellKnown, authMode: 'cloudflare-access' });
  await gw.ready();
  origin = new URL(gw.url).origin;
  // launch() gives every browser a fresh temporary user-data dir, removed when it closes.
  browser = await launchChromium();
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(contexts.map((c) => c.close()));
  await browser?.close();
  await Promise.allSettled(extraGateways.map((g) => g.stop()));
  await gw?.stop();
  await edge?.close();
  await fx?.close();
});

const writes = () => fx.requests.filter((r) => r.method === 'POST').length;

/** The agent: a real SDK client whose requests carry a service token's Access assertion. */
async function agent(claims: Record<string, unknown> = { common_name: 'svc-agent.access', sub: '' }, url = gw.url): Promise<Client> {
  const assertion = await edge.signJwt(claims);
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { 'Cf-Access-Jwt-Assertion': assertion } } }));
  clients.push(client);
  return client;
}

async function plan(client: Client, replicas: number): Promise<{ id: string; digest: string }> {
  const r = await client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas, token: TOKEN_VALUE } });
  return (r._meta as Record<string, { id: string; digest: string }>)['gatehouse/plan']!;
}

/** A browser context signed in as a person through Access (or not signed in at all). */
async function person(email?: string): Promise<{ context: BrowserContext; page: Page; problems: string[]; assertion?: string }> {
  const context = await browser.newContext();
  contexts.push(context);
  let assertion: string | undefined;
  if (email) {
    assertion = await edge.signJwt({ email, sub: `sub-${email}` });
    await context.addCookies([{ name: 'CF_Authorization', value: assertion, url: origin, httpOnly: true, sameSite: 'Lax' }]);
  }
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { context, page, problems, assertion };
}

async function stateOf(g: TestGateway, id: string): Promise<string> {
  return (await g.gateway.approvals.get(id))!.state;
}

describe('the approval page in headless Chromium (cloudflare-access)', () => {
  it('an approver signs in through Access, sees the redacted plan, approves; the agent applies it with one backend call', async () => {
    const client = await agent();
    const w0 = writes();
    const { id, digest } = await plan(client, 3);
    expect(writes()).toBe(w0);

    const { page, problems } = await person('alice@example.com');
    const res = await page.goto(`${origin}/approvals/${id}`);
    expect(res!.status()).toBe(200);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'; frame-ancestors 'none'/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(await page.textContent('#viewer')).toBe('alice@example.com');
    expect(await page.textContent('#state')).toBe('pending');
    expect(await page.textContent('#backend')).toBe('k8s');
    expect(await page.textContent('#tool')).toContain('scale');
    expect(await page.textContent('#digest')).toBe(digest);
    expect(await page.textContent('#requester')).toContain('svc-agent.access');
    const args = JSON.parse((await page.textContent('#arguments'))!);
    expect(args).toEqual({ namespace: 'demo', replicas: 3, token: '[REDACTED]' });
    expect(await page.content()).not.toContain(TOKEN_VALUE);
    // The style is applied under the strict CSP (its hash matches), and nothing was blocked.
    expect(await page.$eval('pre', (el) => getComputedStyle(el).whiteSpace)).toBe('pre-wrap');
    expect(await page.$$('script')).toHaveLength(0);

    await page.fill('#reason', 'change 42');
    await Promise.all([page.waitForURL(`${origin}/approvals/${id}`), page.click('#approve')]);
    expect(await page.textContent('#state')).toBe('approved');
    expect(await page.textContent('#decided')).toContain('alice@example.com');
    expect(await page.textContent('#reason')).toBe('change 42');
    expect(await page.$('#approve')).toBeNull();
    expect(problems).toEqual([]);

    expect(writes()).toBe(w0);
    const applied = await client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(JSON.parse(textOf(applied))).toMatchObject({ body: { replicas: 3, token: TOKEN_VALUE } });
    expect(writes()).toBe(w0 + 1);
    await client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(writes()).toBe(w0 + 1);
    const audit = await gw.gateway.approvals.audit({ planId: id });
    expect(audit.map((a) => `${a.event}:${a.actor}`)).toEqual(['created:svc-agent.access', 'approved:alice@example.com', 'executing:gateway', 'done:gateway']);
    expect(JSON.stringify(audit)).not.toContain(TOKEN_VALUE);

    await page.goto(`${origin}/approvals`);
    expect(await page.textContent('#plans')).toContain(id);
  });

  it('a denial on the page makes the apply fail, and the backend sees nothing', async () => {
    const client = await agent();
    const { id } = await plan(client, 1);
    const { page } = await person('bob@example.com');
    await page.goto(`${origin}/approvals/${id}`);
    await Promise.all([page.waitForURL(`${origin}/approvals/${id}`), page.click('#deny')]);
    expect(await page.textContent('#state')).toBe('denied');
    const w0 = writes();
    await expect(client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } })).rejects.toThrow(/denied by bob@example\.com/);
    expect(writes()).toBe(w0);
  });

  it('unauthenticated or forged sign-ins see nothing and decide nothing', async () => {
    const client = await agent();
    const { id } = await plan(client, 2);
    const { page } = await person();
    const res = await page.goto(`${origin}/approvals/${id}`);
    expect(res!.status()).toBe(403);
    expect(await page.textContent('#message')).toMatch(/Not signed in: Open this page through Cloudflare Access/);
    expect(await page.content()).not.toContain('"replicas"');
    expect((await page.goto(`${origin}/approvals`))!.status()).toBe(403);

    const forged = await edge.signJwt({ email: 'mallory@example.com' }, { foreignKey: true });
    for (const cookie of [undefined, `CF_Authorization=${forged}`]) {
      const r = await fetch(`${origin}/approvals/${id}/approve`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
        body: 'csrf=x',
        redirect: 'manual',
      });
      expect(r.status).toBe(403);
    }
    expect(await stateOf(gw, id)).toBe('pending');
    expect(gw.events.some((e) => e.type === 'auth.failed' && /^cloudflare-access: (unknown signing key|bad signature)/.test(String((e as { reason?: string }).reason)))).toBe(true);
  });

  it('cross-site POSTs are refused even with the Access cookie: a foreign Origin, or a missing or foreign CSRF token', async () => {
    const client = await agent();
    const { id } = await plan(client, 4);
    const other = await plan(client, 5);
    // Another site on this machine (same-site for cookies: only the port differs) with a form that posts to the gateway.
    const attacker = await startTinyHttp((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form method="post" action="${origin}/approvals/${id}/approve"><input type="hidden" name="csrf" value="guess"><button id="go">win a prize</button></form>`);
    });
    try {
      const { page, context, assertion } = await person('alice@example.com');
      await page.goto(attacker.url);
      const [response] = await Promise.all([page.waitForResponse((r) => r.url().startsWith(`${origin}/approvals/`)), page.click('#go')]);
      expect(response.status()).toBe(403);
      expect(await page.textContent('#message')).toMatch(/must come from this gateway's own page; this one came from http:\/\/127\.0\.0\.1:\d+/);
      expect(await stateOf(gw, id)).toBe('pending');

      // Same origin, but no token, a made-up token, or the token of another plan's form.
      await page.goto(`${origin}/approvals/${other.id}`);
      const otherToken = await page.getAttribute('input[name=csrf]', 'value');
      const nonce = (await context.cookies(`${origin}/approvals/${id}`)).find((c) => c.name === 'gatehouse_csrf')!.value;
      expect(nonce).toBeTruthy();
      for (const body of ['reason=x', 'csrf=AAAA', `csrf=${otherToken}`]) {
        const r = await fetch(`${origin}/approvals/${id}/approve`, {
          method: 'POST',
          headers: { origin, 'content-type': 'application/x-www-form-urlencoded', cookie: `CF_Authorization=${assertion}; gatehouse_csrf=${nonce}` },
          body,
          redirect: 'manual',
        });
        expect(r.status, body).toBe(403);
        expect(await r.text()).toMatch(/Form expired or forged/);
      }
      // No Origin and no Sec-Fetch-Site: refused too.
      const bare = await fetch(`${origin}/approvals/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `CF_Authorization=${assertion}; gatehouse_csrf=${nonce}` }, body: `csrf=${otherToken}` });
      expect(bare.status).toBe(403);
      expect(await stateOf(gw, id)).toBe('pending');
    } finally {
      await attacker.close();
    }
  });

  it('an Access service token (an agent) may read a plan but never decide one', async () => {
    const client = await agent();
    const { id } = await plan(client, 2);
    const assertion = await edge.signJwt({ common_name: 'svc-other-agent.access', sub: '' });
    const page = await fetch(`${origin}/approvals/${id}`, { headers: { 'cf-access-jwt-assertion': assertion } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/service tokens belong to machines/);
    expect(html).not.toContain('name="csrf"');
    const nonce = /gatehouse_csrf=([^;]+)/.exec(page.headers.get('set-cookie') ?? '')![1];
    const r = await fetch(`${origin}/approvals/${id}/approve`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded', 'cf-access-jwt-assertion': assertion, cookie: `gatehouse_csrf=${nonce}` },
      body: 'csrf=x',
    });
    expect(r.status).toBe(403);
    expect(await stateOf(gw, id)).toBe('pending');
  });

  it('GET never changes state', async () => {
    const client = await agent();
    const { id } = await plan(client, 1);
    const { page } = await person('alice@example.com');
    for (const path of [`/approvals/${id}/approve`, `/approvals/${id}/deny`]) {
      const r = await page.goto(`${origin}${path}`);
      expect(r!.status()).toBe(405);
      expect(r!.headers().allow).toBe('POST');
    }
    expect((await page.goto(`${origin}/approvals/${id}?action=approve&approve=1`))!.status()).toBe(200);
    expect(await stateOf(gw, id)).toBe('pending');
    expect((await gw.gateway.approvals.audit({ planId: id })).map((a) => a.event)).toEqual(['created']);
  });

  it('the identity that asked cannot approve its own plan', async () => {
    // An agent run under carol's own Access identity.
    const client = await agent({ email: 'carol@example.com', sub: 'sub-carol@example.com' });
    const { id } = await plan(client, 2);
    const { page } = await person('carol@example.com');
    await page.goto(`${origin}/approvals/${id}`);
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/approve')), page.click('#approve')]);
    expect(response.status()).toBe(403);
    expect(await page.textContent('#message')).toMatch(/"carol@example\.com" asked for plan .* cannot approve it/);
    expect(await page.textContent('#state')).toBe('pending');
    expect(await stateOf(gw, id)).toBe('pending');

    // allowSelfApproval is a live setting: after a reload the same click approves.
    const base = { version: 1 as const, backends: { k8s: gw.gateway.upstreams[0]!.config } };
    const summary = await gw.gateway.reconcile({ ...base, gateway: { approvals: { allowSelfApproval: true } } });
    expect(summary.settings).toEqual(['gateway.approvals']);
    try {
      await page.goto(`${origin}/approvals/${id}`);
      await Promise.all([page.waitForResponse((r) => r.url().endsWith('/approve')), page.click('#approve')]);
      await page.waitForSelector('#decided');
      expect(await page.textContent('#state')).toBe('approved');
    } finally {
      await gw.gateway.reconcile(base);
    }
  });
});

describe('the approval page without inbound auth', () => {
  async function looseGateway(gateway: GatehouseConfig['gateway']): Promise<TestGateway> {
    const g = await startGateway({ gateway, backends: { k8s: k8s() } }, { stateDir: makeTempDir() });
    extraGateways.push(g);
    await g.ready();
    return g;
  }

  it('is read-only by default', async () => {
    const g = await looseGateway({});
    const client = new Client({ name: 'local-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(g.url)));
    clients.push(client);
    const { id } = await plan(client, 1);
    const o = new URL(g.url).origin;
    const { page } = await person();
    expect((await page.goto(`${o}/approvals/${id}`))!.status()).toBe(200);
    expect(await page.textContent('#read-only')).toMatch(/without inbound auth, so this page is read-only.*webLoopback/);
    expect(await page.$('#approve')).toBeNull();
    const r = await fetch(`${o}/approvals/${id}/approve`, { method: 'POST', headers: { origin: o, 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x' });
    expect(r.status).toBe(403);
    expect(await stateOf(g, id)).toBe('pending');
  });

  it('approves from a loopback browser with approvals.webLoopback', async () => {
    const g = await looseGateway({ approvals: { webLoopback: true } });
    const client = new Client({ name: 'local-agent', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(g.url)));
    clients.push(client);
    const { id } = await plan(client, 2);
    const o = new URL(g.url).origin;
    const { page } = await person();
    await page.goto(`${o}/approvals/${id}`);
    await Promise.all([page.waitForURL(`${o}/approvals/${id}`), page.click('#approve')]);
    expect(await page.textContent('#state')).toBe('approved');
    expect(await page.textContent('#decided')).toContain('web-loopback');
    const w0 = writes();
    await client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(writes()).toBe(w0 + 1);
  });
});
