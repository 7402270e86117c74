import { CLIENT_CAPABILITIES_META_KEY } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/**
 * The Tasks extension on the gateway's client side. The SDK client knows only `complete` and
 * `input_required` results and fails any other `resultType`, so a backend's CreateTaskResult
 * (`resultType: "task"`) is carried through its decoder inside a complete result and taken out
 * again once the request settles (McpConnection.forward).
 */
const CARRIER = 'gatehouse/createTaskResult';
const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** A response whose result is a CreateTaskResult, wrapped so the SDK settles it; other messages unchanged. */
export function carryTaskResult<M extends JSONRPCMessage>(message: M): M {
  const result = (message as { result?: Record<string, unknown> }).result;
  if (!result || typeof result !== 'object' || result.resultType !== 'task') return message;
  return { ...message, result: { resultType: 'complete', content: [], [CARRIER]: result } } as M;
}

/** The backend's CreateTaskResult, if `result` carries one. */
export function carriedTaskResult(result: Record<string, unknown>): Record<string, unknown> | undefined {
  const carried = result[CARRIER];
  return carried !== null && typeof carried === 'object' && !Array.isArray(carried) ? (carried as Record<string, unknown>) : undefined;
}

/**
 * The per-request client capabilities with the Tasks extension added, for a call whose client
 * declared it: request `_meta` wins over the SDK's envelope, so `base` (the gateway's own
 * capabilities) has to be repeated.
 */
export function withTasksCapability(meta: Record<string, unknown>, base: Record<string, unknown>): void {
  const extensions = { ...((base.extensions as Record<string, unknown> | undefined) ?? {}), [TASKS_EXTENSION]: {} };
  meta[CLIENT_CAPABILITIES_META_KEY] = { ...base, extensions };
}
