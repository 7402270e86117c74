import { createRequire } from 'node:module';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { planSummary, type Plan, type PlanState } from '../../core/approvals/plan.js';
import { redactString } from '../../core/log/redact.js';
import { finishDetail, planFromRow, type PlanRow } from './store-rows.js';
import { isProcessAlive } from '../../core/process-alive.js';
import type { AuditRecord, Claim, PlanStore } from './store.js';

// better-sqlite3 ships no types of its own here; this is the part of its API the store uses.
interface Statement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Database {
  pragma(s: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): Statement;
  transaction<T extends (...a: never[]) => unknown>(fn: T): T;
  close(): void;
}

type Row = PlanRow;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS plans (
  id TEXT PRIMARY KEY, backend TEXT NOT NULL, tool TEXT NOT NULL, exposed_name TEXT NOT NULL,
  arguments TEXT NOT NULL, digest TEXT NOT NULL, requester TEXT NOT NULL,
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL, state TEXT NOT NULL,
  decided_by TEXT, decided_at TEXT, reason TEXT, outcome TEXT, executor TEXT
);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, plan_id TEXT NOT NULL, at TEXT NOT NULL, event TEXT NOT NULL,
  actor TEXT NOT NULL, digest TEXT NOT NULL, summary TEXT NOT NULL, detail TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

/**
 * The embedded plan store: one SQLite file in WAL mode, so the CLI can read while the gateway
 * writes. better-sqlite3 is synchronous, so each transition runs start to end without another
 * call of this process interleaving, and SQLite's write lock orders it against other processes.
 */
export class SqlitePlanStore implements PlanStore {
  private readonly db: Database;
  /** Which process is applying a plan: host and pid, so a restart can tell a dead applier from a live one. */
  private readonly executor = `${hostname()}:${process.pid}`;

  constructor(readonly file: string) {
    if (file !== ':memory:') {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      // Plans hold the exact arguments (they may carry credentials); SQLite gives its WAL the same mode.
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    // Loaded here, not at import: only a gateway that guards a call pays for the native module.
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => Database;
    this.db = new Sqlite(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
  }

  private auditRow(plan: Pick<Plan, 'id' | 'digest' | 'backend' | 'tool' | 'arguments'>, event: string, actor: string, at: string, detail?: string): void {
    this.db.prepare('INSERT INTO audit (plan_id, at, event, actor, digest, summary, detail) VALUES (?, ?, ?, ?, ?, ?, ?)').run(plan.id, at, event, actor, plan.digest, planSummary(plan), detail === undefined ? null : redactString(detail));
  }

  private row(id: string): Plan | undefined {
    const r = this.db.prepare('SELECT * FROM plans WHERE id = ?').get(id) as Row | undefined;
    return r ? planFromRow(r) : undefined;
  }

  async create(plan: Plan): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO plans (id, backend, tool, exposed_name, arguments, digest, requester, created_at, expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(plan.id, plan.backend, plan.tool, plan.exposedName, JSON.stringify(plan.arguments), plan.digest, JSON.stringify(plan.requester), plan.createdAt, plan.expiresAt, plan.state);
      this.auditRow(plan, 'created', requesterName(plan), plan.createdAt);
    })();
  }

  async get(id: string): Promise<Plan | undefined> {
    return this.row(id);
  }

  async list(filter: { state?: PlanState } = {}): Promise<Plan[]> {
    const rows = (filter.state ? this.db.prepare('SELECT * FROM plans WHERE state = ? ORDER BY created_at').all(filter.state) : this.db.prepare('SELECT * FROM plans ORDER BY created_at').all()) as Row[];
    return rows.map(planFromRow);
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n FROM plans GROUP BY state').all() as Array<{ state: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  async decide(id: string, verdict: 'approved' | 'denied', by: string, reason: string | undefined, now: Date): Promise<{ ok: boolean; plan?: Plan }> {
    const at = now.toISOString();
    return this.db.transaction(() => {
      const plan = this.expireIfDue(id, at);
      if (!plan || plan.state !== 'pending') return { ok: false, plan };
      this.db.prepare("UPDATE plans SET state = ?, decided_by = ?, decided_at = ?, reason = ? WHERE id = ? AND state = 'pending'").run(verdict, by, at, reason ?? null, id);
      this.auditRow(plan, verdict, by, at, reason);
      return { ok: true, plan: this.row(id) };
    })();
  }

