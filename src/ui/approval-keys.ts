import type { Key } from 'ink';
import type { ApprovalsPort, PinsPort } from '../core/admin/feed.js';
import { acceptPin } from './pin-keys.js';
import type { Colour } from './format.js';
import { selectedKey, type ListNav, type VisibleList } from './list-nav.js';
import type { ApprovalView } from './snapshot.js';

/**
 * A question on the key line: approve or deny one plan (y/n), then, for deny, an optional reason; or
 * (catalog view) accept one tool withheld by pinning (y/n).
 */
export interface ApprovalPrompt {
  action: 'approve' | 'deny' | 'accept';
  planId: string;
  /** accept only: the held tool. */
  pin?: { backend: string; tool: string };
  label: string;
  /** Deny only: typing the reason after y. */
  reason?: string;
}

export interface Notice {
  text: string;
  colour: Colour;
}

export interface ApprovalUiState {
  prompt?: ApprovalPrompt;
  /** The outcome of the last decision (or why none was made), shown above the key line. */
  notice?: Notice;
}

export interface ApprovalKeyContext {
  ui: ApprovalUiState & { view: string; navs: Record<string, ListNav> };
  list: VisibleList;
  height: number;
  set: (update: (prev: ApprovalUiState) => ApprovalUiState) => void;
  port?: ApprovalsPort;
  /** After a decision went through, so the list is re-read without waiting for the event. */
  onDecided?: () => void;
  /** The catalog view's accept questions are answered here too. */
  pins?: PinsPort;
  onAccepted?: () => void;
}

function planOf(ctx: ApprovalKeyContext): ApprovalView | undefined {
  const nav = ctx.ui.navs.approvals as ListNav;
  const key = nav.detail ?? selectedKey(ctx.list, ctx.height, nav);
  if (key === undefined) return undefined;
  const i = ctx.list.indexOf(key);
  return i < 0 ? undefined : (ctx.list.items[i] as ApprovalView);
}

function decide(ctx: ApprovalKeyContext, p: ApprovalPrompt, reason?: string): void {
  if (p.action === 'accept') return acceptPin(p, ctx.pins, ctx.set, ctx.onAccepted);
  const port = ctx.port!;
  const verb = p.action === 'approve' ? 'Approving' : 'Denying';
  ctx.set((s) => ({ ...s, prompt: undefined, notice: { text: `${verb} ${p.label}…`, colour: 'cyan' } }));
  port.decide(p.planId, p.action, reason).then(
    (plan) => {
      const done = p.action === 'approve' ? 'Approved' : 'Denied';
      ctx.set((s) => ({ ...s, notice: { text: `${done} ${p.label} as ${port.operator}; it is now ${plan.state}.`, colour: 'green' } }));
      ctx.onDecided?.();
    },
    (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      ctx.set((s) => ({ ...s, notice: { text: `Not ${p.action === 'approve' ? 'approved' : 'denied'}: ${message}`, colour: 'red' } }));
      ctx.onDecided?.();
    },
  );
}

/**
 * Keys of the approvals view: a and d ask about the selected (or open) plan; y confirms, n or Esc
 * cancels; a deny then takes an optional reason, sent with Enter. Answers true when it took the key.
 */
export function approvalKey(input: string, key: Key, ctx: ApprovalKeyContext): boolean {
  const p = ctx.ui.prompt;
  if (p) {
    if (p.reason !== undefined) {
      if (key.escape) ctx.set((s) => ({ ...s, prompt: undefined, notice: { text: `Kept ${p.label} pending.`, colour: 'yellow' } }));
      else if (key.return) decide(ctx, p, p.reason.trim() || undefined);
      else if (key.backspace || key.delete) ctx.set((s) => ({ ...s, prompt: { ...p, reason: Array.from(p.reason!).slice(0, -1).join('') } }));
      else if (input && !key.ctrl && !key.meta && !/[\u0000-\u001f]/.test(input)) ctx.set((s) => ({ ...s, prompt: { ...p, reason: (p.reason! + input).slice(0, 500) } }));
      return true;
    }
    if (input === 'y' || input === 'Y') {
      if (p.action === 'deny') ctx.set((s) => ({ ...s, prompt: { ...p, reason: '' } }));
      else decide(ctx, p);
    } else if (input === 'n' || input === 'N' || key.escape) {
      ctx.set((s) => ({ ...s, prompt: undefined, notice: { text: p.action === 'accept' ? `Kept ${p.label} withheld.` : `Kept ${p.label} pending.`, colour: 'yellow' } }));
    }
    // Anything else waits for an answer: a stray key must not approve or leave the question.
    return true;
  }
  if (ctx.ui.view !== 'approvals' || (input !== 'a' && input !== 'd')) return false;
  const plan = planOf(ctx);
  const action = input === 'a' ? 'approve' : 'deny';
  if (!plan) {
    ctx.set((s) => ({ ...s, notice: { text: 'No plan selected.', colour: 'yellow' } }));
    return true;
  }
  if (!ctx.port) {
    ctx.set((s) => ({ ...s, notice: { text: 'This dashboard has no admin API to decide through; use `gatehouse approvals`.', colour: 'red' } }));
    return true;
  }
  if (plan.state !== 'pending') {
    ctx.set((s) => ({ ...s, notice: { text: `Plan ${plan.id} is ${plan.state}; only a pending plan can be ${action === 'approve' ? 'approved' : 'denied'}.`, colour: 'yellow' } }));
    return true;
  }
  ctx.set((s) => ({ ...s, notice: undefined, prompt: { action, planId: plan.id, label: `plan ${plan.id} (${plan.exposedName ?? plan.tool} on ${plan.backend})` } }));
  return true;
}

/** The key line while a question is open. */
export function promptText(p: ApprovalPrompt, operator: string | undefined): string {
  if (p.reason !== undefined) return `Deny reason (optional): ${p.reason}▏  ⏎ deny  Esc cancel`;
  if (p.action === 'accept') return `Accept ${p.label}${operator ? ` as ${operator}` : ''}? It is listed and callable again. y/n`;
  return `${p.action === 'approve' ? 'Approve' : 'Deny'} ${p.label}${operator ? ` as ${operator}` : ''}? y/n`;
}
