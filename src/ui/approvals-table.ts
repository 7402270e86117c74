import type { PlanView } from '../core/admin/approvals.js';
import type { GatewayEvent } from '../core/events.js';
import type { ApprovalView } from './snapshot.js';
import { singleLine } from '../core/log/text.js';
import { cleanLine, prettyJson } from './text.js';

const MAX_PLANS = 200;

/**
 * Plans the dashboard knows: the admin API's list (authoritative, with arguments and requester) and
 * approval.changed events in between (state, actor). Bounded: pending ones are kept first.
 */
export class ApprovalsTable {
  private readonly plans = new Map<string, ApprovalView>();
  private list: readonly ApprovalView[] = Object.freeze([]);
  private dirty = false;

  /** Replaces what the admin API answered; plans it no longer lists are kept only if decided since. */
  setPlans(plans: readonly PlanView[], at: number): void {
    const seen = new Set<string>();
    for (const p of plans) {
      seen.add(p.id);
      const prev = this.plans.get(p.id);
      this.plans.set(p.id, fromPlan(p, at, prev));
    }
    for (const [id, v] of this.plans) if (!seen.has(id) && v.state === 'pending') this.plans.delete(id);
    this.dirty = true;
  }

  changed(e: Extract<GatewayEvent, { type: 'approval.changed' }>): void {
    const id = cleanLine(e.planId);
    const prev = this.plans.get(id);
    const decided = e.state === 'approved' || e.state === 'denied';
    this.plans.set(
      id,
      Object.freeze({
        ...prev,
        id,
        state: cleanLine(e.state),
        backend: cleanLine(e.backend),
        tool: cleanLine(e.tool),
        summary: cleanLine(e.summary),
        // A digest is a hash, not a secret, and redaction would eat it (it looks like a long token).
        digest: singleLine(e.digest).slice(0, 200),
        actor: cleanLine(e.actor),
        ...(decided ? { decidedBy: cleanLine(e.actor), decidedAt: e.at } : {}),
        createdAt: prev?.createdAt ?? (e.state === 'pending' ? e.at : undefined),
        updatedAt: e.at,
      }),
    );
    this.dirty = true;
  }

  clear(): void {
    this.plans.clear();
    this.dirty = true;
  }

  view(): readonly ApprovalView[] {
    if (!this.dirty) return this.list;
    this.dirty = false;
    const all = [...this.plans.values()];
    const pending = all.filter((p) => p.state === 'pending').sort((a, b) => (a.createdAt ?? a.updatedAt) - (b.createdAt ?? b.updatedAt));
    const rest = all.filter((p) => p.state !== 'pending').sort((a, b) => b.updatedAt - a.updatedAt);
    const out = [...pending, ...rest].slice(0, MAX_PLANS);
    if (out.length < all.length) {
      const keep = new Set(out.map((p) => p.id));
      for (const id of [...this.plans.keys()]) if (!keep.has(id)) this.plans.delete(id);
    }
    this.list = Object.freeze(out);
    return this.list;
  }
}

function time(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

function fromPlan(p: PlanView, at: number, prev: ApprovalView | undefined): ApprovalView {
  // An event newer than this answer already moved the plan on; keep its state.
  const newer = prev !== undefined && prev.state !== p.state && prev.updatedAt > at;
  return Object.freeze({
    id: cleanLine(p.id),
    state: newer ? prev.state : cleanLine(p.state),
    backend: cleanLine(p.backend),
    tool: cleanLine(p.tool),
    exposedName: cleanLine(p.exposedName),
    summary: cleanLine(p.summary),
    digest: singleLine(p.digest).slice(0, 200),
    arguments: prettyJson(p.arguments),
    requestedBy: cleanLine(p.requestedBy.subject ? `${p.requestedBy.client} (${p.requestedBy.subject})` : p.requestedBy.client),
    via: cleanLine(p.requestedBy.via),
    createdAt: time(p.createdAt),
    expiresAt: time(p.expiresAt),
    decidedBy: newer ? prev.decidedBy : p.decidedBy === undefined ? undefined : cleanLine(p.decidedBy),
    decidedAt: newer ? prev.decidedAt : time(p.decidedAt),
    reason: p.reason === undefined ? undefined : cleanLine(p.reason),
    actor: prev?.actor,
    updatedAt: newer ? prev.updatedAt : at,
  });
}
