import type { Plan, PlanState } from '../../core/approvals/plan.js';

/** One row of the plans table, as both stores read it (timestamps as ISO strings). */
export interface PlanRow {
  id: string;
  backend: string;
  tool: string;
  exposed_name: string;
  arguments: string;
  digest: string;
  requester: string;
  created_at: string;
  expires_at: string;
  state: PlanState;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  outcome: string | null;
}

export function planFromRow(r: PlanRow): Plan {
  return {
    id: r.id,
    backend: r.backend,
    tool: r.tool,
    exposedName: r.exposed_name,
    arguments: JSON.parse(r.arguments) as Record<string, unknown>,
    digest: r.digest,
    requester: JSON.parse(r.requester) as Plan['requester'],
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    state: r.state,
    ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
    ...(r.decided_at ? { decidedAt: r.decided_at } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.outcome ? { outcome: JSON.parse(r.outcome) as unknown } : {}),
  };
}

/** The audit detail of a finished plan: the failure's text, or a note that the backend answered isError. */
export function finishDetail(state: 'done' | 'failed', outcome: unknown): string | undefined {
  if (state === 'failed') {
    const e = (outcome as { error?: unknown } | undefined)?.error;
    return typeof e === 'string' ? e : 'failed';
  }
  const isError = Boolean(outcome && typeof outcome === 'object' && (outcome as { isError?: unknown }).isError === true);
  return isError ? 'the backend answered with isError' : undefined;
}
