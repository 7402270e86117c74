import type { EventBus } from '../../core/events.js';
import type { AliasTable } from '../aliases.js';
import type { Catalog } from '../catalog.js';
import type { Approvals } from '../approvals/service.js';
import type { HeldCalls } from '../era/held-call.js';
import type { Upstream } from '../upstream/types.js';
import { approvalSteps } from './approval.js';
import { forwardStep } from './forward.js';
import { identityStep } from './identity.js';
import { limitsStep } from './limits.js';
import { compose } from './pipeline.js';
import { observeStep } from './observe.js';
import { policyStep } from './policy.js';
import { resolveStep } from './resolve.js';
import type { Step } from './types.js';

export { Pipeline, compose, newCall } from './pipeline.js';
export { CallDenied, deny, classifyFailure, clientError } from './errors.js';
export type { CallContext, CallMethod, Decision, Handler, RelaySinks, Result, ReverseDecision, ReverseGuard, Route, Step } from './types.js';

export interface PipelineDeps {
  catalog: Catalog;
  aliases?: () => AliasTable | undefined;
  bus: EventBus;
  /** gateway.callTimeout, in milliseconds. */
  defaultTimeoutMs: number;
  held: HeldCalls;
  track?: <T>(p: Promise<T>) => Promise<T>;
  /** Guarded writes; without it no call is guarded and the apply tool does not exist. */
  approvals?: Approvals;
  upstreams?: () => Upstream[];
  /** Per-call metrics (src/server/metrics/step.ts); first, so refusals by any later step are counted. */
  metrics?: Step;
}

/**
 * The steps every request passes, in order. A new step goes into this list at its place (see
 * docs/architecture.md); transports and the router do not change.
 */
export function defaultSteps(deps: PipelineDeps): Step[] {
  const policy = policyStep(deps);
  const observe = observeStep(deps.bus);
  const forward = forwardStep(deps);
  const first = deps.metrics ? [deps.metrics] : [];
  if (!deps.approvals) return [...first, limitsStep(), identityStep, resolveStep(deps), policy, observe, forward];
  // An applied plan skips resolve (its backend and native tool are stored) and the guard (it is approved).
  const { guard, apply } = approvalSteps({ approvals: deps.approvals, upstreams: deps.upstreams ?? (() => []) }, compose([policy, observe, forward]));
  return [...first, limitsStep(), identityStep, apply, resolveStep(deps), policy, guard, observe, forward];
}
