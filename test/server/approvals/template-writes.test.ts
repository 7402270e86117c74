// The templates' guarded write tools end to end: a real gateway with the kubernetes, argocd and
// longhorn templates (allowWrites on) in front of loopback fixtures in those APIs' shapes, a real SDK
// client, and approval through the admin API. Each fixture records every request, so a test sees that
// a write arrives only after approval, exactly once, with the approved method, path and JSON body.
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackendConfig, GatehouseConfig } from '../../../src/core/config/schema.js';
import { runStatePath } from '../../../src/core/config/run-state.js';
import { buildRestBackendConfig } from '../../../src/core/templates/build.js';
import { startFixture, sendJson, type FixtureServer, type Handler, type RecordedRequest } from '../../fixtures/rest/recorder.js';
import { ARGOCD_TOKEN, K8S_TOKEN, argocd, kubernetes, longhorn } from '../../fixtures/rest/services.js';
import { makeTempDir } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, textOf, type TestClient } from '../helpers.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

/** The reads go to the shared fixtures; the writes these templates add are answered here. */
const writesToo =
  (reads: Handler, writes: (req: RecordedRequest) => unknown | undefined): Handler =>
  (req, res) => {
    if (req.method === 'GET') return reads(req, res);
    const body = writes(req);
    return body === undefined ? reads(req, res) : sendJson(res, 200, body);
  };

const k8sWrites = (req: RecordedRequest) => {
  if (req.headers.authorization !== `Bearer ${K8S_TOKEN}` || req.method !== 'PATCH') return undefined;
  let m: RegExpExecArray | null;
  if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(req.path))) {
    return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: m[2], namespace: m[1] }, spec: JSON.parse(req.body).spec, status: { replicas: 3 } };
  }
  if ((m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)$/.exec(req.path))) return { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: m[2], namespace: m[1], generation: 8 } };
  return undefined;
};
const argoWrites = (req: RecordedRequest) => {
  const m = /^\/api\/v1\/applications\/([^/]+)\/sync$/.exec(req.path);
  if (!m || req.method !== 'POST' || req.headers.authorization !== `Bearer ${ARGOCD_TOKEN}`) return undefined;
  return { metadata: { name: m[1] }, operation: { sync: JSON.parse(req.body) }, status: { operationState: { phase: 'Running' } } };
};
const longhornWrites = (req: RecordedRequest) => {
  const m = /^\/v1\/volumes\/([^/]+)$/.exec(req.path);
  if (!m || req.method !== 'POST' || req.query.get('action') !== 'snapshotCreate') return undefined;
  return { id: JSON.parse(req.body).name ?? 'snap-auto', type: 'snapshot', volume: m[1] };
};

let k8s: FixtureServer;
let argo: FixtureServer;
let lh: FixtureServer;
let gw: TestGateway;
let tc: TestClient;
let admin: (path: string, body?: unknown) => Promise<{ status: number; body: Record<string, any> }>;

function templated(name: string, template: string, url: string, secrets: string[], extra: Partial<BackendConfig> = {}): BackendConfig {
  return { ...buildRestBackendConfig({ name, baseUrl: url, template, secrets, allowWrites: true }), ...extra } as BackendConfig;
}

