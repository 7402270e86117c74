// One contract for every PlanStore, run against the embedded SQLite store (a real file) and the
// PostgreSQL store (a real server from Debian's postgresql package, started by this file). Each test
// opens two store instances on one database, as two gateways sharing it would.
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planDigest, type Plan } from '../../../src/core/approvals/plan.js';
import type { PlanStore } from '../../../src/server/approvals/store.js';
import { SqlitePlanStore } from '../../../src/server/approvals/sqlite-store.js';
import { PgPlanStore } from '../../../src/server/approvals/pg-store.js';
import { makeTempDir } from '../../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

type Store = PlanStore & { interruptExecuting(now: Date): number | Promise<number> };

/** What the contract needs beyond the interface: two instances on one database, and raw access to it. */
interface Harness {
  open(): Promise<Store>;
  /** Rewrites a plan's stored arguments behind the store's back. */
  tamper(id: string, args: Record<string, unknown>): Promise<void>;
  setExecutor(id: string, executor: string): Promise<void>;
  /** The executor tag a process with this pid on this host would have written. */
  executorOf(pid: number): string;
  /** Runs raw UPDATE / DELETE (and TRUNCATE where there is one) on the audit table; each must throw. */
  auditWrites(): Array<() => Promise<unknown>>;
}

let pg: TestPostgres | undefined;
let dbs = 0;
const opened: PlanStore[] = [];

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
});
afterAll(async () => {
  await pg?.stop();
});

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { prepare(q: string): { run(...a: unknown[]): unknown }; close(): void };

function sqliteHarness(): Harness {
  const file = join(makeTempDir(), 'approvals.db');
  const raw = (sql: string, ...params: unknown[]) => {
    const db = new Sqlite(file);
    try {
      db.prepare(sql).run(...params);
    } finally {
      db.close();
    }
  };
  return {
    async open() {
      const s = new SqlitePlanStore(file);
      opened.push(s);
      return s;
    },
    async tamper(id, args) {
      raw('UPDATE plans SET arguments = ? WHERE id = ?', JSON.stringify(args), id);
    },
    async setExecutor(id, executor) {
      raw('UPDATE plans SET executor = ? WHERE id = ?', executor, id);
    },
    executorOf: (pid) => `${hostname()}:${pid}`,
    auditWrites: () => [async () => raw('DELETE FROM audit'), async () => raw("UPDATE audit SET actor = 'x'")],
  };
}

async function pgHarness(): Promise<Harness> {
  const url = await pg!.createDatabase(`contract_${++dbs}`);
  return {
    async open() {
      const s = await PgPlanStore.open(url);
      opened.push(s);
      return s;
    },
    async tamper(id, args) {
      await pg!.query('UPDATE gatehouse_plans SET arguments = $1 WHERE id = $2', [JSON.stringify(args), id], url);
    },
    async setExecutor(id, executor) {
      await pg!.query('UPDATE gatehouse_plans SET executor = $1 WHERE id = $2', [executor, id], url);
    },
    executorOf: (pid) => `${hostname()}:${pid}:0a0b0c`,
    auditWrites: () => [
      () => pg!.query('DELETE FROM gatehouse_audit', [], url),
      () => pg!.query("UPDATE gatehouse_audit SET actor = 'x'", [], url),
      () => pg!.query('TRUNCATE gatehouse_audit', [], url),
    ],
  };
}

function plan(id: string, expiresAt = '2999-01-01T00:00:00.000Z', args: Record<string, unknown> = { namespace: 'demo', replicas: 2, password: 'hunter2-secret' }): Plan {
  return {
    id,
    backend: 'k8s',
    tool: 'scale',
    exposedName: 'k8s_scale',
    arguments: args,
    digest: planDigest('k8s', 'scale', args),
    requester: { client: 'agent', subject: 'bot@example.com', via: 'jwt' },
    createdAt: '2026-01-01T00:00:00.000Z',
    expiresAt,
    state: 'pending',
  };
}

