import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestBackendConfig } from '../../../src/core/templates/build.js';
import type { RestUpstream } from '../../../src/server/upstream/rest.js';
import { startFixture, type FixtureServer, type RecordedRequest } from '../../fixtures/rest/recorder.js';
import { ARGOCD_TOKEN, K8S_TOKEN, SIGNOZ_KEY, argocd, kubernetes, longhorn, signoz } from '../../fixtures/rest/services.js';
import { call, json, started } from './helpers.js';

const env = {
  K8S_TOKEN,
  ARGOCD_TOKEN,
  SIGNOZ_KEY,
  CF_ID: 'cf-id.access',
  CF_SECRET: 'cf-secret',
};

interface Rig {
  server: FixtureServer;
  up: RestUpstream;
  last(): RecordedRequest;
}

const rigs: Rig[] = [];

async function rig(template: string, handler: Parameters<typeof startFixture>[0], secrets: string[] = []): Promise<Rig> {
  const server = await startFixture(handler);
  const cfg = buildRestBackendConfig({ name: template, baseUrl: server.url, template, secrets });
  const up = await started(template, cfg, { resolve: { env } });
  const r = { server, up, last: () => server.requests.at(-1)! };
  rigs.push(r);
  return r;
}

let k8s: Rig;
let argo: Rig;
let lh: Rig;
let sz: Rig;

beforeAll(async () => {
  k8s = await rig('kubernetes', kubernetes, ['TOKEN=env:K8S_TOKEN']);
  argo = await rig('argocd', argocd, ['TOKEN=env:ARGOCD_TOKEN']);
  lh = await rig('longhorn', longhorn, ['CF_ACCESS_CLIENT_ID=env:CF_ID', 'CF_ACCESS_CLIENT_SECRET=env:CF_SECRET']);
  sz = await rig('signoz', signoz, ['API_KEY=env:SIGNOZ_KEY']);
});

afterAll(async () => {
  for (const r of rigs) {
    await r.up.stop({ drainMs: 0 });
    await r.server.close();
  }
});

function q(req: RecordedRequest): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of new Set(req.query.keys())) {
    const all = req.query.getAll(k);
    out[k] = all.length > 1 ? all : all[0]!;
  }
  return out;
}

