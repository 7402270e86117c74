import { planSummary, type Plan } from '../../core/approvals/plan.js';
import { effectiveConstraints } from '../../core/approvals/effective.js';
import { APPLY_TOOL, ApprovalError, type Approvals } from '../approvals/service.js';
import type { Upstream } from '../upstream/types.js';
import { ErrorCodes } from '../upstream/types.js';
import { deny } from './errors.js';
import { firstRound, ownsPlanState, resumeRound, wantsUrlElicitation } from './approval-url.js';
import type { CallContext, Handler, Result, Step } from './types.js';

export interface ApprovalDeps {
  approvals: Approvals;
  upstreams: () => Upstream[];
}

/**
 * The two halves of guarded writes. `guard` (after policy) enforces argument constraints and turns
 * a call to a guarded tool into a stored plan instead of forwarding it. `apply` (before resolve,
 * since the apply tool is the gateway's own) executes an approved plan through `tail`: the steps
 * after resolve (policy, observe, forward), with the plan's backend and exact arguments.
 */
export function approvalSteps(deps: ApprovalDeps, tail: Handler): { guard: Step; apply: Step } {
  const { approvals } = deps;
  const guard: Step = {
    name: 'approval',
    handle(call: CallContext, next: Handler): Promise<Result> {
      if (call.method !== 'tools/call') return next(call);
      const upstream = call.route!.upstream;
      const tool = String(call.params.name);
      // Most calls are neither constrained nor guarded: they pass without an async frame.
      if (!effectiveConstraints(upstream.config)?.[tool] && !approvals.verdict(upstream, tool).guarded) return next(call);
      return guarded(call, next, upstream, tool);
    },
  };
  const guarded = async (call: CallContext, next: Handler, upstream: Upstream, tool: string): Promise<Result> => {
    const args = (call.params.arguments as Record<string, unknown> | undefined) ?? {};
    const problems = await approvals.violations(upstream, tool, args);
    if (problems) throw deny(call, 'approval', ErrorCodes.InvalidParams, `Arguments outside the allowed constraints for ${call.exposedName}: ${problems}. Nothing was sent.`, { constraint: true });
    const verdict = approvals.verdict(upstream, tool);
    if (!verdict.guarded) return next(call);
    // A 2026-07-28 client's retry of an approval round (URL elicitation): its state names the plan.
    if (call.era === 'modern' && ownsPlanState(call.requestState)) {
      return resumeRound(approvals, call as CallContext & { requestState: string }, next, upstream, tool, args, (p, note) => planResult(p, approvals.pageUrl(p.id), note));
    }
    const plan = await approvals.createPlan({ backend: upstream.name, tool, exposedName: call.exposedName ?? tool, arguments: args, identity: call.identity });
    call.decisions.push({ step: 'approval', verdict: 'deny', reason: `guarded (${verdict.reason}); plan ${plan.id} created`, data: { planId: plan.id } });
    const url = approvals.pageUrl(plan.id);
    if (url && wantsUrlElicitation(call)) return firstRound(approvals, plan, url, call);
    return planResult(plan, url);
  };
  const apply: Step = {
    name: 'approval-apply',
    async handle(call: CallContext, next: Handler): Promise<Result> {
      if (call.method !== 'tools/call' || call.params.name !== APPLY_TOOL) return next(call);
      const planId = (call.params.arguments as { planId?: unknown } | undefined)?.planId;
      if (typeof planId !== 'string' || !planId) throw deny(call, 'approval', ErrorCodes.InvalidParams, `${APPLY_TOOL} needs {"planId": "<id>"}, the id a guarded call returned.`);
      const find = (p: Plan) => deps.upstreams().find((u) => u.name === p.backend);
      try {
        return await approvals.apply(
          planId,
          (plan) => {
            call.route = { upstream: find(plan)! };
            call.exposedName = plan.exposedName;
            // Only the stored arguments go out; the apply call carries nothing else to send.
            call.params = { name: plan.tool, arguments: plan.arguments };
            return tail(call);
          },
          (plan) => find(plan)?.state === 'ready',
        );
      } catch (e) {
        if (e instanceof ApprovalError) throw deny(call, 'approval', ErrorCodes.InvalidParams, e.message, { planId, refusal: e.kind });
        throw e;
      }
    },
  };
  return { guard, apply };
}

/** What the agent gets instead of the backend's answer: a plan, and what happens next. */
function planResult(plan: Plan, pageUrl?: string, note?: string): Result {
  const text = [
    ...(note ? [note] : []),
    `Not executed: ${plan.exposedName} is a guarded tool, so the gateway stored a plan instead of calling the backend.`,
    `Plan: ${plan.id}`,
    `Will ${planSummary(plan)}`,
    `Digest: ${plan.digest}`,
    `Expires: ${plan.expiresAt}`,
    `A person approves it out of band: \`gatehouse approvals approve ${plan.id}\` (or denies it with \`gatehouse approvals deny ${plan.id}\`)${pageUrl ? `, or on ${pageUrl}` : ''}.`,
    `After approval, apply it by calling ${APPLY_TOOL} with {"planId": "${plan.id}"}; it runs exactly once, with exactly these arguments.`,
  ].join('\n');
  return {
    content: [{ type: 'text', text }],
    _meta: { 'gatehouse/plan': { id: plan.id, state: plan.state, digest: plan.digest, expiresAt: plan.expiresAt, applyTool: APPLY_TOOL, ...(pageUrl ? { approvalUrl: pageUrl } : {}) } },
  };
}
