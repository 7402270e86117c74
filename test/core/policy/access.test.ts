import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/core/config/schema.js';
import { AccessPolicy, rolesFromClaims } from '../../../src/core/policy/access.js';
import type { Identity } from '../../../src/core/identity.js';

const servers = {
  dev: { backends: ['signoz', 'argocd'], tools: ['argocd_get*', 'signoz_*'] },
  infra: { backends: ['signoz', 'argocd', 'kube'] },
};
const roles = { ops: { servers: ['infra'] }, dev: { servers: ['dev'] }, reader: { tools: ['*_get*'] } };
const who = (roles: string[], via: Identity['via'] = 'bearer'): Identity => ({ client: 'c', roles, via });

describe('role resolution from claims', () => {
  const rules = [
    { claim: 'groups', value: 'infra', role: 'ops' },
    { claim: 'email', value: 'dev@example.com', role: 'dev' },
    { claim: 'realm_access.roles', value: 'admin', role: 'ops' },
    { commonName: 'svc-123.access', role: 'reader' },
  ];

  it('matches a claim equal to the value or an array claim containing it', () => {
    expect(rolesFromClaims(rules, { groups: ['dev', 'infra'] })).toEqual(['ops']);
    expect(rolesFromClaims(rules, { groups: 'infra' })).toEqual(['ops']);
    expect(rolesFromClaims(rules, { email: 'dev@example.com', groups: ['x'] })).toEqual(['dev']);
    expect(rolesFromClaims(rules, { groups: ['infrastructure'] })).toEqual([]);
  });

  it('follows a dotted path into nested claims, and matches a service token by common_name', () => {
    expect(rolesFromClaims(rules, { realm_access: { roles: ['admin'] } })).toEqual(['ops']);
    expect(rolesFromClaims(rules, { common_name: 'svc-123.access' })).toEqual(['reader']);
    expect(rolesFromClaims(rules, { common_name: 'other' })).toEqual([]);
  });

  it('gives sorted roles without repeats, and none without rules', () => {
    expect(rolesFromClaims(rules, { groups: ['infra'], realm_access: { roles: ['admin'] }, common_name: 'svc-123.access' })).toEqual(['ops', 'reader']);
    expect(rolesFromClaims(undefined, { groups: ['infra'] })).toEqual([]);
  });
});