beforeAll(async () => {
  process.env.GH_TPL_K8S_TOKEN = K8S_TOKEN;
  process.env.GH_TPL_ARGO_TOKEN = ARGOCD_TOKEN;
  [k8s, argo, lh] = await Promise.all([startFixture(writesToo(kubernetes, k8sWrites)), startFixture(writesToo(argocd, argoWrites)), startFixture(writesToo(longhorn, longhornWrites))]);
  const dir = makeTempDir();
  const backends: GatehouseConfig['backends'] = {
    // The operator narrows the namespace and tries to widen replicas: the template's 0-5 still holds.
    k8s: templated('k8s', 'kubernetes', k8s.url, ['TOKEN=env:GH_TPL_K8S_TOKEN'], { constraints: { scale_deployment: { namespace: { enum: ['shop'] }, replicas: { maximum: 10 } }, set_image: { image: { pattern: '^registry\\.example\\.com/' } } } }),
    argo: templated('argo', 'argocd', argo.url, ['TOKEN=env:GH_TPL_ARGO_TOKEN'], { constraints: { sync_application: { name: { enum: ['checkout'] } } } }),
    lh: templated('lh', 'longhorn', lh.url, [], { constraints: { create_snapshot: { name: { enum: ['pvc-1'] } } } }),
    // Without allowWrites the template's write tools are simply not there.
    ro: { ...buildRestBackendConfig({ name: 'ro', baseUrl: k8s.url, template: 'kubernetes', secrets: ['TOKEN=env:GH_TPL_K8S_TOKEN'] }) } as BackendConfig,
  };
  gw = await startGateway({ backends }, { stateDir: dir });
  await gw.ready();
  const state = JSON.parse(await readFile(runStatePath(dir), 'utf8')) as { adminToken: string };
  const base = gw.url.replace(/\/mcp$/, '/admin');
  admin = async (path, body) => {
    const res = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${state.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
});

afterEach(async () => {
  await closeAllClients();
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([k8s?.close(), argo?.close(), lh?.close()]);
  delete process.env.GH_TPL_K8S_TOKEN;
  delete process.env.GH_TPL_ARGO_TOKEN;
});

const nonGet = (fx: FixtureServer) => fx.requests.filter((r) => r.method !== 'GET');

describe('template write tools', () => {
  it('are listed guarded, with the template constraints narrowed by the operator, and only where allowWrites is set', async () => {
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'agent' });
    const { tools } = await tc.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const n of ['k8s_scale_deployment', 'k8s_restart_deployment', 'k8s_set_image', 'argo_sync_application', 'lh_create_snapshot']) {
      expect(byName.get(n)?.description, n).toMatch(/\[Guarded: a call creates a plan/);
    }
    const scale = byName.get('k8s_scale_deployment')!.inputSchema.properties!;
    expect(scale.replicas).toMatchObject({ type: 'integer', minimum: 0, maximum: 5 });
    expect(scale.namespace).toMatchObject({ enum: ['shop'] });
    expect(byName.get('argo_sync_application')!.inputSchema.properties!.name).toMatchObject({ enum: ['checkout'] });
    expect(byName.get('k8s_list_pods')!.description).not.toMatch(/Guarded/);
    expect([...byName.keys()].filter((n) => n.startsWith('ro_')).sort()).toEqual(['ro_get_deployment', 'ro_get_pod', 'ro_get_pod_logs', 'ro_list_deployments', 'ro_list_events', 'ro_list_nodes', 'ro_list_pods']);
  });

  const cases = [
    {
      tool: 'k8s_scale_deployment',
      fx: () => k8s,
      args: { namespace: 'shop', name: 'web', replicas: 3 },
      refused: [
        [{ namespace: 'shop', name: 'web', replicas: 6 }, /replicas: must be <= 5/],
        [{ namespace: 'kube-system', name: 'web', replicas: 1 }, /namespace: must be one of "shop"/],
      ],
      sent: { method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/deployments/web/scale', type: 'application/merge-patch+json', body: { spec: { replicas: 3 } } },
    },
    {
      tool: 'k8s_restart_deployment',
      fx: () => k8s,
      args: { namespace: 'shop', name: 'web', restartedAt: '2026-05-01T10:00:00Z' },
      refused: [],
      sent: {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/shop/deployments/web',
        type: 'application/strategic-merge-patch+json',
        body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-05-01T10:00:00Z' } } } } },
      },
    },
    {
      tool: 'k8s_set_image',
      fx: () => k8s,
      args: { namespace: 'shop', name: 'web', container: 'web', image: 'registry.example.com/web:1.26' },
      refused: [[{ namespace: 'shop', name: 'web', container: 'web', image: 'evil.example/web:1' }, /image: must match pattern/]],
      sent: {
        method: 'PATCH',
        path: '/apis/apps/v1/namespaces/shop/deployments/web',
        type: 'application/strategic-merge-patch+json',
        body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.example.com/web:1.26' }] } } } },
      },
    },
    {
      tool: 'argo_sync_application',
      fx: () => argo,
      args: { name: 'checkout', revision: 'a1b2c3' },
      refused: [[{ name: 'payments' }, /name: must be one of "checkout"/]],
      sent: { method: 'POST', path: '/api/v1/applications/checkout/sync', type: 'application/json', body: { name: 'checkout', revision: 'a1b2c3', prune: false, dryRun: false } },
    },
    {
      tool: 'lh_create_snapshot',
      fx: () => lh,
      args: { name: 'pvc-1', snapshot: 'before-upgrade', labels: { reason: 'upgrade' } },
      refused: [[{ name: 'pvc-2' }, /name: must be one of "pvc-1"/]],
      sent: { method: 'POST', path: '/v1/volumes/pvc-1', type: 'application/json', body: { name: 'before-upgrade', labels: { reason: 'upgrade' } }, query: 'action=snapshotCreate' },
    },
  ] as const;

  it.each(cases)('$tool: nothing is sent before approval; after it, exactly the approved request, once', async (c) => {
    tc = await connectClient('http-modern', { url: gw.url }, { name: 'agent' });
    const fx = c.fx();
    const w0 = nonGet(fx).length;
    for (const [args, why] of c.refused) await expect(tc.client.callTool({ name: c.tool, arguments: args })).rejects.toThrow(why);

    const planned = await tc.client.callTool({ name: c.tool, arguments: c.args });
    const id = (planned._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
    expect(textOf(planned)).toContain(`Plan: ${id}`);
    await expect(tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } })).rejects.toThrow(/waiting for approval/);
    expect(nonGet(fx).length).toBe(w0);

    const shown = await admin(`/approvals/${id}`);
    expect(shown.body.plan).toMatchObject({ state: 'pending', arguments: c.args });
    expect((await admin(`/approvals/${id}/approve`, { approver: 'operator@example.com' })).status).toBe(200);

    const first = await tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(first.isError, textOf(first)).toBeFalsy();
    const sent = nonGet(fx).slice(w0);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: c.sent.method, path: c.sent.path });
    expect(sent[0]!.headers['content-type']).toBe(c.sent.type);
    expect(JSON.parse(sent[0]!.body)).toEqual(c.sent.body);
    if ('query' in c.sent) expect(sent[0]!.query.toString()).toBe(c.sent.query);

    expect(await tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } })).toEqual(first);
    expect(nonGet(fx).length).toBe(w0 + 1);
  });
});
