import { inputRequired } from '@modelcontextprotocol/server';
import { planDigest, planSummary, type Plan } from '../../core/approvals/plan.js';
import { openPlanState, PLAN_STATE_PREFIX, sealPlanState, type OpenFailure } from '../approvals/seal.js';
import { ApprovalError, type Approvals } from '../approvals/service.js';
import type { Upstream } from '../upstream/types.js';
import { ErrorCodes } from '../upstream/types.js';
import { deny } from './errors.js';
import type { CallContext, Handler, Result } from './types.js';

/** The key of the one input request a guarded call's round carries. */
export const APPROVAL_INPUT_KEY = 'gatehouse_approval';

/** A 2026-07-28 client that declared URL-mode elicitation (`capabilities.elicitation.url`). */
export function wantsUrlElicitation(call: CallContext): boolean {
  if (call.era !== 'modern') return false;
  const elicitation = call.clientCapabilities?.elicitation as Record<string, unknown> | undefined;
  const url = elicitation?.url;
  return url !== null && typeof url === 'object';
}

/** Whether a retry carries the state of one of our approval rounds. */
export function ownsPlanState(state: string | undefined): state is string {
  return state !== undefined && state.startsWith(PLAN_STATE_PREFIX);
}

const OPEN_REFUSALS: Record<OpenFailure, string> = {
  malformed: 'The requestState is not one this gateway issued. Call the tool again without it for a new plan.',
  mac: 'The requestState failed its integrity check (changed, or sealed with another key). Call the tool again without it for a new plan.',
  bind: 'The requestState was issued to another identity and cannot be used by this one. Call the tool again without it for your own plan.',
  expired: 'The requestState has expired with its plan. Call the tool again without it for a new plan.',
};

/** The input_required answer: a URL elicitation pointing at the plan's approval page, and the sealed state. */
export function approvalRound(plan: Plan, url: string, requestState: string): Result {
  const message = `Approval needed: ${plan.exposedName} is a guarded tool. A person must approve plan ${plan.id} (${planSummary(plan)}; digest ${plan.digest}) on this page before it runs. It expires at ${plan.expiresAt}.`;
  return inputRequired({ inputRequests: { [APPROVAL_INPUT_KEY]: inputRequired.elicitUrl({ message, url }) }, requestState }) as unknown as Result;
}

/** First round: seal a state bound to the plan's digest, the caller and the plan's expiry. */
export async function firstRound(approvals: Approvals, plan: Plan, url: string, call: CallContext): Promise<Result> {
  const state = sealPlanState(await approvals.keys(), { planId: plan.id, digest: plan.digest, exp: Math.floor(Date.parse(plan.expiresAt) / 1000) }, call.identity);
  return approvalRound(plan, url, state);
}

/**
 * A retry carrying our state. Pending: the same round again (or the plan result when the client's
 * user declined). Anything else goes the way of `gatehouse_apply_plan`: an approved plan runs once
 * through `next` with its stored arguments, a done plan answers with its first outcome, and
 * denied, expired, failed or tampered plans are refused.
 */
export async function resumeRound(
  approvals: Approvals,
  call: CallContext & { requestState: string },
  next: Handler,
  upstream: Upstream,
  tool: string,
  args: Record<string, unknown>,
  planResult: (plan: Plan, note?: string) => Result,
): Promise<Result> {
  const opened = openPlanState(await approvals.keys(), call.requestState, call.identity, Date.now());
  if (!opened.ok) throw deny(call, 'approval', ErrorCodes.InvalidParams, OPEN_REFUSALS[opened.why], { refusal: `state-${opened.why}` });
  const { planId, digest } = opened.payload;
  if (planDigest(upstream.name, tool, args) !== digest) {
    throw deny(call, 'approval', ErrorCodes.InvalidParams, `This retry differs from the call plan ${planId} was made for (backend, tool or arguments changed). Nothing was sent; call the tool again for a new plan.`, { planId, refusal: 'digest' });
  }
  const plan = await approvals.get(planId);
  if (!plan) throw deny(call, 'approval', ErrorCodes.InvalidParams, `No plan "${planId}". Call the tool again for a new plan.`, { planId, refusal: 'unknown' });
  const action = (call.inputResponses?.[APPROVAL_INPUT_KEY] as { action?: unknown } | undefined)?.action;
  if (action === 'decline' || action === 'cancel') {
    return planResult(plan, `The approval request was ${action === 'decline' ? 'declined' : 'cancelled'} in the client; plan ${plan.id} is ${plan.state} and was not executed.`);
  }
  if (plan.state === 'pending') {
    const url = approvals.pageUrl(plan.id);
    if (url) return approvalRound(plan, url, call.requestState);
  }
  try {
    return await approvals.apply(
      planId,
      (p) => {
        // Only the stored call goes out; the retry's round-trip fields are ours, not the backend's.
        call.params = { name: p.tool, arguments: p.arguments };
        call.requestState = undefined as never;
        call.inputResponses = undefined;
        return next(call);
      },
      (p) => p.backend === upstream.name && upstream.state === 'ready',
    );
  } catch (e) {
    if (e instanceof ApprovalError) throw deny(call, 'approval', ErrorCodes.InvalidParams, e.message, { planId, refusal: e.kind });
    throw e;
  }
}
