import { ProtocolError, isInputRequiredResult } from '@modelcontextprotocol/server';
import { randomUUID } from 'node:crypto';
import type { ReverseRequest } from '../upstream/types.js';
import { missingCapabilities, requiredFor } from './modern-encode.js';

type Result = Record<string, unknown>;

const MAX_ROUNDS = 8;
/** A round that carries only requestState (nothing to ask) is retried after this pause. */
const STATE_ONLY_PAUSE_MS = 250;

/**
 * A 2025 client's answer for a call on the message-level fast path whose backend (a 2026-07-28
 * server) answered input_required. A 2025 client cannot retry, so the gateway asks it each
 * embedded request itself, as real server-to-client requests on the call's response, and retries
 * the call with the answers, for at most eight rounds. It is the contract the SDK's own legacy
 * shim keeps on the slower path: a missing capability or a failed leg is a tool error for
 * `tools/call` and a JSON-RPC error for the others.
 */
export async function fulfilInputRequired(
  method: string,
  first: Result,
  io: { capabilities: Record<string, unknown> | undefined; signal: AbortSignal; send: (r: ReverseRequest) => Promise<Result>; retry: (inputResponses: Record<string, unknown> | undefined, requestState: string | undefined) => Promise<Result> },
): Promise<Result> {
  let current = first;
  for (let round = 1; isInputRequiredResult(current); round++) {
    if (round > MAX_ROUNDS) return failure(method, `Multi-round-trip request '${method}' still required input after ${MAX_ROUNDS} rounds (inputRequired.maxRounds)`);
    const requests = current.inputRequests as Record<string, unknown> | undefined | null;
    const state = typeof current.requestState === 'string' ? current.requestState : undefined;
    const asks = requests != null && typeof requests === 'object' ? Object.entries(requests) : [];
    if (!asks.length && state === undefined) throw new ProtocolError(-32603, `Handler for ${method} returned an input-required result with neither inputRequests nor requestState (every InputRequiredResult must include at least one of the two)`);
    let responses: Record<string, unknown> | undefined;
    if (asks.length) {
      const legs: Array<[string, ReverseRequest]> = [];
      for (const [key, entry] of asks) {
        const e = entry as { method?: unknown; params?: Record<string, unknown> } | null;
        const required = e && typeof e.method === 'string' ? requiredFor(e.method, e.params) : undefined;
        if (!e || typeof e.method !== 'string' || !required) throw new ProtocolError(-32603, `Handler for ${method} returned an invalid input request '${key}': each inputRequests entry must be an embedded elicitation/create, sampling/createMessage, or roots/list request`);
        if (e.method !== 'roots/list' && e.params === undefined) throw new ProtocolError(-32603, `Handler for ${method} returned an input request '${key}' of kind '${e.method}' without params`);
        if (missingCapabilities(required, io.capabilities)) return failure(method, `Cannot request input '${key}' (${e.method}): the client on this 2025-era connection did not declare the required capability`);
        // The 2025 URL mode names each elicitation; the 2026 in-band form has no id, so one is minted.
        const params = e.method === 'elicitation/create' && e.params?.mode === 'url' && e.params.elicitationId === undefined ? { ...e.params, elicitationId: randomUUID() } : e.params;
        legs.push([key, { method: e.method, ...(params !== undefined ? { params } : {}) }]);
      }
      try {
        responses = Object.fromEntries(await Promise.all(legs.map(async ([key, r]) => [key, await io.send(r)] as const)));
      } catch (error) {
        if (io.signal.aborted) throw error;
        return failure(method, `Fulfilling input required by '${method}' failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    } else {
      await new Promise((r) => setTimeout(r, STATE_ONLY_PAUSE_MS));
    }
    current = await io.retry(responses, state);
  }
  return current;
}

function failure(method: string, message: string): Result {
  if (method === 'tools/call') return { content: [{ type: 'text', text: message }], isError: true };
  throw new ProtocolError(-32603, message);
}

/** The 2025 wire form of a fast-path result: a tool result without content gets `content: []`. */
export function encodeLegacyResult(method: string, result: Result): Result {
  if (method === 'tools/call' && result.content === undefined && !['task', 'inputRequests', 'requestState'].some((k) => k in result)) return { ...result, content: [] };
  return result;
}