const digestOf = (p: Plan) => planDigest(p.backend, p.tool, p.arguments);
const events = async (s: PlanStore, planId?: string) => (await s.audit(planId ? { planId } : {})).map((r) => `${r.planId}:${r.event}`);

describe.each([
  ['SQLite', async () => sqliteHarness()],
  ['PostgreSQL', pgHarness],
] as const)('PlanStore contract: %s', (_name, harness) => {
  it('stores exactly what it was given and lists by state in creation order', async () => {
    const h = await harness();
    const a = await h.open();
    const nested = { namespace: 'demo', replicas: 3, labels: { b: 'two', a: 'one' }, list: [1, 'x', null, { z: true }] };
    await a.create({ ...plan('p1', undefined, nested), createdAt: '2026-01-01T00:00:00.000Z' });
    await a.create({ ...plan('p2'), createdAt: '2026-01-01T00:00:01.000Z' });
    const b = await h.open();
    expect(await b.get('p1')).toEqual({ ...plan('p1', undefined, nested), createdAt: '2026-01-01T00:00:00.000Z' });
    expect(await b.get('nope')).toBeUndefined();
    expect((await b.list()).map((p) => p.id)).toEqual(['p1', 'p2']);
    await a.decide('p2', 'denied', 'alice', 'no', new Date());
    expect((await b.list({ state: 'pending' })).map((p) => p.id)).toEqual(['p1']);
    expect((await b.list({ state: 'denied' }))[0]).toMatchObject({ id: 'p2', decidedBy: 'alice', reason: 'no' });
  });

  it('decides a pending plan once; a second decision, or one on an unknown plan, is refused', async () => {
    const h = await harness();
    const s = await h.open();
    await s.create(plan('p1'));
    const ok = await s.decide('p1', 'approved', 'alice', 'ticket 7', new Date('2026-06-01T00:00:00.000Z'));
    expect(ok).toMatchObject({ ok: true, plan: { state: 'approved', decidedBy: 'alice', reason: 'ticket 7', decidedAt: '2026-06-01T00:00:00.000Z' } });
    expect(await s.decide('p1', 'denied', 'bob', undefined, new Date())).toMatchObject({ ok: false, plan: { state: 'approved', decidedBy: 'alice' } });
    expect(await s.decide('nope', 'approved', 'bob', undefined, new Date())).toEqual({ ok: false, plan: undefined });
    expect(await events(s)).toEqual(['p1:created', 'p1:approved']);
  });

  it('expires a due plan inside the transition that finds it, for decide and for claim, and audits it once', async () => {
    const h = await harness();
    const s = await h.open();
    await s.create(plan('old', '2026-01-01T00:00:01.000Z'));
    expect(await s.decide('old', 'approved', 'alice', undefined, new Date('2026-01-01T00:00:02.000Z'))).toMatchObject({ ok: false, plan: { state: 'expired' } });
    await s.create(plan('late', '2026-01-01T00:00:05.000Z'));
    expect((await s.decide('late', 'approved', 'alice', undefined, new Date('2026-01-01T00:00:04.000Z'))).ok).toBe(true);
    expect(await s.claim('late', new Date('2026-01-01T00:00:05.000Z'), digestOf)).toMatchObject({ claimed: false, why: 'expired', plan: { state: 'expired' } });
    expect(await s.claim('late', new Date('2026-01-01T00:00:06.000Z'), digestOf)).toMatchObject({ claimed: false, why: 'expired' });
    expect(await events(s)).toEqual(['old:created', 'old:expired', 'late:created', 'late:approved', 'late:expired']);
  });

  it('lets exactly one of many concurrent claims from two instances win; the others see executing, then done', async () => {
    const h = await harness();
    const a = await h.open();
    const b = await h.open();
    await a.create(plan('p1'));
    expect(await b.claim('p1', new Date(), digestOf)).toMatchObject({ claimed: false, why: 'state', plan: { state: 'pending' } });
    expect((await b.decide('p1', 'approved', 'alice', undefined, new Date())).ok).toBe(true);
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).claim('p1', new Date(), digestOf)));
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    for (const c of claims.filter((x) => !x.claimed)) expect(c).toMatchObject({ why: 'state', plan: { state: 'executing' } });
    const outcome = { content: [{ type: 'text', text: 'scaled' }] };
    await a.finish('p1', 'done', outcome, new Date());
    await b.finish('p1', 'failed', { error: 'late' }, new Date());
    expect(await b.get('p1')).toMatchObject({ state: 'done', outcome });
    expect(await a.claim('p1', new Date(), digestOf)).toMatchObject({ claimed: false, why: 'state', plan: { state: 'done', outcome } });
    expect(await events(a, 'p1')).toEqual(['p1:created', 'p1:approved', 'p1:executing', 'p1:done']);
  });

  it('refuses for good a plan whose stored arguments changed after approval, and audits why', async () => {
    const h = await harness();
    const s = await h.open();
    await s.create(plan('p1'));
    await s.decide('p1', 'approved', 'alice', undefined, new Date());
    await h.tamper('p1', { namespace: 'demo', replicas: 5, password: 'hunter2-secret' });
    expect(await s.claim('p1', new Date(), digestOf)).toMatchObject({ claimed: false, why: 'digest', plan: { state: 'failed' } });
    expect(await s.claim('p1', new Date(), digestOf)).toMatchObject({ claimed: false, why: 'state' });
    const audit = await s.audit({ planId: 'p1' });
    expect(audit.map((r) => r.event)).toEqual(['created', 'approved', 'failed']);
    expect(audit[2]!.detail).toMatch(/do not match the approved digest/);
  });

  it('keeps the audit append-only, redacted, ordered, and filtered by plan and time', async () => {
    const h = await harness();
    const s = await h.open();
    await s.create({ ...plan('p1'), createdAt: '2026-01-01T00:00:00.000Z' });
    await s.create({ ...plan('p2'), createdAt: '2026-03-01T00:00:00.000Z' });
    await s.decide('p2', 'denied', 'alice', 'password=hunter2-secret is wrong', new Date('2026-03-02T00:00:00.000Z'));
    const all = await s.audit();
    expect(all.map((r) => r.seq)).toEqual([...all.map((r) => r.seq)].sort((x, y) => x - y));
    expect(JSON.stringify(all)).not.toContain('hunter2-secret');
    expect(all[0]).toMatchObject({ planId: 'p1', event: 'created', actor: 'bot@example.com', at: '2026-01-01T00:00:00.000Z', digest: plan('p1').digest });
    expect(all[0]!.summary).toMatch(/call scale on backend "k8s"/);
    expect((await s.audit({ since: '2026-02-01T00:00:00.000Z' })).map((r) => `${r.planId}:${r.event}`)).toEqual(['p2:created', 'p2:denied']);
    for (const write of h.auditWrites()) await expect(write()).rejects.toThrow(/append-only/);
    expect(await s.audit()).toEqual(all);
  });

  it('fails plans a dead gateway left executing instead of running them again, and leaves a live claim alone', async () => {
    const h = await harness();
    const s = await h.open();
    await s.create(plan('p1'));
    await s.decide('p1', 'approved', 'alice', undefined, new Date());
    expect((await s.claim('p1', new Date(), digestOf)).claimed).toBe(true);
    // This process is alive: a second gateway opening the store must not touch its claim.
    expect(await (await h.open()).interruptExecuting(new Date())).toBe(0);
    expect((await s.get('p1'))!.state).toBe('executing');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await h.setExecutor('p1', h.executorOf(dead));
    const restarted = await h.open();
    expect(await restarted.interruptExecuting(new Date())).toBe(1);
    expect(await restarted.get('p1')).toMatchObject({ state: 'failed', outcome: { error: expect.stringMatching(/interrupted/) } });
    expect((await restarted.claim('p1', new Date(), digestOf)).claimed).toBe(false);
    await s.finish('p1', 'done', { content: [] }, new Date());
    expect((await restarted.get('p1'))!.state).toBe('failed');
    expect(await events(s, 'p1')).toEqual(['p1:created', 'p1:approved', 'p1:executing', 'p1:interrupted']);
  });
});

