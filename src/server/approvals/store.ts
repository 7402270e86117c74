import type { AuditView } from '../../core/admin/approvals.js';
import type { Plan, PlanState } from '../../core/approvals/plan.js';

/**
 * One append-only audit record, written in the same transaction as the transition it records. Its
 * shape is the admin contract's: `event` is created, approved, denied, expired, executing, done,
 * failed or interrupted, and `summary` is the redacted argument summary.
 */
export type AuditRecord = AuditView;

/** What a claim to execute a plan found. */
export type Claim =
  | { claimed: true; plan: Plan }
  | { claimed: false; plan?: Plan; why: 'unknown' | 'state' | 'expired' | 'digest' };

/**
 * Plans, decisions and outcomes behind one interface (SQLite embedded, sqlite-store.ts; PostgreSQL
 * for replicas, pg-store.ts; test/server/approvals/store-contract.test.ts holds both to it). Every
 * transition is conditional on the state it leaves, so two writers cannot both make it, and writes
 * its audit record in the same transaction.
 */
export interface PlanStore {
  create(plan: Plan): Promise<void>;
  get(id: string): Promise<Plan | undefined>;
  list(filter?: { state?: PlanState }): Promise<Plan[]>;
  /** Plans by state (metrics); a store without it is counted through list(). */
  countByState?(): Promise<Record<string, number>>;
  /** pending -> approved | denied; false when the plan is not pending (or is past its expiry). */
  decide(id: string, verdict: 'approved' | 'denied', by: string, reason: string | undefined, now: Date): Promise<{ ok: boolean; plan?: Plan }>;
  /** approved -> executing, only when unexpired and the stored digest still matches. */
  claim(id: string, now: Date, digestOf: (p: Plan) => string): Promise<Claim>;
  /** executing -> done | failed, with the outcome kept for later applies. */
  finish(id: string, state: 'done' | 'failed', outcome: unknown, now: Date): Promise<void>;
  audit(filter?: { planId?: string; since?: string }): Promise<AuditRecord[]>;
  close(): Promise<void>;
}
