import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restBackendSchema } from '../../../src/core/config/schema.js';
import { importOpenApi, parseSpecText } from '../../../src/core/openapi/import.js';
import type { RestUpstream } from '../../../src/server/upstream/rest.js';
import { seedAlertmanager, startAlertmanager, startPrometheus, type RunningPrometheus, type RunningService } from '../../helpers/prometheus.js';
import { call, json, started } from './helpers.js';

const spec = (f: string) => parseSpecText(readFileSync(new URL(`../../fixtures/rest/openapi/${f}`, import.meta.url), 'utf8'), f);

let prom: RunningPrometheus;
let am: RunningService;
let promUp: RestUpstream;
let amUp: RestUpstream;
let silenceId: string;

beforeAll(async () => {
  [prom, am] = await Promise.all([startPrometheus(), startAlertmanager()]);
  ({ silenceId } = await seedAlertmanager(am.url));
  const p = importOpenApi(spec('prometheus.openapi.yaml'), { baseUrl: prom.url });
  promUp = await started('prom', restBackendSchema.parse({ type: 'rest', baseUrl: prom.url, tools: p.tools }));
  const a = importOpenApi(spec('alertmanager.swagger.yaml'), { baseUrl: am.url, allowWrites: true });
  amUp = await started('am', restBackendSchema.parse({ type: 'rest', baseUrl: am.url, tools: a.tools, allowWrites: true }));
});

afterAll(async () => {
  await Promise.all([promUp?.stop(), amUp?.stop()]);
  await Promise.all([prom?.stop(), am?.stop()]);
});

describe('OpenAPI-imported Prometheus tools against a real Prometheus', () => {
  it('query (params via $ref chains) returns the seeded value', async () => {
    const r = json<{ status: string; data: { result: Array<{ value: [number, string] }> } }>(await call(promUp, 'query', { query: 'gh_temperature', time: String(prom.data.t1) }));
    expect(r.status).toBe('success');
    expect(r.data.result[0]!.value).toEqual([prom.data.t1, '21.5']);
  });

  it('query also accepts an RFC 3339 time (oneOf)', async () => {
    const time = new Date(prom.data.t1 * 1000).toISOString();
    const r = json<{ data: { result: Array<{ value: [number, string] }> } }>(await call(promUp, 'query', { query: 'gh_temperature', time }));
    expect(r.data.result[0]!.value[1]).toBe('21.5');
  });

  it('queryRange with a numeric step', async () => {
    const { t1 } = prom.data;
    const r = json<{ data: { result: Array<{ values: unknown[] }> } }>(await call(promUp, 'queryRange', { query: 'sum(rate(gh_requests_total[5m]))', start: String(t1 - 300), end: String(t1), step: 60 }));
    expect(r.data.result[0]!.values).toHaveLength(6);
    expect(r.data.result[0]!.values.at(-1)).toEqual([t1, '13']);
  });

  it('series with match[] from an exploded array', async () => {
    const r = json<{ data: Array<Record<string, string>> }>(await call(promUp, 'series', { 'match[]': ['gh_requests_total{namespace="batch"}'], start: String(prom.data.t0), end: String(prom.data.t1) }));
    expect(r.data).toEqual([{ __name__: 'gh_requests_total', code: '200', instance: 'w:80', job: 'worker', namespace: 'batch' }]);
  });

  it('get_labels (no operationId) and get_label_by_name_values (path-level parameter)', async () => {
    const labels = json<{ data: string[] }>(await call(promUp, 'get_labels', {}));
    expect(labels.data).toEqual(expect.arrayContaining(['__name__', 'code', 'instance', 'job', 'namespace', 'room']));
    const values = json<{ data: string[] }>(await call(promUp, 'get_label_by_name_values', { name: 'job', 'match[]': ['gh_requests_total'] }));
    expect(values.data).toEqual(['api', 'worker']);
  });

  it('buildInfo reports the Debian package version', async () => {
    const r = json<{ data: { version: string } }>(await call(promUp, 'buildInfo', {}));
    expect(r.data.version).toMatch(/^2\.\d+\.\d+/);
  });

  it('the write operation in the spec was not imported', () => {
    expect(promUp.catalog().tools.map((t) => t.name)).not.toContain('deleteSeries');
  });
});

describe('OpenAPI-imported Alertmanager tools (Swagger 2.0) against a real Alertmanager', () => {
  it('getAlerts with multi filter and boolean defaults', async () => {
    const alerts = json<Array<{ labels: Record<string, string> }>>(await call(amUp, 'getAlerts', { filter: ['alertname="HighLatency"'] }));
    expect(alerts.map((a) => a.labels.service)).toEqual(['checkout']);
  });

  it('getStatus and getReceivers', async () => {
    expect(json<{ config: { original: string } }>(await call(amUp, 'getStatus', {})).config.original).toContain('blackhole');
    expect(json<Array<{ name: string }>>(await call(amUp, 'getReceivers', {})).map((r) => r.name)).toEqual(['blackhole']);
  });

  it('getSilence reads the seeded silence (path-level uuid parameter)', async () => {
    expect(json<{ id: string; comment: string }>(await call(amUp, 'getSilence', { silenceID: silenceId }))).toMatchObject({ id: silenceId, comment: 'maintenance window' });
  });

  it('with allowWrites, postSilences and deleteSilence change Alertmanager, and are marked destructive', async () => {
    const tools = Object.fromEntries(amUp.catalog().tools.map((t) => [t.name, t.annotations]));
    expect(tools.postSilences).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    const now = Date.now();
    const body = {
      matchers: [{ name: 'service', value: 'checkout', isRegex: false }],
      startsAt: new Date(now).toISOString(),
      endsAt: new Date(now + 600_000).toISOString(),
      createdBy: 'gatehouse-openapi',
      comment: 'created through an imported tool',
    };
    const { silenceID } = json<{ silenceID: string }>(await call(amUp, 'postSilences', { body }));
    expect(json<{ createdBy: string; status: { state: string } }>(await call(amUp, 'getSilence', { silenceID }))).toMatchObject({ createdBy: 'gatehouse-openapi', status: { state: 'active' } });
    await call(amUp, 'deleteSilence', { silenceID });
    expect(json<{ status: { state: string } }>(await call(amUp, 'getSilence', { silenceID })).status.state).toBe('expired');
  });

  it('a body that breaks the imported schema (allOf + required matchers) is refused before any request', async () => {
    const err = await call(amUp, 'postSilences', { body: { matchers: [], comment: 1 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: -32602 });
    const args = (err as { data: { violations: Array<{ argument: string }> } }).data.violations.map((v) => v.argument);
    expect(args).toEqual(expect.arrayContaining(['body.matchers', 'body.startsAt', 'body.endsAt', 'body.createdBy', 'body.comment']));
  });
});
