/**
 * The Kustomize manifests as a cluster would receive them: the base and every overlay rendered with
 * `kubectl kustomize`, each object validated offline against the Kubernetes schemas
 * (kubernetes-models), the pods' security context checked, and the rendered ConfigMap's
 * gatehouse.yaml run through `gatehouse config validate` (the built CLI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { fileRefPaths } from '../../src/core/secrets/file-ref.js';
import { makeTempDir, ROOT, runCli } from '../helpers/cli.js';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; annotations?: Record<string, string> }; [k: string]: any };

const K8S = join(ROOT, 'deploy', 'kubernetes');
const overlays = readdirSync(join(K8S, 'overlays')).filter((d) => existsSync(join(K8S, 'overlays', d, 'kustomization.yaml')));
const targets = ['base', ...overlays.map((o) => `overlays/${o}`)];

function render(target: string): Obj[] {
  const r = spawnSync('kubectl', ['kustomize', join(K8S, target)], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`kubectl is needed to render the manifests (${r.error.message}); install kubectl.`);
  if (r.status !== 0) throw new Error(`kubectl kustomize ${target} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj).filter(Boolean);
}

type Models = Record<string, new (o: unknown) => { validate(): void }>;
/** The API groups the manifests use; a new one fails below until it is listed here. */
const MODELS: Record<string, Models> = { v1: coreV1 as never, 'apps/v1': appsV1 as never, 'policy/v1': policyV1 as never, 'networking.k8s.io/v1': networkingV1 as never };

/** Validates with kubernetes-models' class for the object's apiVersion and kind. */
async function validate(obj: Obj): Promise<void> {
  const Model = MODELS[obj.apiVersion]?.[obj.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

const byKind = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string, name: string) => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return found;
};