describe('kubernetes template', () => {
  it('list_pods sends the namespace in the path, selectors and a default limit, with the bearer token', async () => {
    const list = json<{ kind: string; items: unknown[]; metadata: { continue: string } }>(await call(k8s.up, 'list_pods', { namespace: 'shop', labelSelector: 'app=web,tier!=cache' }));
    expect(list.kind).toBe('PodList');
    expect(list.items).toHaveLength(2);
    expect(list.metadata.continue).toBe('next-page');
    const req = k8s.last();
    expect(req).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/shop/pods' });
    expect(q(req)).toEqual({ labelSelector: 'app=web,tier!=cache', limit: '100' });
    expect(req.headers.authorization).toBe(`Bearer ${K8S_TOKEN}`);
  });

  it('get_pod_logs returns plain text and sends tailLines/container/previous', async () => {
    const r = await call(k8s.up, 'get_pod_logs', { namespace: 'shop', name: 'web-1', container: 'web', previous: true });
    expect(r.content[0]!.text).toContain('starting nginx');
    expect(k8s.last().path).toBe('/api/v1/namespaces/shop/pods/web-1/log');
    expect(q(k8s.last())).toEqual({ container: 'web', tailLines: '200', previous: 'true' });
  });

  it('get_pod, list_nodes, list_deployments, get_deployment and list_events hit their endpoints', async () => {
    expect(json<{ kind: string }>(await call(k8s.up, 'get_pod', { namespace: 'shop', name: 'web-1' })).kind).toBe('Pod');
    expect(k8s.last().path).toBe('/api/v1/namespaces/shop/pods/web-1');
    expect(json<{ kind: string }>(await call(k8s.up, 'list_nodes', {})).kind).toBe('NodeList');
    expect(k8s.last().path).toBe('/api/v1/nodes');
    expect(json<{ kind: string }>(await call(k8s.up, 'list_deployments', { namespace: 'shop' })).kind).toBe('DeploymentList');
    expect(k8s.last().path).toBe('/apis/apps/v1/namespaces/shop/deployments');
    expect(json<{ kind: string }>(await call(k8s.up, 'get_deployment', { namespace: 'shop', name: 'web' })).kind).toBe('Deployment');
    expect(k8s.last().path).toBe('/apis/apps/v1/namespaces/shop/deployments/web');
    const events = json<{ items: Array<{ reason: string }> }>(await call(k8s.up, 'list_events', { namespace: 'shop', fieldSelector: 'involvedObject.name=web-2' }));
    expect(events.items[0]!.reason).toBe('BackOff');
    expect(q(k8s.last())).toEqual({ fieldSelector: 'involvedObject.name=web-2', limit: '100' });
  });

  it('a not-found pod returns the Kubernetes Status message as an error', async () => {
    const r = await call(k8s.up, 'get_pod', { namespace: 'shop', name: 'ghost' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('HTTP 404 Not Found for GET /api/v1/namespaces/shop/pods/ghost. Body: {"kind":"Status"');
  });

  it('namespace and name patterns stop traversal before any request', async () => {
    const n = k8s.server.requests.length;
    await expect(call(k8s.up, 'get_pod', { namespace: 'kube-system/../default', name: 'x' })).rejects.toMatchObject({ code: -32602 });
    await expect(call(k8s.up, 'list_pods', { namespace: 'shop', limit: 100000 })).rejects.toMatchObject({ code: -32602 });
    expect(k8s.server.requests.length).toBe(n);
  });

  it('needs its token: the template refuses to instantiate without it', () => {
    expect(() => buildRestBackendConfig({ name: 'k', baseUrl: 'https://10.0.0.1:6443', template: 'kubernetes' })).toThrow(/needs --secret TOKEN=<ref>/);
  });
});

describe('argocd template', () => {
  it('list_applications selects items and repeats projects', async () => {
    const items = json<Array<{ metadata: { name: string } }>>(await call(argo.up, 'list_applications', { projects: ['default', 'infra'], selector: 'team=payments' }));
    expect(items.map((a) => a.metadata.name)).toEqual(['checkout', 'payments']);
    expect(argo.last().path).toBe('/api/v1/applications');
    expect(q(argo.last())).toEqual({ projects: ['default', 'infra'], selector: 'team=payments' });
    expect(argo.last().headers.authorization).toBe(`Bearer ${ARGOCD_TOKEN}`);
    // No CF Access secrets were given, so those headers are left out entirely.
    expect(argo.last().headers['cf-access-client-id']).toBeUndefined();
  });

  it('get_application and get_app_history read one application; history is selected', async () => {
    expect(json<{ status: { health: { status: string } } }>(await call(argo.up, 'get_application', { name: 'checkout' })).status.health.status).toBe('Healthy');
    expect(argo.last().path).toBe('/api/v1/applications/checkout');
    const history = json<Array<{ id: number; revision: string }>>(await call(argo.up, 'get_app_history', { name: 'checkout' }));
    expect(history.map((h) => h.revision)).toEqual(['9f8e7d', 'a1b2c3']);
  });

  it('get_resource_tree selects nodes', async () => {
    const nodes = json<Array<{ kind: string }>>(await call(argo.up, 'get_resource_tree', { name: 'checkout' }));
    expect(nodes[0]!.kind).toBe('Deployment');
    expect(argo.last().path).toBe('/api/v1/applications/checkout/resource-tree');
  });

  it('a permission error says so, with the credentials hint', async () => {
    const r = await call(argo.up, 'get_application', { name: 'ghost' });
    expect(r.content[0]!.text).toMatch(/HTTP 403 Forbidden .*Check the credentials/);
  });
});

describe('longhorn template', () => {
  it('list_volumes selects data and sends the Cloudflare Access service token', async () => {
    const vols = json<Array<{ name: string; robustness: string }>>(await call(lh.up, 'list_volumes'));
    expect(vols.map((v) => v.name)).toEqual(['pvc-1', 'pvc-2']);
    expect(lh.last().headers).toMatchObject({ 'cf-access-client-id': 'cf-id.access', 'cf-access-client-secret': 'cf-secret' });
  });

  it('get_volume, list_backup_volumes', async () => {
    expect(json<{ robustness: string }>(await call(lh.up, 'get_volume', { name: 'pvc-1' })).robustness).toBe('degraded');
    expect(lh.last().path).toBe('/v1/volumes/pvc-1');
    expect(json<Array<{ lastBackupName: string }>>(await call(lh.up, 'list_backup_volumes'))[0]!.lastBackupName).toBe('backup-a');
  });

  it('list_backups is the read-only backupList action (POST) and is annotated read-only', async () => {
    const backups = json<Array<{ name: string; volumeName: string }>>(await call(lh.up, 'list_backups', { name: 'pvc-1' }));
    expect(backups).toMatchObject([{ name: 'backup-a', volumeName: 'pvc-1' }]);
    expect(lh.last()).toMatchObject({ method: 'POST', path: '/v1/backupvolumes/pvc-1', body: '{}' });
    expect(q(lh.last())).toEqual({ action: 'backupList' });
    expect(lh.up.catalog().tools.find((t) => t.name === 'list_backups')!.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });
});

describe('signoz template', () => {
  it('list_services posts the window in nanoseconds with the API key', async () => {
    const services = json<Array<{ serviceName: string }>>(await call(sz.up, 'list_services', { start: '1714557600000000000', end: '1714561200000000000' }));
    expect(services.map((s) => s.serviceName)).toEqual(['checkout', 'payments']);
    expect(sz.last()).toMatchObject({ method: 'POST', path: '/api/v1/services' });
    expect(JSON.parse(sz.last().body)).toEqual({ start: '1714557600000000000', end: '1714561200000000000', tags: [] });
    expect(sz.last().headers['signoz-api-key']).toBe(SIGNOZ_KEY);
  });

  it('search_logs builds a v3 builder query with the filters, limit and window', async () => {
    const filters = [{ key: { key: 'service.name', type: 'resource', dataType: 'string' }, op: '=', value: 'checkout' }];
    const result = json<Array<{ list: Array<{ data: { body: string } }> }>>(await call(sz.up, 'search_logs', { start: 1714557600000, end: 1714561200000, filters, limit: 20 }));
    expect(result[0]!.list[0]!.data.body).toBe('upstream timeout');
    const body = JSON.parse(sz.last().body);
    expect(sz.last().path).toBe('/api/v3/query_range');
    expect(body).toMatchObject({ start: 1714557600000, end: 1714561200000, compositeQuery: { queryType: 'builder', panelType: 'list' } });
    expect(body.compositeQuery.builderQueries.A).toMatchObject({ dataSource: 'logs', filters: { op: 'AND', items: filters }, limit: 20, pageSize: 20, offset: 0 });
  });

  it('search_traces asks for spans; get_trace reads one trace', async () => {
    const result = json<Array<{ list: Array<{ data: { traceID: string } }> }>>(await call(sz.up, 'search_traces', { start: 1, end: 2 }));
    const traceId = result[0]!.list[0]!.data.traceID;
    expect(JSON.parse(sz.last().body).compositeQuery.builderQueries.A).toMatchObject({ dataSource: 'traces', filters: { items: [] }, limit: 100 });
    const trace = json<Array<{ events: unknown[][] }>>(await call(sz.up, 'get_trace', { traceId }));
    expect(trace[0]!.events[0]![1]).toBe(traceId);
    expect(sz.last().path).toBe(`/api/v1/traces/${traceId}`);
  });

  it('list_alerts selects the rules', async () => {
    expect(json<Array<{ state: string }>>(await call(sz.up, 'list_alerts'))[0]!.state).toBe('firing');
    expect(sz.last().path).toBe('/api/v1/rules');
  });

  it('bad filter operators and window types are reported together before any request', async () => {
    const n = sz.server.requests.length;
    const err = await call(sz.up, 'search_logs', { start: 'yesterday', end: 2, filters: [{ key: { key: 'x' }, op: 'DROP TABLE' }] }).catch((e: unknown) => e);
    expect((err as { data: { violations: Array<{ argument: string }> } }).data.violations.map((v) => v.argument)).toEqual(['start', 'filters.0.op']);
    expect(sz.server.requests.length).toBe(n);
  });
});
