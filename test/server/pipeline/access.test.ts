import { describe, expect, it } from 'vitest';
import { AccessPolicy } from '../../../src/core/policy/access.js';
import type { Identity } from '../../../src/core/identity.js';
import { accessStep, planAccessStep } from '../../../src/server/pipeline/access.js';
import { CallDenied, newLocalCall, type LocalCall, type Result } from '../../../src/server/pipeline/index.js';
import { MemoryUpstream, catalogOf, makeCall, recordingNext, stdioConfig, tool } from './support.js';

const argocd = new MemoryUpstream('argocd', stdioConfig(), { tools: [tool('get_app'), tool('sync')], prompts: [{ name: 'triage' }], resources: [{ uri: 'argo://apps', name: 'apps' }] });
const kube = new MemoryUpstream('kube', stdioConfig(), { tools: [tool('get_pods')], resources: [{ uri: 'kube://pods', name: 'pods' }] });
const catalog = catalogOf(argocd, kube);
const policy = new AccessPolicy({ servers: { dev: { backends: ['argocd'], tools: ['argocd_get*'] } }, roles: { ops: {}, dev: { servers: ['dev'] } } });
const step = accessStep({ catalog, access: () => policy });
const bearer = (roles: string[]): Identity => ({ client: 'agent', roles, via: 'bearer' });

function list(method: LocalCall['method'], fields: Partial<LocalCall> = {}): LocalCall {
  return newLocalCall({ method, params: {}, era: 'modern', transport: 'streamable-http', sessionKey: 'stateless', ...fields });
}
const answer = (r: Result) => async () => r;

