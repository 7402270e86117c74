import { ErrorCodes, type ReverseRequest } from '../upstream/types.js';
import type { CallContext, Handler, Result, ReverseDecision, Step } from './types.js';

export interface PolicyDeps {
  /** gateway.callTimeout, in milliseconds. */
  defaultTimeoutMs: number;
}

/**
 * What the gateway allows a resolved request to do: how long it may take, and which requests the
 * backend may make to the client during it. Approval, rate limits, filters and roles join here as
 * steps of their own, placed after this one.
 */
export function policyStep(deps: PolicyDeps): Step {
  return {
    name: 'policy',
    handle(call: CallContext, next: Handler): Promise<Result> {
      call.timeoutMs = timeoutFor(call, deps.defaultTimeoutMs);
      call.reverseGuards.push(declaredCapabilityGuard);
      call.decisions.push(ALLOWED);
      return next(call);
    },
  };
}

const ALLOWED = Object.freeze({ step: 'policy', verdict: 'allow' as const });

/** A tool's own timeout, else the backend's, else the gateway's; seconds in config, ms here. */
export function timeoutFor(call: CallContext, defaultTimeoutMs: number): number {
  const c = call.route!.upstream.config;
  const name = call.params.name;
  if (call.method === 'tools/call' && c.toolTimeouts && typeof name === 'string' && c.toolTimeouts[name]) return c.toolTimeouts[name]! * 1000;
  return c.timeout ? c.timeout * 1000 : defaultTimeoutMs;
}

/** The client capability each backend-to-client request needs. */
const REVERSE_CAPABILITY: Record<string, 'roots' | 'sampling' | 'elicitation'> = {
  'roots/list': 'roots',
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
};

/**
 * A backend request the calling client declared no support for is answered by the gateway (an empty
 * roots list, or an error to the backend) rather than passed on: a 2026-07-28 client fails its whole
 * call on an input_required round it cannot fulfil. Backends ask for roots unprompted
 * (server-everything does after initialize), so this also covers a request that merely coincided
 * with the call. A client that declared nothing at all is asked anyway, as before.
 */
export function declaredCapabilityGuard(request: ReverseRequest, call: CallContext): ReverseDecision | undefined {
  const needed = REVERSE_CAPABILITY[request.method];
  const capabilities = call.clientCapabilities;
  if (!needed || !capabilities || capabilities[needed] !== undefined) return undefined;
  if (request.method === 'roots/list') return { step: 'policy', verdict: 'answer', result: { roots: [] }, reason: 'The client declared no roots capability; the backend gets an empty list.' };
  return { step: 'policy', verdict: 'deny', code: ErrorCodes.MethodNotFound, reason: `The client of this call does not support ${needed} (${request.method}).` };
}