describe('schema validation', () => {
  it('catches an invalid object (so the checks below can fail)', async () => {
    await expect(validate({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two', selector: {}, template: {} } })).rejects.toThrow(/replicas must be integer/);
  });
});

describe.each(targets)('%s', (target) => {
  const objs = render(target);
  const config = one(objs, 'ConfigMap', 'gatehouse-config');
  const configText: string = config.data['gatehouse.yaml'];
  const deployment = one(objs, 'Deployment', 'gatehouse');
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: any) => c.name === 'gatehouse');

  it('renders the expected objects, each valid against the Kubernetes schemas', async () => {
    const kinds = new Set(objs.map((o) => o.kind));
    for (const k of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'NetworkPolicy', 'PodDisruptionBudget']) expect(kinds, k).toContain(k);
    for (const o of objs) await expect(validate(o), `${o.kind} ${o.metadata.name}`).resolves.toBeUndefined();
    expect(one(objs, 'Service', 'gatehouse').spec.type).toBe('ClusterIP');
    expect(pod.serviceAccountName).toBe('gatehouse');
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('runs every pod non-root with a read-only root, no capabilities, no privilege escalation and RuntimeDefault seccomp', () => {
    for (const d of byKind(objs, 'Deployment')) {
      const spec = d.spec.template.spec;
      expect(spec.securityContext, d.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of spec.containers) {
        expect(c.securityContext, `${d.metadata.name}/${c.name}`).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.securityContext.privileged ?? false).toBe(false);
        expect(c.resources?.requests?.memory, `${c.name} memory request`).toBeDefined();
        expect(c.resources?.limits?.memory, `${c.name} memory limit`).toBeDefined();
      }
    }
    expect(pod.securityContext).toMatchObject({ runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532 });
    expect(container.securityContext).toMatchObject({ runAsUser: 65532, runAsGroup: 65532 });
  });

  it('probes /healthz and /readyz (with a Host the Host check accepts), sleeps before SIGTERM and drains within the grace period', () => {
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http', httpHeaders: [{ name: 'Host', value: 'localhost' }] });
    const sleep = container.lifecycle.preStop.sleep.seconds as number;
    const args: string[] = container.args;
    expect(args.slice(0, 5)).toEqual(['serve', '--config', '/etc/gatehouse/gatehouse.yaml', '--host', '0.0.0.0']);
    const drain = Number(args[args.indexOf('--drain-timeout') + 1]);
    expect(drain).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(sleep + drain);
    const port = container.ports.find((p: any) => p.name === 'http').containerPort;
    expect(parseYaml(configText).gateway?.port ?? 7420).toBe(port);
  });

  it('mounts the config as a directory from a ConfigMap with a stable name, and state, /tmp and secrets as volumes', () => {
    const mounts = Object.fromEntries(container.volumeMounts.map((m: any) => [m.mountPath, m]));
    const volumes = Object.fromEntries(pod.volumes.map((v: any) => [v.name, v]));
    expect(mounts['/etc/gatehouse']).toMatchObject({ readOnly: true });
    // A subPath mount never sees the kubelet's ..data swap, so live reload would not follow.
    expect(mounts['/etc/gatehouse'].subPath).toBeUndefined();
    expect(volumes[mounts['/etc/gatehouse'].name].configMap.name).toBe('gatehouse-config');
    expect(config.metadata.name).toBe('gatehouse-config');
    expect(volumes[mounts['/var/lib/gatehouse'].name].emptyDir).toBeDefined();
    expect(volumes[mounts['/tmp'].name].emptyDir).toBeDefined();
    expect(container.env).toEqual(expect.arrayContaining([{ name: 'GATEHOUSE_CONFIG_DIR', value: '/var/lib/gatehouse' }]));
    expect(volumes[mounts['/var/run/secrets/gatehouse'].name].secret).toMatchObject({ secretName: 'gatehouse-secrets', defaultMode: 0o440 });
  });

  it('has every env: reference set from the Deployment and every file: reference under a mounted Secret', () => {
    const parsed = parseYaml(configText);
    const envNames = new Set((container.env ?? []).map((e: any) => e.name));
    const envRefs = [...configText.matchAll(/\benv:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
    for (const name of envRefs) expect(envNames, `env:${name}`).toContain(name);
    const secretMounts = container.volumeMounts.filter((m: any) => pod.volumes.find((v: any) => v.name === m.name)?.secret).map((m: any) => m.mountPath as string);
    for (const path of fileRefPaths(parsed)) expect(secretMounts.some((m: string) => path.startsWith(`${m}/`)), path).toBe(true);
  });

  it('serves a gatehouse.yaml that `gatehouse config validate` accepts', async () => {
    const dir = makeTempDir('gatehouse-kustomize-');
    const file = join(dir, 'gatehouse.yaml');
    writeFileSync(file, configText);
    const r = await runCli(['config', 'validate', file]);
    // What only the pod has (its Secret volume's files, its env) is warned about here, never an error.
    for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(/^Warning: .*(does not exist here|is not set here)/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${file} is valid`);
  });
});

describe('overlays/example', () => {
  const objs = render('overlays/example');
  const deployment = one(objs, 'Deployment', 'gatehouse');
  const config = parseYaml(one(objs, 'ConfigMap', 'gatehouse-config').data['gatehouse.yaml']);

  it('runs two replicas with Redis, kept one at a time by the PDB, in one namespace', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(config.gateway.cluster.redis).toMatch(/^redis:\/\/gatehouse-redis\.gatehouse\.svc:6379$/);
    expect(config.gateway.cluster.secret).toMatch(/^file:\//);
    expect(one(objs, 'Service', 'gatehouse-redis').spec.type).toBe('ClusterIP');
    expect(one(objs, 'PodDisruptionBudget', 'gatehouse').spec).toMatchObject({ minAvailable: 1 });
    for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe('gatehouse');
  });

  it('federates SigNoz and Argo CD read-only from the templates over ClusterIP URLs, behind cloudflare-access, with REST limited to the cluster CIDRs', () => {
    expect(config.gateway.auth.mode).toBe('cloudflare-access');
    expect(config.gateway.allowedNetworks.length).toBeGreaterThan(0);
    expect(config.backends.signoz).toMatchObject({ type: 'rest', template: 'signoz', baseUrl: expect.stringMatching(/\.svc(:\d+)?$/) });
    expect(config.backends.argocd).toMatchObject({ type: 'rest', template: 'argocd', baseUrl: expect.stringMatching(/\.svc(:\d+)?$/) });
    for (const b of Object.values<any>(config.backends)) expect(b.allowWrites ?? false).toBe(false);
  });

  it('is scraped by Prometheus through annotations', () => {
    expect(deployment.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '7420', 'prometheus.io/path': '/metrics' });
  });
});