describe('access scopes', () => {
  const policy = new AccessPolicy({ servers, roles });

  it('unauthenticated callers at /mcp see everything (no scope), at a server its view', () => {
    expect(policy.scope(undefined, who([], 'none'))).toBeUndefined();
    expect(policy.scope(undefined, who([], 'stdio'))).toBeUndefined();
    const dev = policy.scope('dev', who([], 'none'))!;
    expect(dev.private).toBe(false);
    expect(dev.allows('tool', 'argocd', 'argocd_get_app')).toBe(true);
    expect(dev.allows('tool', 'argocd', 'argocd_sync')).toBe(false);
    expect(dev.allows('tool', 'kube', 'kube_get_pods')).toBe(false);
    expect(dev.allows('prompt', 'signoz')).toBe(true);
    expect(dev.allows('resource', 'kube')).toBe(false);
    expect(dev.refusal('tool', 'argocd_sync')).toContain('not part of server "dev" (/servers/dev/mcp)');
  });

  it('roles narrow what an authenticated caller reaches, and the view is private', () => {
    const ops = policy.scope(undefined, who(['ops']))!;
    expect(ops.private).toBe(true);
    expect(ops.allows('tool', 'kube', 'kube_delete')).toBe(true);
    expect(ops.allows('tool', 'other', 'other_x')).toBe(false);
    const dev = policy.scope(undefined, who(['dev']))!;
    expect(dev.allows('tool', 'argocd', 'argocd_get_app')).toBe(true);
    expect(dev.allows('tool', 'argocd', 'argocd_sync')).toBe(false);
    expect(dev.refusal('tool', 'argocd_sync')).toContain('to roles dev');
  });

  it('several roles reach the union; a role without servers is limited by its tool globs', () => {
    const s = policy.scope(undefined, who(['dev', 'reader']))!;
    expect(s.allows('tool', 'kube', 'kube_get_pods')).toBe(true);
    expect(s.allows('tool', 'argocd', 'argocd_get_app')).toBe(true);
    expect(s.allows('tool', 'kube', 'kube_delete')).toBe(false);
  });

  it('an endpoint and roles intersect: ops at /servers/dev sees only dev\'s view', () => {
    const s = policy.scope('dev', who(['ops']))!;
    expect(s.allows('tool', 'argocd', 'argocd_get_app')).toBe(true);
    expect(s.allows('tool', 'argocd', 'argocd_sync')).toBe(false);
    expect(s.allows('tool', 'kube', 'kube_get')).toBe(false);
  });

  it('denies by default: an authenticated client with no known role reaches nothing but the gateway\'s own items', () => {
    const none = policy.scope(undefined, who([]))!;
    expect(none.allows('tool', 'kube', 'kube_get')).toBe(false);
    expect(none.allows('prompt', 'signoz')).toBe(false);
    expect(none.allows('tool', undefined, 'gatehouse_apply_plan')).toBe(true);
    expect(none.refusal('tool', 'kube_get')).toContain('this client has no roles');
    const unknown = policy.scope(undefined, who(['nobody']))!;
    expect(unknown.allows('tool', 'kube', 'kube_get')).toBe(false);
    expect(unknown.refusal('tool', 'kube_get')).toContain('roles nobody, none of which gateway.roles defines');
  });

  it('without gateway.roles authenticated callers see everything; defaultServer applies to /mcp', () => {
    expect(new AccessPolicy({ servers }).scope(undefined, who([]))).toBeUndefined();
    const s = new AccessPolicy({ servers, defaultServer: 'dev' }).scope(undefined, who([], 'none'))!;
    expect(s.server).toBe('dev');
    expect(s.allows('tool', 'kube', 'kube_get')).toBe(false);
  });

  it('caches one scope per server and role set, whatever order roles come in', () => {
    expect(policy.scope(undefined, who(['reader', 'dev']))).toBe(policy.scope(undefined, who(['dev', 'reader', 'dev'])));
    expect(policy.scope(undefined, who(['dev']))!.key).not.toBe(policy.scope(undefined, who(['ops']))!.key);
  });
});

describe('config checks for servers and roles', () => {
  const base = { backends: { signoz: { type: 'stdio', command: 'x' } } };

  it('names an unknown backend, server or default server with the path and what exists', () => {
    const r = configSchema.safeParse({
      ...base,
      gateway: { servers: { dev: { backends: ['signoz', 'argo'] } }, defaultServer: 'prod', roles: { ops: { servers: ['infra'] } } },
    });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toContain('gateway.servers.dev.backends.1: names backend "argo", which is not configured (backends: signoz)');
    expect(issues).toContain('gateway.defaultServer: names server "prod", which gateway.servers does not define (servers: dev)');
    expect(issues).toContain('gateway.roles.ops.servers.0: names server "infra", which gateway.servers does not define (servers: dev)');
  });

  it('accepts a consistent file with filters, servers, roles and auth role rules', () => {
    const r = configSchema.safeParse({
      backends: { signoz: { type: 'stdio', command: 'x', toolFilter: { include: ['query*'], exclude: ['*delete*'], readOnly: true }, promptFilter: { exclude: ['*'] }, resourceFilter: { include: ['file:///*'] } } },
      gateway: {
        servers: { dev: { backends: ['signoz'], tools: ['signoz_*'], description: 'dev agents' } },
        defaultServer: 'dev',
        roles: { ops: {}, dev: { servers: ['dev'], tools: ['signoz_query*'] } },
        auth: { mode: 'bearer', roles: [{ claim: 'groups', value: 'infra', role: 'ops' }, { commonName: 'abc.access', role: 'dev' }] },
      },
    });
    expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
  });

  it('refuses unknown keys in a filter (a typo is not silently ignored)', () => {
    const r = configSchema.safeParse({ backends: { s: { type: 'stdio', command: 'x', toolFilter: { exlude: ['x'] } } } });
    expect(r.success).toBe(false);
  });
});
