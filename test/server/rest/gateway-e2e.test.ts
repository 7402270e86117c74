// The REST backend kind through the whole gateway: a real MCP client (SDK v2, both eras, streamable
// HTTP) lists and calls Prometheus and Alertmanager template tools and OpenAPI-imported tools,
// served from real services, under the naming policy's prefixes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importOpenApi, parseSpecText } from '../../../src/core/openapi/import.js';
import { buildRestBackendConfig } from '../../../src/core/templates/build.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { seedAlertmanager, startAlertmanager, startPrometheus, type RunningPrometheus, type RunningService } from '../../helpers/prometheus.js';
import { closeAllClients, connectClient, textOf, type TestClient } from '../helpers.js';

let prom: RunningPrometheus;
let am: RunningService;
let gw: TestGateway;

beforeAll(async () => {
  [prom, am] = await Promise.all([startPrometheus(), startAlertmanager()]);
  await seedAlertmanager(am.url);
  const spec = parseSpecText(readFileSync(new URL('../../fixtures/rest/openapi/prometheus.openapi.yaml', import.meta.url), 'utf8'), 'prometheus.openapi.yaml');
  gw = await startGateway({
    backends: {
      prom: buildRestBackendConfig({ name: 'prom', baseUrl: prom.url, template: 'prometheus' }),
      am: buildRestBackendConfig({ name: 'am', baseUrl: am.url, template: 'alertmanager' }),
      promapi: { type: 'rest', baseUrl: prom.url, tools: importOpenApi(spec, { baseUrl: prom.url }).tools },
    },
  });
  await gw.ready();
  for (const u of gw.gateway.upstreams) expect(u.state, `${u.name}: ${u.lastError}`).toBe('ready');
});

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
  await Promise.all([prom?.stop(), am?.stop()]);
});

describe.each(['http-modern', 'http-legacy'] as const)('%s client', (mode) => {
  let tc: TestClient;
  beforeAll(async () => {
    tc = await connectClient(mode, { url: gw.url }, { name: `rest-${mode}` });
  });

  it('lists the REST tools under their backend prefixes with read-only annotations', async () => {
    const { tools } = await tc.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['prom_query', 'prom_query_range', 'am_alerts', 'am_silences', 'promapi_query', 'promapi_get_label_by_name_values']));
    expect(tools.find((t) => t.name === 'prom_query')!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('calls a Prometheus template tool and gets the seeded data', async () => {
    const r = await tc.client.callTool({ name: 'prom_query', arguments: { query: 'gh_temperature', time: String(prom.data.t1) } });
    expect(r.isError).toBeFalsy();
    expect(JSON.parse(textOf(r))).toMatchObject({ resultType: 'vector', result: [{ value: [prom.data.t1, '21.5'] }] });
  });

  it('calls an Alertmanager template tool', async () => {
    const r = await tc.client.callTool({ name: 'am_alerts', arguments: { filter: ['alertname="DiskFull"'] } });
    const alerts = JSON.parse(textOf(r)) as Array<{ labels: Record<string, string>; status: { state: string } }>;
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ labels: { instance: 'db-1' }, status: { state: 'suppressed' } });
  });

  it('calls an OpenAPI-imported tool', async () => {
    const r = await tc.client.callTool({ name: 'promapi_get_label_by_name_values', arguments: { name: 'room' } });
    expect(JSON.parse(textOf(r))).toEqual({ status: 'success', data: ['kitchen'] });
  });

  it('invalid arguments come back as an MCP error listing each problem; a backend error as an isError result', async () => {
    await expect(tc.client.callTool({ name: 'prom_query_range', arguments: { query: 'up' } })).rejects.toThrow(/start: is required[\s\S]*end: is required[\s\S]*step: is required/);
    const bad = await tc.client.callTool({ name: 'prom_query', arguments: { query: 'sum(' } });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toContain('Backend "prom" returned HTTP 400 Bad Request');
  });
});
