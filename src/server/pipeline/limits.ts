import { ErrorCodes } from '../upstream/types.js';
import { deny } from './errors.js';
import type { CallContext, Handler, Result, Step } from './types.js';

/** Deeper arguments than any real tool takes; far below what JSON.stringify survives (~4k). */
export const MAX_ARGUMENT_DEPTH = 64;

/**
 * The edge guard: bounds what a client can make the gateway hold or serialise before any step looks
 * at it. Nesting is the one bound needed today (5k levels overflowed the stack on the way out).
 */
export function limitsStep(maxDepth = MAX_ARGUMENT_DEPTH): Step {
  return {
    name: 'limits',
    handle(call: CallContext, next: Handler): Promise<Result> {
      // params carry the arguments one level down; _meta arrives separately and is forwarded too.
      if (exceedsDepth(call.params, maxDepth + 1) || exceedsDepth(call.meta, maxDepth)) {
        const what = call.params.name ?? call.params.uri;
        return Promise.reject(deny(
          call,
          'limits',
          ErrorCodes.InvalidParams,
          `The arguments of ${call.method}${typeof what === 'string' ? ` "${what}"` : ''} are nested more than ${maxDepth} levels deep, the gateway's limit. Send flatter arguments (for example a JSON string for deep data).`,
          { limit: maxDepth },
        ));
      }
      return next(call);
    },
  };
}

/** Whether v nests more than `max` levels of objects or arrays; stops at the first branch too deep. */
export function exceedsDepth(v: unknown, max: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (max <= 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (exceedsDepth(v[i], max - 1)) return true;
    return false;
  }
  for (const k in v) if (exceedsDepth((v as Record<string, unknown>)[k], max - 1)) return true;
  return false;
}
