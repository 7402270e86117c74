/**
 * Held calls across replicas (issue 12). A modern client's input_required round with a 2025 backend
 * keeps the backend call open in the memory of the replica that started it (era/held-call.ts); the
 * backend's sampling or elicitation request cannot be asked again elsewhere. So the requestState
 * names the holder under the cluster key, and a retry that lands on another replica is forwarded
 * to the holder; if the holder is gone, the client is told to start the call again.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HELD_PREFIX, type HeldSeal } from '../era/held-call.js';
import { FORWARDED_HEADER } from '../inbound/context.js';
import { header, rpcError, sendJson } from '../inbound/guards.js';
import type { ClusterBus } from './bus.js';
import { forwardRequest } from './proxy.js';
import { openSessionId, sealSessionId } from './replica.js';

/** InvalidParams, as an unknown requestState is answered on one replica. */
const GONE_CODE = -32602;

export function heldSeal(key: Buffer, self: string): HeldSeal {
  return {
    wrap: (token) => sealSessionId(key, self, token),
    unwrap: (sealed) => {
      const o = openSessionId(key, sealed);
      return o && o.owner === self ? o.local : undefined;
    },
  };
}

/** The held-call requestState a modern request carries, if any (one message or a batch). */
function heldState(body: unknown): { state: string; id: string | number | null } | undefined {
  for (const m of Array.isArray(body) ? body : [body]) {
    const r = m as { id?: unknown; params?: { requestState?: unknown } } | null;
    const state = r?.params?.requestState;
    if (typeof state === 'string' && state.startsWith(HELD_PREFIX)) return { state, id: typeof r!.id === 'string' || typeof r!.id === 'number' ? r!.id : null };
  }
  return undefined;
}

export async function handleHeld(bus: ClusterBus, key: Buffer, req: IncomingMessage, res: ServerResponse, body: { text: string; json: unknown }): Promise<boolean> {
  const held = heldState(body.json);
  if (!held) return false;
  const opened = openSessionId(key, held.state.slice(HELD_PREFIX.length));
  // Not authentic, ours, or already forwarded once: the held calls here answer it (unknown or resumed).
  if (!opened || opened.owner === bus.replica.id || header(req, FORWARDED_HEADER) !== undefined) return false;
  const url = await bus.addressOf(opened.owner).catch(() => undefined);
  if (url) {
    await forwardRequest({ url, owner: opened.owner, self: bus.replica.id }, req, res, body);
    return true;
  }
  sendJson(res, 200, rpcError(GONE_CODE, `The gateway replica holding this call (${opened.owner}) is gone, and the backend call it held open went with it. Call the tool again.`, held.id));
  return true;
}
