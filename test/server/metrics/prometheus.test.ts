// End to end: a real gateway with real backends (server-everything, a 2025 stdio server, and the
// 2026-07-28 fixture), SDK clients of both eras making an exact number of calls, and Debian's real
// Prometheus, started here on loopback, scraping gateway.metrics.listen once a second. A PromQL
// query over Prometheus's HTTP API must return exactly the calls made.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { freePort } from '../../helpers/prometheus.js';
import { closeAllClients, connectClient, everythingStdio, modernStdio, textOf, until } from '../helpers.js';

const LEGACY_CALLS = 7;
const MODERN_CALLS = 5;

interface Prom {
  url: string;
  child: ChildProcess;
  dir: string;
  log(): string;
}

async function startScraper(target: string): Promise<Prom> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-metrics-prom-'));
  const port = await freePort();
  await writeFile(
    join(dir, 'prometheus.yml'),
    ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:', '  - job_name: gatehouse', `    static_configs: [{targets: ['${target}']}]`, ''].join('\n'),
  );
  const child = spawn('prometheus', ['--config.file=prometheus.yml', `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => (log = (log + b.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('error', (e) => (log += `\nspawn failed: ${e.message} (is Debian's prometheus installed? scripts/install-deps.sh installs it)`));
  return { url: `http://127.0.0.1:${port}`, child, dir, log: () => log };
}

async function stopScraper(p: Prom | undefined): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null && p.child.signalCode === null) {
    const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  }
  await rm(p.dir, { recursive: true, force: true });
}

/** One instant-query value, or undefined while the series does not exist yet. */
async function query(p: Prom, promql: string): Promise<number | undefined> {
  const res = await fetch(`${p.url}/api/v1/query?query=${encodeURIComponent(promql)}`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

describe('metrics scraped by a real Prometheus', () => {
  let gw: TestGateway;
  let prom: Prom | undefined;
  let stateDir: string;
  let listen: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'gh-metrics-state-'));
    listen = `127.0.0.1:${await freePort()}`;
    gw = await startGateway({ gateway: { metrics: { listen } }, backends: { ev: everythingStdio(), mod: modernStdio() } }, { stateDir });
    await gw.ready();
    await until(() => Boolean(gw.gateway.catalog.resolveTool('ev_echo') && gw.gateway.catalog.resolveTool('mod_echo')), 15_000, 'both backends listed');
  });
  afterAll(async () => {
    await closeAllClients();
    await stopScraper(prom);
    await gw?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('counts exactly the calls clients of both eras made, as Prometheus sees them', async () => {
    const legacy = await connectClient('http-legacy', { url: gw.url }, { name: 'legacy-agent' });
    const modern = await connectClient('http-modern', { url: gw.url }, { name: 'modern-agent' });
    for (let i = 0; i < LEGACY_CALLS; i++) expect(textOf(await legacy.client.callTool({ name: 'ev_echo', arguments: { message: `m${i}` } }))).toBe(`Echo: m${i}`);
    for (let i = 0; i < MODERN_CALLS; i++) expect(textOf(await modern.client.callTool({ name: 'mod_echo', arguments: { text: `t${i}` } }))).toBe(`t${i}`);

    prom = await startScraper(listen);
    const p = prom;
    const total = 'sum(gatehouse_calls_total{job="gatehouse"})';
    await until(async () => (await query(p, total)) !== undefined, 60_000, `Prometheus to scrape ${listen}\n${p.log()}`);
    expect(await query(p, total)).toBe(LEGACY_CALLS + MODERN_CALLS);
    expect(await query(p, 'sum(gatehouse_calls_total{backend="ev",gen_ai_tool_name="ev_echo",outcome="ok"})')).toBe(LEGACY_CALLS);
    expect(await query(p, 'sum(gatehouse_calls_total{backend="mod",gen_ai_tool_name="mod_echo",outcome="ok"})')).toBe(MODERN_CALLS);
    expect(await query(p, 'sum(mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call"})')).toBe(LEGACY_CALLS + MODERN_CALLS);
    expect(await query(p, 'sum(mcp_server_operation_duration_seconds_bucket{mcp_method_name="tools/call",le="+Inf"})')).toBe(LEGACY_CALLS + MODERN_CALLS);
    // Prometheus reads the buckets as one histogram: a quantile of the ev_echo series exists and is within the buckets.
    const p50 = await query(p, 'histogram_quantile(0.5, sum by (le) (mcp_server_operation_duration_seconds_bucket{gen_ai_tool_name="ev_echo"}))');
    expect(p50).toBeGreaterThan(0);
    expect(p50).toBeLessThanOrEqual(300);
    expect(await query(p, 'sum(gatehouse_calls_in_flight)')).toBe(0);
    expect(await query(p, 'sum(gatehouse_backend_state{state="ready"})')).toBe(2);
    expect(await query(p, 'gatehouse_catalog_items{kind="tools"}')).toBe(gw.gateway.catalog.tools.length);
    // The legacy client holds a 2025 streamable-HTTP session while it is scraped.
    expect(await query(p, 'gatehouse_sessions{era="legacy",transport="streamable-http"}')).toBe(1);
    expect(await query(p, 'sum(gatehouse_call_request_bytes_total{backend="ev"})')).toBeGreaterThan(0);
    expect(await query(p, 'up{job="gatehouse"}')).toBe(1);
  });

  it('serves /metrics on the main port only with the admin token', async () => {
    const base = gw.url.replace(/\/mcp$/, '');
    const anonymous = await fetch(`${base}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('gatehouse_calls_total');
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
    const [record] = (await readdir(join(stateDir, 'run'))).filter((f) => f.startsWith('gateway-'));
    const { adminToken } = JSON.parse(await readFile(join(stateDir, 'run', record!), 'utf8')) as { adminToken: string };
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await ok.text()).toMatch(/^gatehouse_calls_total\{[^}]*gen_ai_tool_name="ev_echo"[^}]*\} \d+$/m);
    // The separate listener serves /metrics and nothing else.
    expect((await fetch(`http://${listen}/admin/status`)).status).toBe(404);
  });

  it('keeps label cardinality bounded when a client calls 50 random unknown tool names', async () => {
    const scrape = async () => (await fetch(`http://${listen}/metrics`)).text();
    const seriesOf = (text: string) => text.split('\n').filter((l) => /^(gatehouse_calls_total|mcp_server_operation_duration_seconds_bucket)\{/.test(l)).length;
    const client = await connectClient('http-modern', { url: gw.url }, { name: 'typo-agent' });
    // One unknown name first, so the _unknown series exist before the count is taken.
    await expect(client.client.callTool({ name: 'no_such_tool_warmup', arguments: {} })).rejects.toThrow(/no_such_tool_warmup|Unknown tool/i);
    const before = await scrape();
    const names = Array.from({ length: 50 }, () => `rnd_${Math.random().toString(36).slice(2, 10)}`);
    for (const name of names) await expect(client.client.callTool({ name, arguments: {} })).rejects.toThrow();
    const after = await scrape();
    expect(seriesOf(after)).toBe(seriesOf(before));
    for (const name of names) expect(after).not.toContain(name);
    const unknown = /^gatehouse_calls_total\{[^}]*gen_ai_tool_name="_unknown"[^}]*backend="_none"[^}]*outcome="denied"[^}]*\} (\d+)$/m.exec(after);
    expect(Number(unknown?.[1])).toBe(51);
  });
});