describe('PostgreSQL store specifics', () => {
  it('creates its schema once, idempotently, when several gateways open a new database at the same moment', async () => {
    const url = await pg!.createDatabase('migrations');
    const stores = await Promise.all(Array.from({ length: 4 }, () => PgPlanStore.open(url)));
    opened.push(...stores);
    expect(await Promise.all(stores.map((s) => s.schemaVersion()))).toEqual([1, 1, 1, 1]);
    expect(await pg!.query('SELECT version FROM gatehouse_schema', [], url)).toEqual([{ version: 1 }]);
    opened.push(await PgPlanStore.open(url));
    expect(await pg!.query('SELECT count(*)::int AS n FROM gatehouse_schema', [], url)).toEqual([{ n: 1 }]);
  });

  it('two claims released at the same instant from a locked row: exactly one wins', async () => {
    const url = await pg!.createDatabase('locked_row');
    const [a, b] = [await PgPlanStore.open(url), await PgPlanStore.open(url)];
    opened.push(a, b);
    await a.create(plan('p1'));
    await a.decide('p1', 'approved', 'alice', undefined, new Date());
    // A third session holds the row, so both claims are certain to be in flight together when it lets go.
    const { default: pgLib } = await import('pg');
    const holder = new pgLib.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM gatehouse_plans WHERE id = $1 FOR UPDATE', ['p1']);
      const claims = Promise.all([a.claim('p1', new Date(), digestOf), b.claim('p1', new Date(), digestOf)]);
      const waiting = async () => (await pg!.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'locked_row' AND wait_event_type = 'Lock'"))[0]!.n;
      const deadline = Date.now() + 20_000;
      while ((await waiting()) < 2) {
        if (Date.now() > deadline) throw new Error('the two claims never both waited on the row');
        await new Promise((r) => setTimeout(r, 20));
      }
      await holder.query('COMMIT');
      const [ca, cb] = await claims;
      expect([ca.claimed, cb.claimed].sort()).toEqual([false, true]);
      expect((ca.claimed ? cb : ca) as unknown).toMatchObject({ why: 'state', plan: { state: 'executing' } });
      expect((await a.audit({ planId: 'p1' })).map((r) => r.event)).toEqual(['created', 'approved', 'executing']);
    } finally {
      await holder.end();
    }
  });

  it("fails the claim of its predecessor with the same host name and pid (a container restarted in place), not its own", async () => {
    const url = await pg!.createDatabase('same_pid');
    const s = await PgPlanStore.open(url);
    opened.push(s);
    for (const id of ['mine', 'predecessor']) {
      await s.create(plan(id));
      await s.decide(id, 'approved', 'alice', undefined, new Date());
      expect((await s.claim(id, new Date(), digestOf)).claimed).toBe(true);
    }
    expect(s.executor).toMatch(new RegExp(`^${hostname()}:${process.pid}:[0-9a-f]{12}$`));
    await pg!.query('UPDATE gatehouse_plans SET executor = $1 WHERE id = $2', [`${hostname()}:${process.pid}:0123456789ab`, 'predecessor'], url);
    const reopened = await PgPlanStore.open(url);
    opened.push(reopened);
    expect(await reopened.interruptExecuting(new Date())).toBe(1);
    expect((await s.get('predecessor'))!.state).toBe('failed');
    expect((await s.get('mine'))!.state).toBe('executing');
  });

  it('says where it could not connect, without the password', async () => {
    const url = `postgres://gh:s3cret-pw-123@127.0.0.1:${pg!.port}/no_such_db`;
    const err = await PgPlanStore.open(url).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/Cannot open the PostgreSQL plan store at postgres:\/\/gh:\*\*\*@127\.0\.0\.1:\d+\/no_such_db/);
    expect(err?.message).toMatch(/no_such_db/);
    expect(err?.message).not.toContain('s3cret-pw-123');
  });
});
