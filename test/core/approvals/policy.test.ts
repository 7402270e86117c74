import { describe, expect, it } from 'vitest';
import type { BackendConfig } from '../../../src/core/config/schema.js';
import { configSchema } from '../../../src/core/config/schema.js';
import { constrainedSchema, constraintSchema } from '../../../src/core/approvals/constraints.js';
import { canonicalJson, isSelfApproval, planDigest, planSummary } from '../../../src/core/approvals/plan.js';
import { globMatch, guardVerdict } from '../../../src/core/approvals/policy.js';

const rest = (extra: Record<string, unknown> = {}) => ({ type: 'rest', baseUrl: 'http://127.0.0.1:1', tools: [{ name: 'x', path: '/x' }], allowWrites: true, ...extra }) as unknown as BackendConfig;
const mcp = (extra: Record<string, unknown> = {}) => ({ type: 'stdio', command: 'node', ...extra }) as unknown as BackendConfig;
const write = { readOnlyHint: false, destructiveHint: true };
const read = { readOnlyHint: true, destructiveHint: false };

describe('guardVerdict', () => {
  it('guards REST writes by default and leaves REST reads and MCP tools alone', () => {
    expect(guardVerdict(rest(), { name: 'scale', annotations: write }).guarded).toBe(true);
    expect(guardVerdict(rest(), { name: 'get', annotations: read }).guarded).toBe(false);
    expect(guardVerdict(mcp(), { name: 'delete', annotations: { destructiveHint: true } }).guarded).toBe(false);
  });

  it('annotations: destructive guards only destructiveHint tools; write guards everything not read-only', () => {
    const d = mcp({ approvals: { annotations: 'destructive' } });
    expect(guardVerdict(d, { name: 'rm', annotations: { destructiveHint: true } }).guarded).toBe(true);
    expect(guardVerdict(d, { name: 'touch', annotations: { destructiveHint: false } }).guarded).toBe(false);
    expect(guardVerdict(d, { name: 'unknown' }).guarded).toBe(false);
    const w = mcp({ approvals: { annotations: 'write' } });
    expect(guardVerdict(w, { name: 'touch' }).guarded).toBe(true);
    expect(guardVerdict(w, { name: 'ls', annotations: { readOnlyHint: true } }).guarded).toBe(false);
  });

  it('globs select tools; a per-tool override beats everything; approval: none opts a backend out', () => {
    const g = mcp({ approvals: { tools: ['sync_*'] } });
    expect(guardVerdict(g, { name: 'sync_application' })).toMatchObject({ guarded: true, reason: expect.stringContaining('sync_*') });
    expect(guardVerdict(g, { name: 'list_applications' }).guarded).toBe(false);
    expect(guardVerdict(mcp({ approval: 'required' }), { name: 'anything', annotations: read }).guarded).toBe(true);
    expect(guardVerdict(rest({ approval: 'none' }), { name: 'scale', annotations: write }).guarded).toBe(false);
    expect(guardVerdict(rest({ approval: 'none', toolApprovals: { scale: 'required' } }), { name: 'scale', annotations: write }).guarded).toBe(true);
    expect(guardVerdict(rest({ toolApprovals: { scale: 'none' } }), { name: 'scale', annotations: write }).guarded).toBe(false);
  });

  it('matches globs literally apart from * and ?', () => {
    expect(globMatch('a.b*', 'a.bc')).toBe(true);
    expect(globMatch('a.b*', 'axbc')).toBe(false);
    expect(globMatch('s?t', 'set')).toBe(true);
  });
});

describe('plans', () => {
  it('digests backend, tool and arguments independent of key order, and any change changes it', () => {
    const a = planDigest('k8s', 'scale', { namespace: 'demo', replicas: 3, opts: { a: 1, b: 2 } });
    expect(planDigest('k8s', 'scale', { opts: { b: 2, a: 1 }, replicas: 3, namespace: 'demo' })).toBe(a);
    expect(planDigest('k8s', 'scale', { namespace: 'demo', replicas: 4, opts: { a: 1, b: 2 } })).not.toBe(a);
    expect(planDigest('k8s2', 'scale', { namespace: 'demo', replicas: 3, opts: { a: 1, b: 2 } })).not.toBe(a);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it('summaries redact credential-looking arguments', () => {
    const s = planSummary({ backend: 'b', tool: 't', arguments: { name: 'x', apiToken: 'sk-live-abcdef123456' } });
    expect(s).toContain('"name":"x"');
    expect(s).not.toContain('sk-live-abcdef123456');
  });

  it('self-approval compares the approver with the subject and the client name', () => {
    expect(isSelfApproval({ client: 'agent', via: 'none' }, 'agent')).toBe(true);
    expect(isSelfApproval({ client: 'agent', subject: 'bot@x', via: 'jwt' }, 'bot@x')).toBe(true);
    expect(isSelfApproval({ client: 'agent', subject: 'bot@x', via: 'jwt' }, 'alice')).toBe(false);
  });
});

describe('constraints', () => {
  it('narrow the listed schema and make constrained arguments required', () => {
    const s = constrainedSchema({ type: 'object', properties: { replicas: { type: 'integer', description: 'n' } }, required: [] }, { replicas: { maximum: 5 }, namespace: { enum: ['demo'] } });
    expect(s).toMatchObject({ properties: { replicas: { type: 'integer', maximum: 5, allOf: [{ type: 'integer' }, { maximum: 5 }] }, namespace: { enum: ['demo'] } }, required: ['replicas', 'namespace'] });
    expect(constraintSchema({ a: { const: 1 } })).toEqual({ type: 'object', properties: { a: { const: 1 } }, required: ['a'] });
  });

  it('config accepts the approval fields and rejects unknown modes', () => {
    const ok = configSchema.safeParse({ gateway: { approvals: { ttl: 60, allowSelfApproval: false } }, backends: { k: { type: 'stdio', command: 'x', approval: 'required', approvals: { tools: ['a*'], annotations: 'write' }, toolApprovals: { a: 'none' }, constraints: { a: { n: { maximum: 5 } } } } } });
    expect(ok.success, JSON.stringify(ok.error?.issues)).toBe(true);
    const bad = configSchema.safeParse({ backends: { k: { type: 'stdio', command: 'x', approval: 'maybe' } } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error!.issues)).toContain('approval');
  });
});
