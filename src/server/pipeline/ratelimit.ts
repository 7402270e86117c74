import type { EventBus } from '../../core/events.js';
import type { Catalog } from '../catalog.js';
import type { RateLimiter, Verdict } from '../ratelimit/limiter.js';
import { deny } from './errors.js';
import { clientOf } from './identity.js';
import type { CallContext, Handler, Result, Step } from './types.js';

/**
 * The JSON-RPC code of a call refused by a rate limit (or, with `redisFailure: closed`, because the
 * shared limits cannot be checked). In the implementation-defined server range; documented in
 * docs/rate-limits.md. The data carries `retryAfterSeconds`.
 */
export const RATE_LIMITED = -32029;

export interface RateLimitDeps {
  limiter?: RateLimiter;
  catalog: Catalog;
  bus: EventBus;
}

/**
 * Token-bucket limits on tool calls. It runs inside `observe`, so a limited call is recorded as an
 * error outcome with the limit's message. Without any configured limit it only passes the call on.
 */
export function rateLimitStep(deps: RateLimitDeps): Step {
  return {
    name: 'ratelimit',
    handle(call: CallContext, next: Handler): Promise<Result> {
      const limiter = deps.limiter;
      if (!limiter?.active || call.method !== 'tools/call' || !call.route) return next(call);
      return limited(deps, limiter, call, next);
    },
  };
}

async function limited(deps: RateLimitDeps, limiter: RateLimiter, call: CallContext, next: Handler): Promise<Result> {
  const backend = call.route!.upstream.name;
  const native = String(call.params.name);
  const tool = deps.catalog.exposedToolName(backend, native) ?? call.exposedName ?? native;
  const verdict = await limiter.check({ client: clientOf(call), roles: call.identity?.roles ?? [], backend, tool, native });
  if (verdict.ok) return next(call);
  throw refusal(deps, call, backend, tool, verdict);
}

function refusal(deps: RateLimitDeps, call: CallContext, backend: string, tool: string, verdict: Exclude<Verdict, { ok: true }>) {
  const retry = verdict.retryAfterSeconds;
  if (verdict.kind === 'unavailable') {
    return deny(call, 'ratelimit', RATE_LIMITED, `Rate limits cannot be checked: ${verdict.reason}. gateway.cluster.redisFailure is "closed", so calls are refused until Redis answers again; retry in ${retry} s.`, {
      reason: 'unavailable',
      retryAfterSeconds: retry,
    });
  }
  const { limit, values } = verdict.hit;
  deps.bus.emit('ratelimit.limited', { backend, tool, limit: limit.description });
  const scope = values.length ? ` for ${values.map(([f, v]) => `${f} "${v}"`).join(', ')}` : '';
  return deny(call, 'ratelimit', RATE_LIMITED, `Rate limit reached: ${limit.description}${scope}. Retry in ${retry} s.`, {
    limit: limit.description,
    source: limit.source,
    rate: limit.rate,
    perSeconds: limit.perSeconds,
    burst: limit.burst,
    retryAfterSeconds: retry,
  });
}