  async claim(id: string, now: Date, digestOf: (p: Plan) => string): Promise<Claim> {
    const at = now.toISOString();
    return this.db.transaction((): Claim => {
      const plan = this.expireIfDue(id, at);
      if (!plan) return { claimed: false, why: 'unknown' };
      if (plan.state === 'expired') return { claimed: false, plan, why: 'expired' };
      if (plan.state !== 'approved') return { claimed: false, plan, why: 'state' };
      if (digestOf(plan) !== plan.digest) {
        // A changed row is refused for good: what would run is not what was approved.
        this.db.prepare("UPDATE plans SET state = 'failed', outcome = ? WHERE id = ? AND state = 'approved'").run(JSON.stringify({ error: 'digest mismatch' }), id);
        this.auditRow(plan, 'failed', 'gateway', at, 'stored arguments do not match the approved digest; not executed');
        return { claimed: false, plan: this.row(id), why: 'digest' };
      }
      const changed = this.db.prepare("UPDATE plans SET state = 'executing', executor = ? WHERE id = ? AND state = 'approved'").run(this.executor, id).changes;
      if (changed !== 1) return { claimed: false, plan: this.row(id), why: 'state' };
      this.auditRow(plan, 'executing', 'gateway', at);
      return { claimed: true, plan: this.row(id)! };
    })();
  }

  async finish(id: string, state: 'done' | 'failed', outcome: unknown, now: Date): Promise<void> {
    const at = now.toISOString();
    this.db.transaction(() => {
      const plan = this.row(id);
      if (!plan) return;
      const changed = this.db.prepare("UPDATE plans SET state = ?, outcome = ? WHERE id = ? AND state = 'executing'").run(state, JSON.stringify(outcome ?? null), id).changes;
      // Someone else settled it (a restart declared it interrupted): the record already says so.
      if (changed !== 1) return;
      this.auditRow(plan, state, 'gateway', at, finishDetail(state, outcome));
    })();
  }

  /**
   * Plans left `executing` by a gateway process on this host that no longer runs: the backend may or
   * may not have acted, so they are never run again; they fail with that said. Plans a live process
   * (another gateway on the same file) is applying are left alone.
   */
  interruptExecuting(now: Date): number {
    const at = now.toISOString();
    const host = hostname();
    return this.db.transaction(() => {
      const rows = this.db.prepare("SELECT * FROM plans WHERE state = 'executing'").all() as Array<Row & { executor: string | null }>;
      const stuck = rows.filter((r) => r.executor === null || (r.executor.startsWith(`${host}:`) && !isProcessAlive(Number(r.executor.slice(host.length + 1))))).map(planFromRow);
      for (const p of stuck) {
        this.db.prepare("UPDATE plans SET state = 'failed', outcome = ? WHERE id = ? AND state = 'executing'").run(JSON.stringify({ error: 'interrupted: the gateway stopped while applying; the outcome is unknown' }), p.id);
        this.auditRow(p, 'interrupted', 'gateway', at, 'the gateway stopped while applying; not retried');
      }
      return stuck.length;
    })();
  }

  async audit(filter: { planId?: string; since?: string } = {}): Promise<AuditRecord[]> {
    const rows = this.db
      .prepare('SELECT * FROM audit WHERE (? IS NULL OR plan_id = ?) AND (? IS NULL OR at >= ?) ORDER BY seq')
      .all(filter.planId ?? null, filter.planId ?? null, filter.since ?? null, filter.since ?? null) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      seq: r.seq as number,
      planId: r.plan_id as string,
      at: r.at as string,
      event: r.event as string,
      actor: r.actor as string,
      digest: r.digest as string,
      summary: r.summary as string,
      ...(r.detail ? { detail: r.detail as string } : {}),
    }));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** Inside a transaction: a pending or approved plan past its expiry becomes expired, audited. */
  private expireIfDue(id: string, at: string): Plan | undefined {
    const plan = this.row(id);
    if (!plan) return undefined;
    if ((plan.state === 'pending' || plan.state === 'approved') && plan.expiresAt <= at) {
      this.db.prepare("UPDATE plans SET state = 'expired' WHERE id = ? AND state IN ('pending', 'approved')").run(id);
      this.auditRow(plan, 'expired', 'gateway', at);
      return this.row(id);
    }
    return plan;
  }
}



function requesterName(plan: Plan): string {
  return plan.requester.subject ?? plan.requester.client;
}