describe('access step', () => {
  it('filters tools/list to the role and marks it private for 2026-07-28 clients', async () => {
    const r = await step.local!(list('tools/list', { identity: bearer(['dev']) }), answer({ tools: catalog.tools, cacheScope: 'public' }));
    expect((r.tools as Array<{ name: string }>).map((t) => t.name)).toEqual(['argocd_get_app']);
    expect(r.cacheScope).toBe('private');
  });

  it('a virtual server filters without identity and keeps the list shareable', async () => {
    const r = await step.local!(list('tools/list', { server: 'dev', identity: { client: 'x', roles: [], via: 'none' } }), answer({ tools: catalog.tools, cacheScope: 'public' }));
    expect((r.tools as Array<{ name: string }>).map((t) => t.name)).toEqual(['argocd_get_app']);
    expect(r.cacheScope).toBe('public');
  });

  it('passes everything through for an unauthenticated caller at /mcp', async () => {
    const items = { tools: catalog.tools };
    const r = await step.local!(list('tools/list', { identity: { client: 'x', roles: [], via: 'none' } }), answer(items));
    expect(r).toBe(items);
  });

  it('filters prompts and resources by the backends the role reaches', async () => {
    const prompts = await step.local!(list('prompts/list', { identity: bearer(['dev']) }), answer({ prompts: catalog.prompts }));
    expect((prompts.prompts as Array<{ name: string }>).map((p) => p.name)).toEqual(['argocd_triage']);
    const resources = await step.local!(list('resources/list', { identity: bearer(['dev']), era: 'legacy' }), answer({ resources: catalog.resources }));
    expect((resources.resources as Array<{ uri: string }>).map((x) => x.uri)).toEqual(['argo://apps']);
    // A 2025 client gets no 2026-07-28 cache field.
    expect(resources.cacheScope).toBeUndefined();
  });

  it('marks a 2026-07-28 resources/read private when roles shape the scope, whatever the backend said', async () => {
    const read = (era: 'legacy' | 'modern', identity: Identity) => makeCall({ method: 'resources/read', params: { uri: 'argo://apps' }, era, identity, route: { upstream: argocd }, exposedName: 'argo://apps' });
    const backendSaid = { contents: [], ttlMs: 5000, cacheScope: 'public' };
    expect(await step.handle(read('modern', bearer(['dev'])), recordingNext(backendSaid))).toMatchObject({ ttlMs: 5000, cacheScope: 'private' });
    // No roles applied (a virtual server without identity): the backend's hint stands; 2025 clients are not touched here.
    expect(await step.handle(read('modern', { client: 'x', roles: [], via: 'none' }), recordingNext(backendSaid))).toMatchObject({ cacheScope: 'public' });
    expect(await step.handle(read('legacy', bearer(['dev'])), recordingNext({ contents: [] }))).toEqual({ contents: [] });
  });

  it('memoises one filtered view per list snapshot and scope', async () => {
    const a = await step.local!(list('tools/list', { identity: bearer(['dev']) }), answer({ tools: catalog.tools }));
    const b = await step.local!(list('tools/list', { identity: bearer(['dev']) }), answer({ tools: catalog.tools }));
    const c = await step.local!(list('tools/list', { identity: bearer(['ops']) }), answer({ tools: catalog.tools }));
    expect(b.tools).toBe(a.tools);
    expect((c.tools as unknown[]).length).toBe(3);
  });

  it('refuses a call out of reach with the reason, before anything is forwarded', async () => {
    const call = makeCall({ method: 'tools/call', params: { name: 'sync' }, identity: bearer(['dev']), route: { upstream: argocd }, exposedName: 'argocd_sync' });
    const next = recordingNext();
    const e = await step.handle(call, next).catch((x) => x);
    expect(e).toBeInstanceOf(CallDenied);
    expect((e as CallDenied).message).toBe('Tool "argocd_sync" is not available on this endpoint to roles dev (gateway.roles).');
    expect(next.calls).toHaveLength(0);
    expect(call.decisions.at(-1)).toMatchObject({ step: 'access', verdict: 'deny' });
  });

  it('checks an alias by the tool it stands for', async () => {
    // resolve rewrote the alias to the native name; access must judge argocd_get_app, not the old name.
    const call = makeCall({ method: 'tools/call', params: { name: 'get_app' }, identity: bearer(['dev']), route: { upstream: argocd }, exposedName: 'old_get_app' });
    const next = recordingNext();
    await step.handle(call, next);
    expect(next.calls).toHaveLength(1);
  });

  it('refuses a resource read out of reach as not found, and a subscription too', async () => {
    const read = makeCall({ method: 'resources/read', params: { uri: 'kube://pods' }, identity: bearer(['dev']), route: { upstream: kube }, exposedName: 'kube://pods' });
    const e = await step.handle(read, recordingNext()).catch((x) => x);
    expect((e as CallDenied).code).toBe(-32002);
    const sub = await step.local!(list('resources/subscribe', { params: { uri: 'kube://pods' }, identity: bearer(['dev']) }), answer({})).catch((x) => x);
    expect(sub).toBeInstanceOf(CallDenied);
  });

  it('denies by default: an authenticated caller without roles gets an empty list and a refusal that says why', async () => {
    const r = await step.local!(list('tools/list', { identity: bearer([]) }), answer({ tools: catalog.tools }));
    expect(r.tools).toEqual([]);
    const call = makeCall({ method: 'tools/call', params: { name: 'get_pods' }, identity: bearer([]), route: { upstream: kube } });
    const e = await step.handle(call, recordingNext()).catch((x) => x);
    expect((e as Error).message).toContain('this client has no roles');
  });
});

describe('access on applying a plan', () => {
  const plans = { get: async (id: string) => (id === 'p1' ? { backend: 'argocd', tool: 'sync', exposedName: 'argocd_sync' } : undefined) };
  const apply = planAccessStep({ catalog, access: () => policy, plans, applyTool: 'gatehouse_apply_plan' });

  it('refuses to apply a plan whose tool the caller cannot reach, before the plan is claimed', async () => {
    const next = recordingNext();
    const call = makeCall({ method: 'tools/call', params: { name: 'gatehouse_apply_plan', arguments: { planId: 'p1' } }, identity: bearer(['dev']) });
    const e = await apply.handle(call, next).catch((x) => x);
    expect((e as Error).message).toContain('"argocd_sync" is not available');
    expect(next.calls).toHaveLength(0);
  });

  it('lets a caller who reaches the tool, and unknown plans (the apply step refuses those), through', async () => {
    const next = recordingNext();
    await apply.handle(makeCall({ method: 'tools/call', params: { name: 'gatehouse_apply_plan', arguments: { planId: 'p1' } }, identity: bearer(['ops']) }), next);
    await apply.handle(makeCall({ method: 'tools/call', params: { name: 'gatehouse_apply_plan', arguments: { planId: 'nope' } }, identity: bearer(['dev']) }), next);
    await apply.handle(makeCall({ method: 'tools/call', params: { name: 'argocd_sync' }, identity: bearer(['dev']) }), next);
    expect(next.calls).toHaveLength(3);
  });
});
