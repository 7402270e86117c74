// The SQLite plan store on a real file: transitions are conditional on the state they leave, so two
// connections (two gateways on one file) cannot both claim a plan, and the audit is append-only.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planDigest, type Plan } from '../../../src/core/approvals/plan.js';
import { SqlitePlanStore } from '../../../src/server/approvals/sqlite-store.js';
import { makeTempDir } from '../../helpers/cli.js';

const open: SqlitePlanStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function store(file: string): SqlitePlanStore {
  const s = new SqlitePlanStore(file);
  open.push(s);
  return s;
}

function plan(id: string, expiresAt = '2999-01-01T00:00:00.000Z'): Plan {
  const args = { namespace: 'demo', replicas: 2, password: 'hunter2-secret' };
  return { id, backend: 'k8s', tool: 'scale', exposedName: 'k8s_scale', arguments: args, digest: planDigest('k8s', 'scale', args), requester: { client: 'agent', via: 'none' }, createdAt: '2026-01-01T00:00:00.000Z', expiresAt, state: 'pending' };
}

const digestOf = (p: Plan) => planDigest(p.backend, p.tool, p.arguments);

describe('SqlitePlanStore', () => {
  it('lets exactly one of two connections claim an approved plan; the other sees it executing, then done', async () => {
    const file = join(makeTempDir(), 'approvals.db');
    const a = store(file);
    const b = store(file);
    await a.create(plan('p1'));
    expect((await b.decide('p1', 'approved', 'alice', undefined, new Date())).ok).toBe(true);
    const [ca, cb] = await Promise.all([a.claim('p1', new Date(), digestOf), b.claim('p1', new Date(), digestOf)]);
    expect([ca.claimed, cb.claimed].filter(Boolean)).toHaveLength(1);
    expect(cb).toMatchObject({ claimed: false, why: 'state', plan: { state: 'executing' } });
    await a.finish('p1', 'done', { content: [{ type: 'text', text: 'ok' }] }, new Date());
    expect(await b.get('p1')).toMatchObject({ state: 'done', outcome: { content: [{ type: 'text', text: 'ok' }] } });
    expect((await b.claim('p1', new Date(), digestOf)).claimed).toBe(false);
  });

  it('expires due plans inside the transition, refuses deciding twice, and keeps the audit append-only and redacted', async () => {
    const file = join(makeTempDir(), 'approvals.db');
    const s = store(file);
    await s.create(plan('old', '2026-01-01T00:00:01.000Z'));
    expect(await s.decide('old', 'approved', 'alice', undefined, new Date('2026-01-01T00:00:02.000Z'))).toMatchObject({ ok: false, plan: { state: 'expired' } });
    await s.create(plan('p2'));
    expect((await s.decide('p2', 'denied', 'alice', 'no', new Date())).ok).toBe(true);
    expect((await s.decide('p2', 'approved', 'bob', undefined, new Date())).ok).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    const audit = await s.audit();
    expect(audit.map((r) => `${r.planId}:${r.event}`)).toEqual(['old:created', 'old:expired', 'p2:created', 'p2:denied']);
    expect(JSON.stringify(audit)).not.toContain('hunter2-secret');
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { prepare(q: string): { run(): unknown }; close(): void };
    const raw = new Sqlite(file);
    try {
      expect(() => raw.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
      expect(() => raw.prepare("UPDATE audit SET actor = 'x'").run()).toThrow(/append-only/);
    } finally {
      raw.close();
    }
  });

  it('fails plans a dead gateway left executing instead of running them again, and leaves a live one alone', async () => {
    const file = join(makeTempDir(), 'approvals.db');
    const s = store(file);
    await s.create(plan('p3'));
    await s.decide('p3', 'approved', 'alice', undefined, new Date());
    expect((await s.claim('p3', new Date(), digestOf)).claimed).toBe(true);
    // This process is alive: a second gateway opening the file must not touch its claim.
    expect(store(file).interruptExecuting(new Date())).toBe(0);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { prepare(q: string): { run(...a: unknown[]): unknown }; close(): void };
    const raw = new Sqlite(file);
    raw.prepare('UPDATE plans SET executor = ? WHERE id = ?').run(`${hostname()}:${dead}`, 'p3');
    raw.close();
    const restarted = store(file);
    expect(restarted.interruptExecuting(new Date())).toBe(1);
    expect(await restarted.get('p3')).toMatchObject({ state: 'failed' });
    expect((await restarted.claim('p3', new Date(), digestOf)).claimed).toBe(false);
  });
});
