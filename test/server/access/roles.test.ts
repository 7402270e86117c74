/**
 * Roles end to end, from each kind of identity: bearer client tokens that carry roles, JWT claims
 * (a local JWKS, tokens signed with jose) and Cloudflare Access service tokens (the local Access
 * stand-in in test/fixtures/cf-access: a faithful imitation of the edge, since Cloudflare cannot run
 * here). Real backends, real SDK clients of both eras, lists and calls alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTokenStore } from '../../../src/core/auth/client-tokens.js';
import type { AuthConfig, GatehouseConfig } from '../../../src/core/config/schema.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../../fixtures/cf-access/stand-in.js';
import { makeKey, signToken, startJwksServer, startRecordingProxy, type JwksServer, type RecordingProxy, type TestKey } from '../auth/helpers.js';
import { modernStdio, until, type Era } from '../helpers.js';
import { authedClient, lastToolsResult, names, type AuthedClient } from './support.js';

const backends = { a: modernStdio(), b: modernStdio() };
const gateway = (auth?: AuthConfig): GatehouseConfig['gateway'] => ({
  servers: { dev: { backends: ['a'], tools: ['a_echo', 'a_add'] }, infra: {} },
  roles: { ops: { servers: ['infra'] }, dev: { servers: ['dev'] } },
  ...(auth ? { auth } : {}),
});
const ALL = ['a_add', 'a_ask', 'a_echo', 'a_sample', 'a_slow', 'b_add', 'b_ask', 'b_echo', 'b_sample', 'b_slow'];
const open: AuthedClient[] = [];

async function start(auth: AuthConfig, opts: Parameters<typeof buildInboundAuth>[1]): Promise<TestGateway> {
  const inbound = buildInboundAuth(auth, opts);
  const gw = await startGateway({ backends, gateway: gateway(auth) }, { authenticate: inbound.authenticate, wellKnown: inbound.wellKnown });
  await gw.ready();
  await until(() => gw.gateway.catalog.tools.length === 10, 20_000, 'the catalog');
  return gw;
}

async function as(url: string, era: Era, headers: Record<string, string>): Promise<AuthedClient> {
  const c = await authedClient(url, era, headers);
  open.push(c);
  return c;
}

afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
});

describe('roles from bearer client tokens', { timeout: 120_000 }, () => {
  let dir: string;
  let gw: TestGateway;
  let origin: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-roles-bearer-'));
    const store = new ClientTokenStore(dir);
    tokens.ops = store.create('infra-agent', { roles: ['ops'] }).token;
    tokens.dev = store.create('dev-agent', { roles: ['dev'] }).token;
    tokens.none = store.create('plain-agent').token;
    tokens.stranger = store.create('odd-agent', { roles: ['auditor'] }).token;
    gw = await start({ mode: 'bearer' }, { configDir: dir });
    origin = new URL(gw.url).origin;
  });

  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const era of ['legacy', 'modern'] as Era[]) {
    it(`${era}: each role sees what gateway.roles gives it, in lists and calls`, async () => {
      const ops = await as(`${origin}/mcp`, era, { authorization: `Bearer ${tokens.ops}` });
      expect(names((await ops.client.listTools()).tools)).toEqual(ALL);
      expect((await ops.client.callTool({ name: 'b_echo', arguments: { text: 'ops' } })).isError).toBeFalsy();

      const dev = await as(`${origin}/mcp`, era, { authorization: `Bearer ${tokens.dev}` });
      expect(names((await dev.client.listTools()).tools)).toEqual(['a_add', 'a_echo']);
      expect(names((await dev.client.listPrompts()).prompts)).toEqual(['a_greet']);
      expect((await dev.client.callTool({ name: 'a_echo', arguments: { text: 'dev' } })).isError).toBeFalsy();
      await expect(dev.client.callTool({ name: 'b_echo', arguments: { text: 'x' } })).rejects.toThrow(/not available on this endpoint to roles dev/);
      await expect(dev.client.callTool({ name: 'a_slow', arguments: {} })).rejects.toThrow(/"a_slow" is not available/);

      if (era === 'modern') {
        // A list shaped by identity must not be cached for anyone else.
        expect(lastToolsResult(dev)?.cacheScope).toBe('private');
        expect(lastToolsResult(ops)?.cacheScope).toBe('private');
      }
    });
  }

  it('denies by default: a token without a defined role lists nothing and every call says why', async () => {
    for (const [token, says] of [
      [tokens.none, 'this client has no roles'],
      [tokens.stranger, 'roles auditor, none of which gateway.roles defines'],
    ] as const) {
      const c = await as(`${origin}/mcp`, 'legacy', { authorization: `Bearer ${token}` });
      expect((await c.client.listTools()).tools).toEqual([]);
      expect((await c.client.listPrompts()).prompts).toEqual([]);
      expect((await c.client.listResources()).resources).toEqual([]);
      await expect(c.client.callTool({ name: 'a_echo', arguments: { text: 'x' } })).rejects.toThrow(says);
    }
  });

  it('a role and a virtual server intersect: ops at /servers/dev sees dev\'s view', async () => {
    const c = await as(`${origin}/servers/dev/mcp`, 'legacy', { authorization: `Bearer ${tokens.ops}` });
    expect(names((await c.client.listTools()).tools)).toEqual(['a_add', 'a_echo']);
  });

  it('a reload that changes gateway.roles applies live, with list_changed to open sessions', async () => {
    const dev = await as(`${origin}/mcp`, 'legacy', { authorization: `Bearer ${tokens.dev}` });
    expect((await dev.client.listTools()).tools).toHaveLength(2);
    const next = gateway({ mode: 'bearer' })!;
    next.roles = { ...next.roles, dev: { servers: ['infra'], tools: ['*_echo'] } };
    const summary = await gw.gateway.reconcile({ version: 1, backends, gateway: next });
    expect(summary.settings).toContain('gateway.roles');
    await until(() => dev.notifications.includes('notifications/tools/list_changed'), 10_000, 'tools list_changed');
    expect(names((await dev.client.listTools()).tools)).toEqual(['a_echo', 'b_echo']);
    expect((await dev.client.callTool({ name: 'b_echo', arguments: { text: 'now allowed' } })).isError).toBeFalsy();
  });
});

describe('roles from JWT claims', { timeout: 120_000 }, () => {
  const AUDIENCE = 'https://gatehouse.test/mcp';
  let dir: string;
  let key: TestKey;
  let jwks: JwksServer;
  let gw: TestGateway;
  let origin: string;
  const token = (claims: Record<string, unknown>) => signToken(key, { sub: 'user-1', client_id: 'jwt-agent', ...claims }, { issuer: jwks.origin, audience: AUDIENCE });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-roles-jwt-'));
    key = await makeKey('k1');
    jwks = await startJwksServer([key]);
    gw = await start(
      { mode: 'jwt', jwt: { issuer: jwks.origin, audience: AUDIENCE, jwksUrl: jwks.url }, roles: [{ claim: 'groups', value: 'infra', role: 'ops' }, { claim: 'groups', value: 'developers', role: 'dev' }] },
      { configDir: dir, jwksCooldownMs: 0 },
    );
    origin = new URL(gw.url).origin;
  });

  afterAll(async () => {
    await gw?.stop();
    await jwks?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const era of ['legacy', 'modern'] as Era[]) {
    it(`${era}: groups claims map to roles through gateway.auth.roles`, async () => {
      const ops = await as(`${origin}/mcp`, era, { authorization: `Bearer ${await token({ groups: ['staff', 'infra'] })}` });
      expect(names((await ops.client.listTools()).tools)).toEqual(ALL);
      const dev = await as(`${origin}/mcp`, era, { authorization: `Bearer ${await token({ groups: ['developers'] })}` });
      expect(names((await dev.client.listTools()).tools)).toEqual(['a_add', 'a_echo']);
      await expect(dev.client.callTool({ name: 'b_slow', arguments: {} })).rejects.toThrow(/not available/);
      const nobody = await as(`${origin}/mcp`, era, { authorization: `Bearer ${await token({ groups: ['marketing'] })}` });
      expect((await nobody.client.listTools()).tools).toEqual([]);
      if (era === 'modern') expect(lastToolsResult(dev)?.cacheScope).toBe('private');
    });
  }
});

describe('roles from Cloudflare Access identities', { timeout: 120_000 }, () => {
  const devToken = makeServiceToken();
  const opsToken = makeServiceToken();
  let dir: string;
  let front: RecordingProxy;
  let edge: CfAccessStandIn;
  let gw: TestGateway;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-roles-cfa-'));
    front = await startRecordingProxy();
    edge = await startCfAccessStandIn({ upstream: front.url, tokens: [devToken, opsToken] });
    gw = await start(
      { mode: 'cloudflare-access', cloudflareAccess: { team: edge.team, aud: edge.aud, certsUrl: edge.certsUrl }, roles: [{ commonName: devToken.clientId, role: 'dev' }, { commonName: opsToken.clientId, role: 'ops' }] },
      { configDir: dir, jwksCooldownMs: 0 },
    );
    front.setTarget(new URL(gw.url).origin);
  });

  afterAll(async () => {
    await gw?.stop();
    await edge?.close();
    await front?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const era of ['legacy', 'modern'] as Era[]) {
    it(`${era}: a service token's common_name maps to its role`, async () => {
      const creds = (t: typeof devToken) => ({ 'CF-Access-Client-Id': t.clientId, 'CF-Access-Client-Secret': t.clientSecret });
      const dev = await as(`${edge.url}/mcp`, era, creds(devToken));
      expect(names((await dev.client.listTools()).tools)).toEqual(['a_add', 'a_echo']);
      await expect(dev.client.callTool({ name: 'b_echo', arguments: { text: 'x' } })).rejects.toThrow(/not available/);
      const ops = await as(`${edge.url}/mcp`, era, creds(opsToken));
      expect(names((await ops.client.listTools()).tools)).toEqual(ALL);
    });
  }
});
