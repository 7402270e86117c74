import { redact } from '../log/redact.js';
import { planSummary, type Plan, type PlanState } from '../approvals/plan.js';
import { readRunState } from '../config/run-state.js';
import { UserError } from '../errors.js';

/**
 * The typed contract of the approval routes of the admin API, shared by the gateway's routes and
 * the `gatehouse approvals` commands. Plans leave the gateway only in this redacted view.
 */
export interface PlanView {
  id: string;
  state: PlanState;
  backend: string;
  tool: string;
  exposedName: string;
  /** Credential-looking values redacted. */
  arguments: Record<string, unknown>;
  summary: string;
  digest: string;
  requestedBy: Plan['requester'];
  createdAt: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
  outcome?: unknown;
}

export interface AuditView {
  seq: number;
  planId: string;
  at: string;
  event: string;
  actor: string;
  digest: string;
  summary: string;
  detail?: string;
}

export interface ApprovalsListResponse {
  plans: PlanView[];
}
export interface ApprovalShowResponse {
  plan: PlanView;
  audit: AuditView[];
}
export interface ApprovalDecisionRequest {
  approver: string;
  reason?: string;
}
export interface ApprovalDecisionResponse {
  plan: PlanView;
}
export interface ApprovalsLogResponse {
  records: AuditView[];
}

export const APPROVALS_PATH = '/approvals';

export function planView(plan: Plan): PlanView {
  return {
    id: plan.id,
    state: plan.state,
    backend: plan.backend,
    tool: plan.tool,
    exposedName: plan.exposedName,
    arguments: redact(plan.arguments),
    summary: planSummary(plan),
    digest: plan.digest,
    requestedBy: plan.requester,
    createdAt: plan.createdAt,
    expiresAt: plan.expiresAt,
    ...(plan.decidedBy ? { decidedBy: plan.decidedBy } : {}),
    ...(plan.decidedAt ? { decidedAt: plan.decidedAt } : {}),
    ...(plan.reason ? { reason: plan.reason } : {}),
    ...(plan.outcome !== undefined ? { outcome: redact(plan.outcome) } : {}),
  };
}

/** Calls an approval route of the running gateway's loopback admin API. */
export async function approvalsRequest<T>(dir: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const state = await readRunState(dir);
  let res: Response;
  try {
    res = await fetch(`${state.adminUrl}${APPROVALS_PATH}${path}`, {
      method,
      headers: { authorization: `Bearer ${state.adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new UserError(`The gateway recorded at ${state.url} (pid ${state.pid}) does not answer.`, {
      code: 'gateway_not_running',
      hint: 'It may have exited without cleaning up; start it again with `gatehouse serve`.',
    });
  }
  const out = (await res.json().catch(() => ({}))) as { error?: string; message?: string; hint?: string };
  if (!res.ok) {
    throw new UserError(out.message ?? `The gateway answered ${res.status} to ${method} ${APPROVALS_PATH}${path}.`, {
      code: out.error ?? 'admin_failed',
      ...(out.hint ? { hint: out.hint } : {}),
    });
  }
  return out as T;
}
