import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Pool, PoolClient } from 'pg';
import { planSummary, type Plan, type PlanState } from '../../core/approvals/plan.js';
import { redactString } from '../../core/log/redact.js';
import { finishDetail, planFromRow } from './store-rows.js';
import { isProcessAlive } from '../../core/process-alive.js';
import type { AuditRecord, Claim, PlanStore } from './store.js';

/**
 * Schema migrations, in order; `gatehouse_schema` records which ran. Each runs once, in a
 * transaction, under an advisory lock, so replicas starting together do not race on DDL.
 */
const MIGRATIONS: string[] = [
  `
CREATE TABLE gatehouse_plans (
  id TEXT PRIMARY KEY, backend TEXT NOT NULL, tool TEXT NOT NULL, exposed_name TEXT NOT NULL,
  arguments TEXT NOT NULL, digest TEXT NOT NULL, requester TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL, state TEXT NOT NULL,
  decided_by TEXT, decided_at TIMESTAMPTZ, reason TEXT, outcome TEXT, executor TEXT
);
CREATE INDEX gatehouse_plans_state ON gatehouse_plans (state, created_at);
CREATE TABLE gatehouse_audit (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, plan_id TEXT NOT NULL, at TIMESTAMPTZ NOT NULL,
  event TEXT NOT NULL, actor TEXT NOT NULL, digest TEXT NOT NULL, summary TEXT NOT NULL, detail TEXT
);
CREATE INDEX gatehouse_audit_plan ON gatehouse_audit (plan_id, seq);
CREATE FUNCTION gatehouse_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'gatehouse_audit is append-only'; END $$;
CREATE TRIGGER gatehouse_audit_no_update BEFORE UPDATE OR DELETE ON gatehouse_audit FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_append_only();
CREATE TRIGGER gatehouse_audit_no_truncate BEFORE TRUNCATE ON gatehouse_audit FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_audit_append_only();
`,
];

/** One per process, so every store instance in it (and so every claim it makes) carries the same tag. */
const EXECUTOR = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;

/** Any fixed number: the advisory lock that orders schema migrations across replicas. */
const MIGRATION_LOCK = 74_201_001;

interface Row {
  id: string;
  backend: string;
  tool: string;
  exposed_name: string;
  arguments: string;
  digest: string;
  requester: string;
  created_at: Date;
  expires_at: Date;
  state: PlanState;
  decided_by: string | null;
  decided_at: Date | null;
  reason: string | null;
  outcome: string | null;
  executor: string | null;
}

/** The connection string without its password, for messages. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured PostgreSQL URL';
  }
}

/**
 * The plan store for several replicas: PostgreSQL, loaded only when configured. Every transition
 * is one transaction whose UPDATE is conditional on the state it leaves (`WHERE state = ...
 * RETURNING`), so of two gateways racing for one plan exactly one gets the row back; its audit
 * record is inserted in the same transaction. The audit table refuses UPDATE, DELETE and TRUNCATE.
 */
export class PgPlanStore implements PlanStore {
  /**
   * Which process is applying a plan. The nonce tells a restarted process from its predecessor even
   * when both have the same host name and pid (pid 1 in a container that restarted in place).
   */
  readonly executor = EXECUTOR;

  private constructor(private readonly pool: Pool) {}

