import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free TCP port on loopback (the tiny race between close and reuse is acceptable in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningService {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, logs: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before ready:\n${logs()}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms:\n${logs()}`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })());
}

async function startProcess(cmd: string, args: string[], url: string, dir: string): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    await waitReady(url, child, () => log);
  } catch (e) {
    await stopper(child, dir)();
    throw e;
  }
  return child;
}

/**
 * Deterministic data, written as TSDB blocks before Prometheus starts, so no test waits for scrapes.
 * One sample a minute for an hour, ending two minutes before the start of the current minute.
 */
export interface PromData {
  /** First and last sample time, Unix seconds. */
  t0: number;
  t1: number;
  /** gh_requests_total grows by rate × 60 each minute, per series. */
  requestRates: Record<string, number>;
  temperature: number;
}

function openMetrics(data: PromData): string {
  const lines = ['# HELP gh_requests Requests served.', '# TYPE gh_requests counter'];
  const series: Array<[string, number]> = [
    ['job="api",instance="a:80",code="200",namespace="shop"', data.requestRates.ok!],
    ['job="api",instance="b:80",code="500",namespace="shop"', data.requestRates.error!],
    ['job="worker",instance="w:80",code="200",namespace="batch"', data.requestRates.worker!],
  ];
  for (const [labels, rate] of series) {
    let i = 0;
    for (let t = data.t0; t <= data.t1; t += 60, i++) lines.push(`gh_requests_total{${labels}} ${i * rate * 60} ${t}`);
  }
  lines.push('# HELP gh_temperature Room temperature.', '# TYPE gh_temperature gauge');
  for (let t = data.t0; t <= data.t1; t += 60) lines.push(`gh_temperature{room="kitchen",namespace="home"} ${data.temperature} ${t}`);
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

export interface RunningPrometheus extends RunningService {
  data: PromData;
}

export async function startPrometheus(opts: { alertmanagerUrl?: string } = {}): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-prom-'));
  const t1 = Math.floor(Date.now() / 60_000) * 60 - 120;
  const data: PromData = { t0: t1 - 3600, t1, requestRates: { ok: 10, error: 1, worker: 2 }, temperature: 21.5 };
  try {
    await writeFile(join(dir, 'in.om'), openMetrics(data));
    await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), join(dir, 'data')], { timeout: 30_000 });
    await writeFile(
      join(dir, 'rules.yml'),
      [
        'groups:',
        '  - name: gatehouse',
        '    rules:',
        '      - record: job:gh_requests:rate5m',
        '        expr: sum by (job) (rate(gh_requests_total[5m]))',
        '      - alert: GatehouseTestAlways',
        '        expr: vector(1)',
        '        labels: {severity: info}',
        '        annotations: {summary: always firing}',
        '',
      ].join('\n'),
    );
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const port = await freePort();
  const scrapePort = await freePort();
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  evaluation_interval: 1s',
      'rule_files: [rules.yml]',
      'scrape_configs:',
      // A target that is never scraped within a test (1h interval); it only has to be listed.
      '  - job_name: gatehouse-test',
      '    scrape_interval: 1h',
      `    static_configs: [{targets: ['127.0.0.1:${scrapePort}']}]`,
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${port}`;
  const child = await startProcess(
    'prometheus',
    ['--config.file=prometheus.yml', `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=30d'],
    url,
    dir,
  );
  return { url, port, dir, data, stop: stopper(child, dir) };
}

export async function startAlertmanager(): Promise<RunningService> {
  const dir = await mkdtemp(join(tmpdir(), 'gh-am-'));
  await writeFile(join(dir, 'alertmanager.yml'), 'route: {receiver: blackhole}\nreceivers: [{name: blackhole}]\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startProcess(
    'prometheus-alertmanager',
    ['--config.file=alertmanager.yml', `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    url,
    dir,
  );
  return { url, port, dir, stop: stopper(child, dir) };
}

/** Seeds Alertmanager directly (the tools under test are read-only): two alerts, one silenced. */
export async function seedAlertmanager(url: string): Promise<{ silenceId: string }> {
  const alerts = [
    { labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' }, annotations: { summary: 'Disk is full on db-1' } },
    { labels: { alertname: 'HighLatency', severity: 'warning', service: 'checkout' }, annotations: { summary: 'p99 over 2s' } },
  ];
  const res = await fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
  if (!res.ok) throw new Error(`seeding alerts: HTTP ${res.status} ${await res.text()}`);
  const silence = {
    matchers: [{ name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true }],
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 3_600_000).toISOString(),
    createdBy: 'gatehouse-test',
    comment: 'maintenance window',
  };
  const s = await fetch(`${url}/api/v2/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(silence) });
  if (!s.ok) throw new Error(`seeding silence: HTTP ${s.status} ${await s.text()}`);
  const { silenceID } = (await s.json()) as { silenceID: string };
  // Alertmanager applies silences to alerts asynchronously; wait (bounded) until the alert shows it.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const list = (await (await fetch(`${url}/api/v2/alerts?filter=${encodeURIComponent('alertname="DiskFull"')}`)).json()) as Array<{ status: { silencedBy: string[] } }>;
    if (list[0]?.status.silencedBy.includes(silenceID)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { silenceId: silenceID };
}
