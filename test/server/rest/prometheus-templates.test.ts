import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestBackendConfig } from '../../../src/core/templates/build.js';
import type { RestUpstream } from '../../../src/server/upstream/rest.js';
import { seedAlertmanager, startAlertmanager, startPrometheus, type RunningPrometheus, type RunningService } from '../../helpers/prometheus.js';
import { call, json, started } from './helpers.js';

let prom: RunningPrometheus;
let am: RunningService;
let promUp: RestUpstream;
let amUp: RestUpstream;
let silenceId: string;

beforeAll(async () => {
  [prom, am] = await Promise.all([startPrometheus(), startAlertmanager()]);
  ({ silenceId } = await seedAlertmanager(am.url));
  promUp = await started('prom', buildRestBackendConfig({ name: 'prom', baseUrl: prom.url, template: 'prometheus' }));
  amUp = await started('am', buildRestBackendConfig({ name: 'am', baseUrl: am.url, template: 'alertmanager' }));
});

afterAll(async () => {
  await Promise.all([promUp?.stop(), amUp?.stop()]);
  await Promise.all([prom?.stop(), am?.stop()]);
});

type Vector = { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
type Matrix = { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };

describe('prometheus template against a real Prometheus', () => {
  it('lists its tools as read-only', () => {
    const tools = promUp.catalog().tools;
    expect(tools.map((t) => t.name).sort()).toEqual(['alerts', 'label_values', 'query', 'query_range', 'rules', 'series', 'targets']);
    for (const t of tools) expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('query returns the seeded gauge value at the last sample', async () => {
    const data = json<Vector>(await call(promUp, 'query', { query: 'gh_temperature', time: String(prom.data.t1) }));
    expect(data.resultType).toBe('vector');
    expect(data.result).toEqual([{ metric: { __name__: 'gh_temperature', room: 'kitchen', namespace: 'home' }, value: [prom.data.t1, '21.5'] }]);
  });

  it('query computes rates over the seeded counters', async () => {
    const data = json<Vector>(await call(promUp, 'query', { query: 'sum by (code) (rate(gh_requests_total{job="api"}[5m]))', time: String(prom.data.t1) }));
    const byCode = Object.fromEntries(data.result.map((r) => [r.metric.code, Number(r.value[1])]));
    expect(byCode).toEqual({ '200': 10, '500': 1 });
  });

  it('query_range returns one point per step', async () => {
    const { t0, t1 } = prom.data;
    const data = json<Matrix>(await call(promUp, 'query_range', { query: 'gh_temperature', start: String(t1 - 600), end: String(t1), step: '60s' }));
    expect(data.resultType).toBe('matrix');
    expect(data.result[0]!.values).toHaveLength(11);
    expect(data.result[0]!.values.every(([, v]) => v === '21.5')).toBe(true);
    expect(t0).toBeLessThan(t1);
  });

  it('series takes several selectors as repeated match[]', async () => {
    const { t0, t1 } = prom.data;
    const data = json<Array<Record<string, string>>>(
      await call(promUp, 'series', { match: ['gh_temperature', 'gh_requests_total{job="worker"}'], start: String(t0), end: String(t1) }),
    );
    expect(data.map((s) => s.__name__).sort()).toEqual(['gh_requests_total', 'gh_temperature']);
  });

  it('label_values puts the label in the path', async () => {
    const data = json<string[]>(await call(promUp, 'label_values', { label: 'namespace', start: String(prom.data.t0), end: String(prom.data.t1) }));
    expect(data).toEqual(['batch', 'home', 'shop']);
  });

  it('label_values refuses a label that is not a label name before any request', async () => {
    await expect(call(promUp, 'label_values', { label: '../../status/config' })).rejects.toMatchObject({ code: -32602 });
  });

  it('rules lists the recording and alerting rules', async () => {
    const groups = json<Array<{ name: string; rules: Array<{ name: string; type: string }> }>>(await call(promUp, 'rules', {}));
    expect(groups[0]!.rules.map((r) => [r.name, r.type])).toEqual([
      ['job:gh_requests:rate5m', 'recording'],
      ['GatehouseTestAlways', 'alerting'],
    ]);
    const alertOnly = json<Array<{ rules: unknown[] }>>(await call(promUp, 'rules', { type: 'alert' }));
    expect(alertOnly[0]!.rules).toHaveLength(1);
  });

  it('alerts lists the always-firing alert', async () => {
    // The rule manager evaluates at start; allow a few evaluation intervals.
    let alerts: Array<{ labels: Record<string, string>; state: string }> = [];
    for (let i = 0; i < 50 && !alerts.length; i++) {
      alerts = json(await call(promUp, 'alerts', {}));
      if (!alerts.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(alerts[0]).toMatchObject({ labels: { alertname: 'GatehouseTestAlways', severity: 'info' }, state: 'firing' });
  });

  it('targets lists the configured scrape target', async () => {
    // Service discovery publishes targets a few seconds after start; nothing is scraped.
    let active: Array<{ labels: Record<string, string> }> = [];
    for (let i = 0; i < 100 && !active.length; i++) {
      active = json<{ activeTargets: typeof active }>(await call(promUp, 'targets', { state: 'active' })).activeTargets;
      if (!active.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(active[0]!.labels.job).toBe('gatehouse-test');
  });

  it('a PromQL syntax error comes back as an isError result with the status and Prometheus message', async () => {
    const r = await call(promUp, 'query', { query: 'sum(' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/HTTP 400 Bad Request for GET \/api\/v1\/query.*parse error/);
  });

  it('missing required arguments are all listed, and nothing is sent', async () => {
    const err = await call(promUp, 'query_range', { query: 'up', step: 5 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: -32602 });
    const { violations } = (err as { data: { violations: Array<{ argument: string }> } }).data;
    expect(violations.map((v) => v.argument).sort()).toEqual(['end', 'start', 'step']);
  });
});

describe('alertmanager template against a real Alertmanager', () => {
  type Alert = { labels: Record<string, string>; status: { state: string; silencedBy: string[] } };

  it('alerts lists both seeded alerts with their silence state', async () => {
    const alerts = json<Alert[]>(await call(amUp, 'alerts', {}));
    const byName = Object.fromEntries(alerts.map((a) => [a.labels.alertname, a]));
    expect(Object.keys(byName).sort()).toEqual(['DiskFull', 'HighLatency']);
    expect(byName.DiskFull!.status).toMatchObject({ state: 'suppressed', silencedBy: [silenceId] });
    expect(byName.HighLatency!.status.state).toBe('active');
  });

  it('alerts filters with label matchers and booleans', async () => {
    const filtered = json<Alert[]>(await call(amUp, 'alerts', { filter: ['severity="warning"'] }));
    expect(filtered.map((a) => a.labels.alertname)).toEqual(['HighLatency']);
    const unsilenced = json<Alert[]>(await call(amUp, 'alerts', { silenced: false }));
    expect(unsilenced.map((a) => a.labels.alertname)).toEqual(['HighLatency']);
  });

  it('alert_groups groups by receiver', async () => {
    const groups = json<Array<{ receiver: { name: string }; alerts: unknown[] }>>(await call(amUp, 'alert_groups', {}));
    expect(groups[0]!.receiver.name).toBe('blackhole');
  });

  it('silences and get_silence return the seeded silence', async () => {
    const silences = json<Array<{ id: string; comment: string; status: { state: string } }>>(await call(amUp, 'silences', {}));
    expect(silences).toHaveLength(1);
    expect(silences[0]).toMatchObject({ id: silenceId, comment: 'maintenance window', status: { state: 'active' } });
    const one = json<{ id: string; createdBy: string }>(await call(amUp, 'get_silence', { id: silenceId }));
    expect(one).toMatchObject({ id: silenceId, createdBy: 'gatehouse-test' });
  });

  it('get_silence validates the UUID format before any request', async () => {
    await expect(call(amUp, 'get_silence', { id: '../status' })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('id: must match format "uuid"') });
  });

  it('status reports the version and the loaded config', async () => {
    const status = json<{ versionInfo: { version: string }; config: { original: string } }>(await call(amUp, 'status', {}));
    expect(status.versionInfo.version).toMatch(/^0\./);
    expect(status.config.original).toContain('blackhole');
  });
});