  /** Connects, runs any migration not yet applied, and returns the store; errors never carry the password. */
  static async open(url: string): Promise<PgPlanStore> {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000 });
    // An idle client losing its server must not crash the gateway; the next query reconnects.
    pool.on('error', () => undefined);
    const store = new PgPlanStore(pool);
    try {
      await store.migrate();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw new Error(`Cannot open the PostgreSQL plan store at ${describeUrl(url)}: ${redactString(e instanceof Error ? e.message : String(e))}`);
    }
    return store;
  }

  private async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS gatehouse_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const done = (await c.query<{ v: number | null }>('SELECT max(version) AS v FROM gatehouse_schema')).rows[0]?.v ?? 0;
      for (let v = done + 1; v <= MIGRATIONS.length; v++) {
        await c.query(MIGRATIONS[v - 1]!);
        await c.query('INSERT INTO gatehouse_schema (version) VALUES ($1)', [v]);
      }
    });
  }

  /** The schema version this database is at (tests, diagnostics). */
  async schemaVersion(): Promise<number> {
    return (await this.pool.query<{ v: number | null }>('SELECT max(version) AS v FROM gatehouse_schema')).rows[0]?.v ?? 0;
  }

  private async tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async auditRow(c: PoolClient, plan: Pick<Plan, 'id' | 'digest' | 'backend' | 'tool' | 'arguments'>, event: string, actor: string, at: Date, detail?: string): Promise<void> {
    await c.query('INSERT INTO gatehouse_audit (plan_id, at, event, actor, digest, summary, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      plan.id,
      at,
      event,
      actor,
      plan.digest,
      planSummary(plan),
      detail === undefined ? null : redactString(detail),
    ]);
  }

  private async row(c: PoolClient | Pool, id: string): Promise<Plan | undefined> {
    const r = (await c.query<Row>('SELECT * FROM gatehouse_plans WHERE id = $1', [id])).rows[0];
    return r ? fromRow(r) : undefined;
  }

  async create(plan: Plan): Promise<void> {
    await this.tx(async (c) => {
      await c.query(
        'INSERT INTO gatehouse_plans (id, backend, tool, exposed_name, arguments, digest, requester, created_at, expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [plan.id, plan.backend, plan.tool, plan.exposedName, JSON.stringify(plan.arguments), plan.digest, JSON.stringify(plan.requester), plan.createdAt, plan.expiresAt, plan.state],
      );
      await this.auditRow(c, plan, 'created', plan.requester.subject ?? plan.requester.client, new Date(plan.createdAt));
    });
  }

  async get(id: string): Promise<Plan | undefined> {
    return this.row(this.pool, id);
  }

  async list(filter: { state?: PlanState } = {}): Promise<Plan[]> {
    const r = filter.state
      ? await this.pool.query<Row>('SELECT * FROM gatehouse_plans WHERE state = $1 ORDER BY created_at, id', [filter.state])
      : await this.pool.query<Row>('SELECT * FROM gatehouse_plans ORDER BY created_at, id');
    return r.rows.map(fromRow);
  }

  async decide(id: string, verdict: 'approved' | 'denied', by: string, reason: string | undefined, now: Date): Promise<{ ok: boolean; plan?: Plan }> {
    return this.tx(async (c) => {
      const expired = await this.expireIfDue(c, id, now);
      if (expired) return { ok: false, plan: expired };
      const r = (
        await c.query<Row>("UPDATE gatehouse_plans SET state = $2, decided_by = $3, decided_at = $4, reason = $5 WHERE id = $1 AND state = 'pending' RETURNING *", [id, verdict, by, now, reason ?? null])
      ).rows[0];
      if (!r) return { ok: false, plan: await this.row(c, id) };
      const plan = fromRow(r);
      await this.auditRow(c, plan, verdict, by, now, reason);
      return { ok: true, plan };
    });
  }

  async claim(id: string, now: Date, digestOf: (p: Plan) => string): Promise<Claim> {
    return this.tx(async (c): Promise<Claim> => {
      const expired = await this.expireIfDue(c, id, now);
      if (expired) return { claimed: false, plan: expired, why: 'expired' };
      // Locks the row: a racing claim waits here and then sees the state this one leaves.
      const locked = (await c.query<Row>('SELECT * FROM gatehouse_plans WHERE id = $1 FOR UPDATE', [id])).rows[0];
      if (!locked) return { claimed: false, why: 'unknown' };
      const plan = fromRow(locked);
      if (plan.state === 'expired') return { claimed: false, plan, why: 'expired' };
      if (plan.state !== 'approved') return { claimed: false, plan, why: 'state' };
      if (digestOf(plan) !== plan.digest) {
        // A changed row is refused for good: what would run is not what was approved.
        const failed = (await c.query<Row>("UPDATE gatehouse_plans SET state = 'failed', outcome = $2 WHERE id = $1 AND state = 'approved' RETURNING *", [id, JSON.stringify({ error: 'digest mismatch' })])).rows[0];
        if (failed) await this.auditRow(c, plan, 'failed', 'gateway', now, 'stored arguments do not match the approved digest; not executed');
        return { claimed: false, plan: failed ? fromRow(failed) : await this.row(c, id), why: 'digest' };
      }
      const r = (await c.query<Row>("UPDATE gatehouse_plans SET state = 'executing', executor = $2 WHERE id = $1 AND state = 'approved' RETURNING *", [id, this.executor])).rows[0];
      if (!r) return { claimed: false, plan: await this.row(c, id), why: 'state' };
      await this.auditRow(c, plan, 'executing', 'gateway', now);
      return { claimed: true, plan: fromRow(r) };
    });
  }

  async finish(id: string, state: 'done' | 'failed', outcome: unknown, now: Date): Promise<void> {
    await this.tx(async (c) => {
      const r = (await c.query<Row>("UPDATE gatehouse_plans SET state = $2, outcome = $3 WHERE id = $1 AND state = 'executing' RETURNING *", [id, state, JSON.stringify(outcome ?? null)])).rows[0];
      // Someone else settled it (a restart declared it interrupted): the record already says so.
      if (!r) return;
      await this.auditRow(c, fromRow(r), state, 'gateway', now, finishDetail(state, outcome));
    });
  }

  /**
   * Plans left `executing` by a process on this host that no longer runs (its pid is gone, or it is
   * this pid with another nonce: our own predecessor). The backend may or may not have acted, so they
   * fail and are never run again. Claims of live processes, and of other hosts, are left alone.
   */
  async interruptExecuting(now: Date): Promise<number> {
    const host = hostname();
    return this.tx(async (c) => {
      const rows = (await c.query<Row>("SELECT * FROM gatehouse_plans WHERE state = 'executing' FOR UPDATE")).rows;
      let n = 0;
      for (const r of rows) {
        if (!stale(r.executor, host, this.executor)) continue;
        const failed = (
          await c.query<Row>("UPDATE gatehouse_plans SET state = 'failed', outcome = $2 WHERE id = $1 AND state = 'executing' RETURNING *", [
            r.id,
            JSON.stringify({ error: 'interrupted: the gateway stopped while applying; the outcome is unknown' }),
          ])
        ).rows[0];
        if (!failed) continue;
        await this.auditRow(c, fromRow(failed), 'interrupted', 'gateway', now, 'the gateway stopped while applying; not retried');
        n++;
      }
      return n;
    });
  }

  async audit(filter: { planId?: string; since?: string } = {}): Promise<AuditRecord[]> {
    const since = filter.since === undefined ? null : new Date(filter.since);
    if (since && Number.isNaN(since.getTime())) throw new Error(`"${filter.since}" is not a time; give an ISO time such as 2026-01-01T00:00:00Z.`);
    const r = await this.pool.query<{ seq: string; plan_id: string; at: Date; event: string; actor: string; digest: string; summary: string; detail: string | null }>(
      'SELECT * FROM gatehouse_audit WHERE ($1::text IS NULL OR plan_id = $1) AND ($2::timestamptz IS NULL OR at >= $2) ORDER BY seq',
      [filter.planId ?? null, since],
    );
    return r.rows.map((x) => ({
      seq: Number(x.seq),
      planId: x.plan_id,
      at: x.at.toISOString(),
      event: x.event,
      actor: x.actor,
      digest: x.digest,
      summary: x.summary,
      ...(x.detail ? { detail: x.detail } : {}),
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Inside a transaction: a pending or approved plan past its expiry becomes expired (audited); returns it then. */
  private async expireIfDue(c: PoolClient, id: string, now: Date): Promise<Plan | undefined> {
    const r = (await c.query<Row>("UPDATE gatehouse_plans SET state = 'expired' WHERE id = $1 AND state IN ('pending', 'approved') AND expires_at <= $2 RETURNING *", [id, now])).rows[0];
    if (!r) return undefined;
    const plan = fromRow(r);
    await this.auditRow(c, plan, 'expired', 'gateway', now);
    return plan;
  }
}

/** Whether an executor tag names a process on this host that is gone (see interruptExecuting). */
function stale(executor: string | null, host: string, self: string): boolean {
  if (executor === null) return true;
  const m = /^(.*):(\d+):([0-9a-f]+)$/.exec(executor);
  if (!m || m[1] !== host) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return executor !== self;
  return !isProcessAlive(pid);
}


function fromRow(r: Row): Plan {
  return planFromRow({ ...r, created_at: r.created_at.toISOString(), expires_at: r.expires_at.toISOString(), decided_at: r.decided_at?.toISOString() ?? null });
}


