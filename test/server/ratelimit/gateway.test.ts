// Rate limits end to end: a real gateway with real backends (server-everything over stdio, the
// 2026-07-28 fixture server over stdio) and SDK clients of both eras over streamable HTTP. Limits are
// per client (a glob), per tool and per backend; a limited call gets -32029 at once with the limit
// and retryAfterSeconds, other clients keep working, and a reload changes limits without a restart.
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type GatehouseConfig } from '../../../src/core/config/schema.js';
import type { GatewayEvent } from '../../../src/core/events.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, everythingStdio, modernStdio, textOf, type ClientMode, type TestClient } from '../helpers.js';

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
