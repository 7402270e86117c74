import type { EventBus } from '../../core/events.js';
import type { AliasTable } from '../aliases.js';
import type { Catalog } from '../catalog.js';
import { APPLY_TOOL, type Approvals } from '../approvals/service.js';
import type { HeldCalls } from '../era/held-call.js';
import type { RateLimiter } from '../ratelimit/limiter.js';
import type { Upstream } from '../upstream/types.js';
import type { AccessPolicy } from '../../core/policy/access.js';
import { accessStep, planAccessStep } from './access.js';
import { approvalSteps } from './approval.js';
import { forwardStep } from './forward.js';
import { identityStep } from './identity.js';
import { limitsStep } from './limits.js';
import { compose } from './pipeline.js';
import { observeStep } from './observe.js';
import { policyStep } from './policy.js';
import { rateLimitStep } from './ratelimit.js';
import { resolveStep } from './resolve.js';
import { withTaskIds } from './tasks.js';
import type { TaskRoutes } from '../tasks/routes.js';
import type { Step } from './types.js';

export { Pipeline, compose, composeLocal, newCall, newLocalCall } from './pipeline.js';
export { CallDenied, deny, classifyFailure, clientError } from './errors.js';
export type { CallContext, CallMethod, Decision, Handler, LocalCall, LocalHandler, LocalMethod, RelaySinks, Result, ReverseDecision, ReverseGuard, Route, Step } from './types.js';

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
  /** Rate limits; without it no call is limited. */
  rateLimiter?: RateLimiter;
  /** Tracing (src/server/tracing/), only while it is on: a server span first, a span around each step. */
  tracing?: { server: Step; wrap(step: Step): Step };
  /** Virtual servers and roles of the configuration being served (issue 11). */
  access?: () => AccessPolicy | undefined;
  /** Per-call metrics (src/server/metrics/step.ts); first, so refusals by any later step are counted. */
  metrics?: Step;
  /** The Tasks extension's routes; without it a CreateTaskResult passes with the backend's own id. */
  tasks?: TaskRoutes;
}

/**
 * The steps every request passes, in order. A new step goes into this list at its place (see
 * docs/architecture.md); transports and the router do not change.
 */
export function defaultSteps(deps: PipelineDeps): Step[] {
  // Wrapped here too, so the steps an applied plan runs (the tail below) are traced as well.
  const w = deps.tracing?.wrap ?? ((s: Step) => s);
  const policy = w(policyStep(deps));
  const observe = w(observeStep(deps.bus));
  // Task results get the gateway's ids inside forward (the gateway always has task routes).
  const forward = w(withTaskIds(forwardStep(deps), deps.tasks));
  const access = accessStep(deps);
  // Inside observe, so a limited call is observed as an error. An applied plan is not limited: a
  // person approved it, and failing it here would fail the plan.
  const ratelimit = rateLimitStep({ limiter: deps.rateLimiter, catalog: deps.catalog, bus: deps.bus });
  const first = deps.metrics ? [deps.metrics] : [];
  if (!deps.approvals) return traced(deps, [...first, limitsStep(), identityStep, resolveStep(deps), access, policy, observe, ratelimit, forward]);
  // An applied plan skips resolve (its backend and native tool are stored) and the guard (it is approved).
  const { guard, apply } = approvalSteps({ approvals: deps.approvals, upstreams: deps.upstreams ?? (() => []) }, compose([policy, observe, forward]));
  const planAccess = planAccessStep({ access: deps.access, catalog: deps.catalog, plans: deps.approvals, applyTool: APPLY_TOOL });
  return traced(deps, [...first, limitsStep(), identityStep, planAccess, apply, resolveStep(deps), access, policy, guard, observe, ratelimit, forward]);
}

/** Without tracing the list as it is; with it, the server span step first and every step in its span. */
function traced(deps: PipelineDeps, steps: Step[]): Step[] {
  return deps.tracing ? [deps.tracing.server, ...steps.map(deps.tracing.wrap)] : steps;
}
