import { isJSONRPCErrorResponse, isJSONRPCNotification, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage } from '@modelcontextprotocol/server';

/** The same batch cap the SDK's streamable HTTP transport applies at /mcp. */
export const MAX_BATCH = 100;

/** Checks a posted body the way /mcp does: one JSON-RPC message, or a non-empty batch of at most MAX_BATCH. */
export function validateMessages(body: unknown): { ok: true; messages: JSONRPCMessage[] } | { ok: false; message: string } {
  const list = Array.isArray(body) ? body : [body];
  if (Array.isArray(body) && body.length === 0) return { ok: false, message: 'Invalid Request: empty JSON-RPC batch.' };
  if (list.length > MAX_BATCH) return { ok: false, message: `Invalid Request: a batch must not exceed ${MAX_BATCH} messages (got ${list.length}).` };
  for (const [i, m] of list.entries()) {
    if (!(isJSONRPCRequest(m) || isJSONRPCNotification(m) || isJSONRPCResultResponse(m) || isJSONRPCErrorResponse(m))) {
      const where = Array.isArray(body) ? ` (batch element ${i})` : '';
      return { ok: false, message: `Invalid Request${where}: expected a JSON-RPC 2.0 request, notification or response object.` };
    }
  }
  return { ok: true, messages: list as JSONRPCMessage[] };
}

/** The ids of the requests in a body (for a final error when the gateway stops under them). */
export function requestIds(body: unknown): Array<string | number> {
  const list = Array.isArray(body) ? body : [body];
  return list.flatMap((m) => {
    const r = m as { id?: unknown; method?: unknown } | null;
    return r && typeof r.method === 'string' && (typeof r.id === 'string' || typeof r.id === 'number') ? [r.id] : [];
  });
}
