// The Approvals service over a real SQLite store (in memory), with a clock the test moves. The
// execute callback stands in for the pipeline tail and counts calls; the gateway tests run the
// real tail against real backends.
import { afterEach, describe, expect, it } from 'vitest';
import { Approvals, ApprovalError } from '../../../src/server/approvals/service.js';

let clock = new Date('2026-06-01T10:00:00.000Z');
const made: Approvals[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((a) => a.close()));
});

function service(config: ConstructorParameters<typeof Approvals>[0]['config'] = {}): Approvals {
  const a = new Approvals({ config, storeFile: ':memory:', now: () => clock });
  made.push(a);
  return a;
}

const identity = { client: 'agent', subject: 'bot@example.com', roles: [], via: 'jwt' as const };
const newPlan = (a: Approvals) => a.createPlan({ backend: 'k8s', tool: 'scale', exposedName: 'k8s_scale', arguments: { replicas: 2 }, identity });
const ready = () => true;

describe('Approvals', () => {
  it('an approved plan that expires before it is applied is refused and never runs', async () => {
    clock = new Date('2026-06-01T10:00:00.000Z');
    const a = service({ ttl: 60 });
    const p = await newPlan(a);
    await a.decide(p.id, 'approved', 'alice');
    clock = new Date('2026-06-01T10:01:01.000Z');
    let runs = 0;
    await expect(a.apply(p.id, async () => (runs++, {}), ready)).rejects.toThrow(/expired at 2026-06-01T10:01:00.000Z/);
    expect(runs).toBe(0);
    expect((await a.get(p.id))!.state).toBe('expired');
    expect((await a.audit({ planId: p.id })).map((r) => r.event)).toEqual(['created', 'approved', 'expired']);
  });

  it('self-approval is refused by subject unless allowSelfApproval is set; denial needs no such check', async () => {
    clock = new Date();
    const strict = service();
    const p = await newPlan(strict);
    await expect(strict.decide(p.id, 'approved', 'bot@example.com')).rejects.toMatchObject({ kind: 'self-approval' });
    expect((await strict.get(p.id))!.state).toBe('pending');
    await strict.decide(p.id, 'denied', 'bot@example.com', 'changed my mind');
    const lax = service({ allowSelfApproval: true });
    const q = await newPlan(lax);
    expect((await lax.decide(q.id, 'approved', 'bot@example.com')).state).toBe('approved');
  });

  it('a failed execution is stored: applying again is refused and does not run it twice', async () => {
    clock = new Date();
    const a = service();
    const p = await newPlan(a);
    await a.decide(p.id, 'approved', 'alice');
    let runs = 0;
    await expect(a.apply(p.id, async () => { runs++; throw new Error('backend said 500'); }, ready)).rejects.toThrow(/backend said 500/);
    await expect(a.apply(p.id, async () => (runs++, {}), ready)).rejects.toThrow(/applied once and failed: backend said 500/);
    expect(runs).toBe(1);
  });

  it('a backend that is down leaves the plan approved for a later apply', async () => {
    clock = new Date();
    const a = service();
    const p = await newPlan(a);
    await a.decide(p.id, 'approved', 'alice');
    await expect(a.apply(p.id, async () => ({}), () => false)).rejects.toBeInstanceOf(ApprovalError);
    expect((await a.get(p.id))!.state).toBe('approved');
    expect(await a.apply(p.id, async () => ({ content: [] }), ready)).toEqual({ content: [] });
  });
});
