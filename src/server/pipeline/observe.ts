import type { CallOutcome, EventBus } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import { classifyFailure, withoutCommandLine } from './errors.js';
import { clientOf } from './identity.js';
import { callTraceId } from './trace-context.js';
import type { CallContext, Handler, Result, Step } from './types.js';

/**
 * Emits call.started and call.finished for every request that reaches a backend. Metrics and spans
 * join as steps beside this one, reading the same outcome.
 */
export function observeStep(bus: EventBus): Step {
  return {
    name: 'observe',
    async handle(call: CallContext, next: Handler): Promise<Result> {
      const started = performance.now();
      const client = clientOf(call);
      const backend = call.route?.upstream.name;
      const { callId = '', sessionId, method, exposedName: name } = call;
      const traceId = callTraceId(call);
      bus.emit('call.started', { callId, client, sessionId, method, name, backend, requestBytes: approxBytes(call.params), ...(traceId ? { traceId } : {}) });
      let outcome: CallOutcome = 'ok';
      let error: string | undefined;
      let result: Result | undefined;
      try {
        result = await next(call);
        if (result.isError === true) outcome = 'tool-error';
        return result;
      } catch (e) {
        outcome = classifyFailure(e, call);
        error = withoutCommandLine(errorMessage(e), call);
        throw e;
      } finally {
        bus.emit('call.finished', {
          callId,
          client,
          sessionId,
          method,
          name,
          backend,
          durationMs: performance.now() - started,
          outcome,
          responseBytes: result ? approxBytes(result) : 0,
          error,
          ...(traceId ? { traceId } : {}),
        });
      }
    },
  };
}

/**
 * A size for events without serialising the message again: string lengths summed over a bounded
 * walk. Close to the JSON size for the text-heavy payloads MCP carries, and cheap on the hot path.
 */
export function approxBytes(v: unknown, budget = { nodes: 2_000 }): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number' || typeof v === 'boolean') return 5;
  if (v === null || typeof v !== 'object' || --budget.nodes < 0) return 0;
  let n = 2;
  if (Array.isArray(v)) {
    for (const x of v) n += approxBytes(x, budget) + 1;
    return n;
  }
  for (const k in v) n += k.length + 4 + approxBytes((v as Record<string, unknown>)[k], budget);
  return n;
}
