// The metrics that come from gateway events and live state, through a real gateway: guarded-write
// plans, backend restarts, rate-limited calls, auth failures (real bearer auth), and gateway.metrics
// applied live on reload (on, off, a moved listener, a port that cannot be bound).
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { freePort } from '../../helpers/prometheus.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, everythingStdio, NODE, tempDir, textOf, until, writeConfig } from '../helpers.js';

/** One sample's value from a scrape, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function scrape(gw: TestGateway): Promise<string> {
  const s = await gw.gateway.metrics.scrape();
  if (!s) throw new Error('metrics are off');
  return s.body;
}

const failing = { type: 'stdio' as const, command: NODE, args: ['-e', 'setTimeout(() => process.exit(3), 20)'] };

describe('event and state metrics', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ backends: { ev: everythingStdio({ approval: 'required' }), broken: failing } });
    await gw.ready();
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  it('counts plans by state and their transitions', async () => {
    const tc = await connectClient('http-legacy', { url: gw.url });
    const res = await tc.client.callTool({ name: 'ev_echo', arguments: { message: 'guarded' } });
    expect(textOf(res)).toMatch(/Not executed: ev_echo is a guarded tool/);
    const text = await scrape(gw);
    expect(sample(text, 'gatehouse_plans', { state: 'pending' })).toBe(1);
    expect(sample(text, 'gatehouse_plan_transitions_total', { state: 'pending' })).toBe(1);
    // The guarded call answered with a plan: an ok call of the tool, not a backend call.
    expect(sample(text, 'gatehouse_calls_total', { gen_ai_tool_name: 'ev_echo', outcome: 'ok' })).toBe(1);
  });

  it('counts supervised restarts of a failing backend, and shows its state', async () => {
    await until(() => gw.events.filter((e) => e.type === 'backend.state' && e.backend === 'broken' && e.state === 'starting').length >= 3, 20_000, 'two restarts of the broken backend');
    const text = await scrape(gw);
    expect(sample(text, 'gatehouse_backend_restarts_total', { backend: 'broken', reason: 'failure' })).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'gatehouse_backend_state', { backend: 'ev', state: 'ready' })).toBe(1);
    expect(sample(text, 'gatehouse_backend_state', { backend: 'ev', state: 'failed' })).toBe(0);
  });

  it('counts ratelimit.limited under configured names only', async () => {
    gw.gateway.bus.emit('ratelimit.limited', { backend: 'ev', tool: 'ev_echo', limit: 'rateLimits[0]' });
    gw.gateway.bus.emit('ratelimit.limited', { backend: 'ev', tool: 'typed-by-a-client', limit: 'rateLimits[0]' });
    gw.gateway.bus.emit('ratelimit.limited', { backend: 'not-configured', tool: 'x', limit: 'rateLimits[1]' });
    const text = await scrape(gw);
    expect(sample(text, 'gatehouse_ratelimited_calls_total', { backend: 'ev', gen_ai_tool_name: 'ev_echo' })).toBe(1);
    expect(sample(text, 'gatehouse_ratelimited_calls_total', { backend: 'ev', gen_ai_tool_name: '_unknown' })).toBe(1);
    expect(sample(text, 'gatehouse_ratelimited_calls_total', { backend: '_unknown', gen_ai_tool_name: '_unknown' })).toBe(1);
    expect(text).not.toContain('typed-by-a-client');
    expect(text).not.toContain('not-configured');
  });
});

describe('auth failure metrics', () => {
  let gw: TestGateway;
  const dir = tempDir('gh-metrics-auth-');

  beforeAll(async () => {
    const auth = buildInboundAuth({ mode: 'bearer' }, { configDir: dir.path });
    gw = await startGateway({ backends: {} }, { authenticate: auth.authenticate });
  });
  afterAll(async () => {
    await gw?.stop();
    dir.remove();
  });

  it('counts refusals by mode and a fixed reason', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await fetch(gw.url, { method: 'POST', headers, body })).status).toBe(401);
    expect((await fetch(gw.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer gth_not_a_real_token_at_all' }, body })).status).toBe(401);
    expect((await fetch(gw.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer gth_another_wrong_token' }, body })).status).toBe(401);
    const text = await scrape(gw);
    expect(sample(text, 'gatehouse_auth_failures_total', { mode: 'bearer', reason: 'missing' })).toBe(1);
    expect(sample(text, 'gatehouse_auth_failures_total', { mode: 'bearer', reason: 'unknown_token' })).toBe(2);
    expect(text).not.toContain('gth_');
  });
});

describe('gateway.metrics on reload', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ gateway: { metrics: { enabled: false } }, backends: { ev: everythingStdio() } });
    await gw.ready();
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  it('turns on, moves its listener, keeps the old one when the new port is taken, and turns off', async () => {
    expect(gw.gateway.metrics.enabled).toBe(false);
    expect(await gw.gateway.metrics.scrape()).toBeUndefined();
    const tc = await connectClient('http-modern', { url: gw.url });
    await tc.client.callTool({ name: 'ev_echo', arguments: { message: 'uncounted' } });

    const first = `127.0.0.1:${await freePort()}`;
    const on = await gw.gateway.reconcile({ version: 1, gateway: { metrics: { listen: first } }, backends: { ev: everythingStdio() } });
    expect(on.settings).toContain('gateway.metrics');
    expect(on.restartNeeded).toEqual([]);
    await tc.client.callTool({ name: 'ev_echo', arguments: { message: 'counted' } });
    const scraped = await (await fetch(`http://${first}/metrics`)).text();
    expect(sample(scraped, 'gatehouse_calls_total', { gen_ai_tool_name: 'ev_echo', outcome: 'ok' })).toBe(1);

    // A port something else holds: the reload fails, naming the setting, and the listener stays.
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const taken = `127.0.0.1:${(holder.address() as { port: number }).port}`;
    try {
      await expect(gw.gateway.reconcile({ version: 1, gateway: { metrics: { listen: taken } }, backends: { ev: everythingStdio() } })).rejects.toThrow(`gateway.metrics.listen: cannot bind ${taken}: the port is in use.`);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
    expect((await fetch(`http://${first}/metrics`)).status).toBe(200);

    const second = `127.0.0.1:${await freePort()}`;
    await gw.gateway.reconcile({ version: 1, gateway: { metrics: { listen: second } }, backends: { ev: everythingStdio() } });
    await expect(fetch(`http://${first}/metrics`)).rejects.toThrow();
    expect(sample(await (await fetch(`http://${second}/metrics`)).text(), 'gatehouse_calls_total', { gen_ai_tool_name: 'ev_echo', outcome: 'ok' })).toBe(1);

    // The same port on the other loopback address: the old listener makes way first.
    const v6 = `[::1]:${second.split(':')[1]}`;
    await gw.gateway.reconcile({ version: 1, gateway: { metrics: { listen: v6 } }, backends: { ev: everythingStdio() } });
    expect(gw.gateway.metrics.listenUrl).toBe(`http://${v6}/metrics`);
    expect((await fetch(`http://${v6}/metrics`)).status).toBe(200);
    await expect(fetch(`http://${second}/metrics`)).rejects.toThrow();

    await gw.gateway.reconcile({ version: 1, gateway: { metrics: { enabled: false, listen: v6 } }, backends: { ev: everythingStdio() } });
    await expect(fetch(`http://${v6}/metrics`)).rejects.toThrow();
    expect(gw.gateway.metrics.enabled).toBe(false);
    expect(textOf(await tc.client.callTool({ name: 'ev_echo', arguments: { message: 'off again' } }))).toBe('Echo: off again');
  });
});

describe('serve --stdio and gateway.metrics.listen', () => {
  const dir = tempDir('gh-metrics-stdio-');
  afterAll(async () => {
    await closeAllClients();
    dir.remove();
  });

  it('two stdio clients of one config both start, and neither binds the metrics port', async () => {
    const listen = `127.0.0.1:${await freePort()}`;
    const configFile = writeConfig(dir.path, { ev: everythingStdio() }, { metrics: { listen } });
    const a = await connectClient('stdio-legacy', { configFile, configDir: dir.path }, { name: 'stdio-a' });
    const b = await connectClient('stdio-legacy', { configFile, configDir: dir.path }, { name: 'stdio-b' });
    for (const tc of [a, b]) expect(textOf(await tc.client.callTool({ name: 'ev_echo', arguments: { message: tc.name } }))).toBe(`Echo: ${tc.name}`);
    await expect(fetch(`http://${listen}/metrics`)).rejects.toThrow();
  });
});
