// Rate limits end to end: a real gateway with real backends (server-everything over stdio, the
// 2026-07-28 fixture server over stdio) and SDK clients of both eras over streamable HTTP. Limits are
// per client (a glob), per tool and per backend; a limited call gets -32029 at once with the limit
// and retryAfterSeconds, other clients keep working, a reload changes limits without a restart, and
// `serve --stdio` limits the same way.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/load.js';
import { configSchema, type GatehouseConfig } from '../../../src/core/config/schema.js';
import type { GatewayEvent } from '../../../src/core/events.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, everythingStdio, modernStdio, tempDir, textOf, type ClientMode, type TempDir, type TestClient } from '../helpers.js';

async function callError(p: Promise<unknown>): Promise<ProtocolError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProtocolError);
  return e as ProtocolError;
}

const echo = (tc: TestClient, name: string, text: string) => tc.client.callTool({ name, arguments: name.startsWith('mod_') ? { text } : { message: text } });

function config(modRate: number): GatehouseConfig {
  return configSchema.parse({
    version: 1,
    gateway: { rateLimits: [{ match: { client: 'greedy-*' }, rate: 2, per: '1h' }] },
    backends: {
      ev: { ...everythingStdio(), toolRateLimits: { 'get-sum': { rate: 2, per: '1h' } } },
      mod: { ...modernStdio(), rateLimit: { rate: modRate, per: '1h' } },
    },
  });
}

