// What every replica hears (issue 12): two in-process gateways on one real Redis (Debian's
// redis-server, started here on 127.0.0.1, stopped in afterAll), each with bearer auth over its own
// copy of the client-token file, as two pods with their own volume would have. A token revoked on one
// stops working on both; a backend change one replica saw reaches the other's sessions; the address a
// replica advertises is checked at start.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTokenStore } from '../../../src/core/auth/client-tokens.js';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { advertisedAddress } from '../../../src/server/cluster/attach.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { LISTFILE, NODE, closeAllClients, connectClient, tempDir, until, type TempDir } from '../helpers.js';

describe('client-token revocations reach every replica', () => {
  let redis: RunningRedis;
  let dir: TempDir;
  let replicas: TestGateway[] = [];
  let token = '';
  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('gatehouse-cluster-tokens-');
    const [a, b] = [join(dir.path, 'a'), join(dir.path, 'b')];
    mkdirSync(a);
    mkdirSync(b);
    token = new ClientTokenStore(a).create('agent').token;
    copyFileSync(join(a, 'client-tokens.json'), join(b, 'client-tokens.json'));
    replicas = await Promise.all(
      [a, b].map((configDir) => {
        const auth = buildInboundAuth({ mode: 'bearer' }, { configDir });
        return startGateway({ gateway: { cluster: { redis: redis.url, secret: 'tokens-test-secret' } }, backends: {} }, { authenticate: auth.authenticate, clientTokens: auth.tokens, authMode: 'bearer' });
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await redis?.stop();
    dir?.remove();
  });

  const ping = (g: TestGateway) =>
    fetch(g.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'agent', version: '1' } } }),
    }).then((r) => r.status);

  it('a revoke on replica a (its file only) refuses the token on replica b too', async () => {
    const [a, b] = replicas as [TestGateway, TestGateway];
    expect(await ping(a)).toBe(200);
    expect(await ping(b)).toBe(200);
    new ClientTokenStore(join(dir.path, 'a')).revoke('agent');
    // b's own file still lists the token; the revocation comes over the bus.
    await until(async () => (await ping(b)) === 401, 15_000, 'replica b to refuse the revoked token');
    expect(await ping(a)).toBe(401);
  });
});

describe('catalog changes reach sessions on other replicas', () => {
  let redis: RunningRedis;
  let dir: TempDir;
  let replicas: TestGateway[] = [];
  let toolsFile = '';
  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('gatehouse-cluster-catalog-');
    toolsFile = join(dir.path, 'tools.json');
    writeFileSync(toolsFile, JSON.stringify({ tools: ['alpha'] }));
    // A backend that never announces a change: each replica sees one only when it re-lists.
    const lf = { type: 'stdio' as const, command: NODE, args: [LISTFILE, toolsFile], refreshInterval: 0 };
    replicas = await Promise.all([0, 1].map(() => startGateway({ gateway: { cluster: { redis: redis.url, secret: 'catalog-test-secret' } }, backends: { lf } })));
    await Promise.all(replicas.map((r) => r.ready()));
  }, 60_000);
  afterAll(async () => {
    await closeAllClients();
    await Promise.all(replicas.map((r) => r.stop()));
    await redis?.stop();
    dir?.remove();
  });

  it('a re-list on replica a makes replica b re-list, and b tells its own 2025 session', async () => {
    const [a, b] = replicas as [TestGateway, TestGateway];
    const tc = await connectClient('http-legacy', { url: b.url }, { name: 'watcher' });
    writeFileSync(toolsFile, JSON.stringify({ tools: ['alpha', 'beta'] }));
    await a.gateway.refresh('lf');
    expect(a.gateway.catalog.tools.map((t) => t.name)).toContain('lf_beta');
    await until(() => tc.notifications.some((n) => n.method === 'notifications/tools/list_changed'), 15_000, 'list_changed at the session on replica b');
    expect(b.gateway.catalog.tools.map((t) => t.name)).toContain('lf_beta');
    expect((await tc.client.listTools()).tools.map((t) => t.name)).toContain('lf_beta');
  });
});

describe('the address a replica advertises', () => {
  const cfg = (advertise?: string) => ({ version: 1, gateway: { cluster: { redis: 'redis://127.0.0.1:1', ...(advertise ? { advertise } : {}) } }, backends: {} }) as GatehouseConfig;
  it('is the setting (or the reference it names), else the listener, with a wildcard bind replaced by an address', async () => {
    expect(await advertisedAddress(cfg('http://10.42.0.17:7420/'), 'http://0.0.0.0:7420/mcp')).toBe('http://10.42.0.17:7420');
    process.env.GH_TEST_ADVERTISE = 'http://10.1.2.3:7420';
    expect(await advertisedAddress(cfg('env:GH_TEST_ADVERTISE'), undefined)).toBe('http://10.1.2.3:7420');
    expect(await advertisedAddress(cfg(), 'http://127.0.0.1:7420/mcp')).toBe('http://127.0.0.1:7420');
    expect(await advertisedAddress(cfg(), 'http://0.0.0.0:7420/mcp')).not.toMatch(/0\.0\.0\.0/);
    process.env.GH_TEST_ADVERTISE = 'not a url';
    await expect(advertisedAddress(cfg('env:GH_TEST_ADVERTISE'), undefined)).rejects.toThrow(/does not hold an http:\/\/host:port URL/);
  });
});