describe('rate limits through a gateway, clients of both eras', () => {
  let gw: TestGateway;
  const clients = {} as Record<'greedyLegacy' | 'greedyModern' | 'calmLegacy' | 'calmModern', TestClient>;
  const limited = () => gw.events.filter((e): e is Extract<GatewayEvent, { type: 'ratelimit.limited' }> => e.type === 'ratelimit.limited');

  beforeAll(async () => {
    gw = await startGateway(config(3));
    await gw.ready();
    const open = (mode: ClientMode, name: string) => connectClient(mode, { url: gw.url }, { name });
    [clients.greedyLegacy, clients.greedyModern, clients.calmLegacy, clients.calmModern] = await Promise.all([
      open('http-legacy', 'greedy-legacy'),
      open('http-modern', 'greedy-modern'),
      open('http-legacy', 'calm-legacy'),
      open('http-modern', 'calm-modern'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  it('refuses a client past its own limit with -32029, the limit and retryAfterSeconds; other clients are not affected', async () => {
    for (const tc of [clients.greedyLegacy, clients.greedyModern]) {
      for (let i = 0; i < 2; i++) expect(textOf(await echo(tc, 'ev_echo', `${tc.name} ${i}`))).toContain(`${tc.name} ${i}`);
      const err = await callError(echo(tc, 'ev_echo', 'one too many'));
      expect(err.code).toBe(-32029);
      expect(err.message).toContain(`Rate limit reached: gateway.rateLimits[0] {client=greedy-*}: 2 per 1h, burst 2 for client "${tc.name}". Retry in `);
      const data = err.data as { retryAfterSeconds: number; limit: string; source: string; step: string };
      expect(data).toMatchObject({ step: 'ratelimit', source: 'gateway.rateLimits[0]', limit: 'gateway.rateLimits[0] {client=greedy-*}: 2 per 1h, burst 2', rate: 2, perSeconds: 3600, burst: 2 });
      // One token every 30 minutes.
      expect(data.retryAfterSeconds).toBeGreaterThan(1_700);
      expect(data.retryAfterSeconds).toBeLessThanOrEqual(1_800);
    }
    // Clients the rule does not match call on, in both eras.
    for (const tc of [clients.calmLegacy, clients.calmModern]) {
      for (let i = 0; i < 5; i++) expect(textOf(await echo(tc, 'ev_echo', `${tc.name} ${i}`))).toContain(`${tc.name} ${i}`);
    }
    expect(limited().map((e) => [e.backend, e.tool, e.limit])).toEqual([
      ['ev', 'ev_echo', 'gateway.rateLimits[0] {client=greedy-*}: 2 per 1h, burst 2'],
      ['ev', 'ev_echo', 'gateway.rateLimits[0] {client=greedy-*}: 2 per 1h, burst 2'],
    ]);
    // The refusal is observed as an error outcome with the limit's message (the dashboard's calls and errors views).
    const refused = gw.events.filter((e): e is Extract<GatewayEvent, { type: 'call.finished' }> => e.type === 'call.finished' && e.outcome === 'error');
    expect(refused.map((e) => e.client).sort()).toEqual(['greedy-legacy', 'greedy-modern']);
    expect(refused.every((e) => e.error?.startsWith('Rate limit reached: gateway.rateLimits[0]'))).toBe(true);
  });

  it('limits one tool for every client, and leaves the backend\'s other tools alone', async () => {
    const sum = (tc: TestClient) => tc.client.callTool({ name: 'ev_get-sum', arguments: { a: 1, b: 2 } });
    expect(textOf(await sum(clients.calmLegacy))).toContain('3');
    expect(textOf(await sum(clients.calmModern))).toContain('3');
    const err = await callError(sum(clients.calmLegacy));
    expect(err.code).toBe(-32029);
    expect(err.message).toMatch(/^Rate limit reached: backends\.ev\.toolRateLimits\.get-sum: 2 per 1h, burst 2\. Retry in \d+ s\.$/);
    expect((err.data as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    expect((await callError(sum(clients.calmModern))).code).toBe(-32029);
    expect(textOf(await echo(clients.calmModern, 'ev_echo', 'echo still fine'))).toContain('echo still fine');
    expect(limited().at(-1)).toMatchObject({ backend: 'ev', tool: 'ev_get-sum', limit: 'backends.ev.toolRateLimits.get-sum: 2 per 1h, burst 2' });
  });

  it('limits a backend as a whole, across clients and tools; a reload raises it without restarting the backend', async () => {
    expect(textOf(await echo(clients.calmLegacy, 'mod_echo', 'm1'))).toContain('m1');
    await clients.calmModern.client.callTool({ name: 'mod_add', arguments: { a: 1, b: 2 } });
    await echo(clients.calmModern, 'mod_echo', 'm3');
    const err = await callError(echo(clients.calmLegacy, 'mod_echo', 'm4'));
    expect(err.message).toMatch(/^Rate limit reached: backends\.mod\.rateLimit: 3 per 1h, burst 3\. Retry in \d+ s\.$/);
    expect((await callError(clients.calmModern.client.callTool({ name: 'mod_add', arguments: { a: 1, b: 1 } }))).code).toBe(-32029);
    // The other backend is not limited by it.
    expect(textOf(await echo(clients.calmLegacy, 'ev_echo', 'ev fine'))).toContain('ev fine');

    const before = gw.events.length;
    const summary = await gw.gateway.reconcile(config(10));
    expect(summary).toMatchObject({ restarted: [], unchanged: ['ev', 'mod'], settings: ['backends.mod.rateLimit'] });
    expect(gw.events.slice(before).some((e) => e.type === 'backend.state' && e.backend === 'mod')).toBe(false);
    // A changed limit is a new bucket: the raised limit applies at once.
    expect(textOf(await echo(clients.calmLegacy, 'mod_echo', 'after reload'))).toContain('after reload');
    expect(textOf(await echo(clients.calmModern, 'mod_echo', 'after reload 2'))).toContain('after reload 2');
  });
});

describe('rate limits follow the config file', () => {
  let gw: TestGateway;
  let dir: TempDir;
  let file: string;
  let tc: TestClient;
  const write = (gateway: Record<string, unknown>) => writeFileSync(file, stringify({ version: 1, gateway, backends: { ev: everythingStdio() } }));

  beforeAll(async () => {
    dir = tempDir('gatehouse-ratelimit-reload-');
    file = join(dir.path, 'gatehouse.yaml');
    write({ rateLimits: [{ rate: 1, per: '1h' }] });
    gw = await startGateway(parseConfigText(readFileSync(file, 'utf8'), file), { configPath: file, watchConfig: false });
    await gw.ready();
    tc = await connectClient('http-modern', { url: gw.url }, { name: 'reloading-modern' });
  }, 60_000);

  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    dir?.remove();
  });

  it('applies new gateway limits on reload, and keeps the last good ones when the new file cannot be applied', async () => {
    await echo(tc, 'ev_echo', 'first');
    expect((await callError(echo(tc, 'ev_echo', 'second'))).code).toBe(-32029);

    write({ rateLimits: [{ rate: 3, per: '1h' }] });
    expect(await gw.gateway.reload('api')).toMatchObject({ applied: true, summary: { settings: ['gateway.rateLimits'], restarted: [] } });
    for (let i = 0; i < 3; i++) expect(textOf(await echo(tc, 'ev_echo', `raised ${i}`))).toContain(`raised ${i}`);
    expect((await callError(echo(tc, 'ev_echo', 'past the raised limit'))).message).toMatch(/^Rate limit reached: gateway\.rateLimits\[0\]: 3 per 1h, burst 3\./);

    // A Redis reference that does not resolve: the reload is refused and says why; the limits in force stay.
    write({ rateLimits: [{ rate: 100, per: '1h' }], cluster: { redis: 'env:GATEHOUSE_TEST_NO_SUCH_VAR' } });
    const refused = await gw.gateway.reload('api');
    expect(refused).toMatchObject({ applied: false, error: { message: 'Environment variable GATEHOUSE_TEST_NO_SUCH_VAR is not set (referenced as "env:GATEHOUSE_TEST_NO_SUCH_VAR").' } });
    expect(gw.events.some((e) => e.type === 'config.invalid' && e.error.includes('GATEHOUSE_TEST_NO_SUCH_VAR'))).toBe(true);
    expect((await callError(echo(tc, 'ev_echo', 'still limited'))).message).toMatch(/3 per 1h/);

    // Limits removed: nothing is limited.
    write({});
    expect(await gw.gateway.reload('api')).toMatchObject({ applied: true });
    for (let i = 0; i < 5; i++) await echo(tc, 'ev_echo', `free ${i}`);
  });
});

describe('rate limits over stdio (`gatehouse serve --stdio`)', () => {
  let dir: TempDir;
  afterAll(async () => {
    await closeAllClients();
    dir?.remove();
  });

  it('refuses a 2026-07-28 stdio client past its limit with the same error', async () => {
    dir = tempDir('gatehouse-ratelimit-stdio-');
    const file = join(dir.path, 'gatehouse.yaml');
    writeFileSync(file, stringify({ version: 1, gateway: { rateLimits: [{ match: { tool: 'ev_echo' }, rate: 2, per: '1d' }] }, backends: { ev: everythingStdio() } }));
    const tc = await connectClient('stdio-modern', { configFile: file, configDir: dir.path }, { name: 'stdio-modern' });
    await echo(tc, 'ev_echo', 'one');
    await echo(tc, 'ev_echo', 'two');
    const err = await callError(echo(tc, 'ev_echo', 'three'));
    expect(err.code).toBe(-32029);
    expect(err.message).toMatch(/^Rate limit reached: gateway\.rateLimits\[0\] \{tool=ev_echo\}: 2 per 1d, burst 2\. Retry in \d+ s\.$/);
    expect((err.data as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(40_000);
    // Other tools of the backend are not limited by a rule on one tool.
    expect(textOf(await tc.client.callTool({ name: 'ev_get-sum', arguments: { a: 2, b: 2 } }))).toContain('4');
  });
});
