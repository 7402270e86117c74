import { SERVER_INFO_META_KEY, inputRequired } from '@modelcontextprotocol/server';

type Result = Record<string, unknown>;

/**
 * A backend result made fit for the gateway's client, whichever era either side speaks: a modern
 * backend's input_required is re-issued through the SDK builder, and its server identity dropped.
 */
export function adaptResult(res: Result): Result {
  if (res.resultType === 'input_required') {
    return inputRequired({ inputRequests: res.inputRequests as never, requestState: res.requestState as string | undefined }) as unknown as Result;
  }
  return withoutBackendIdentity(res);
}

/**
 * A 2026-07-28 backend stamps its own identity into each result's `_meta`. The client's server is the
 * gateway, and the SDK only stamps the gateway's identity where the key is absent, so drop the
 * backend's (every other `_meta` key passes through).
 */
export function withoutBackendIdentity(res: Result): Result {
  const meta = res._meta;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta) || !(SERVER_INFO_META_KEY in meta)) return res;
  const { [SERVER_INFO_META_KEY]: _backend, ...rest } = meta as Result;
  const out = { ...res };
  if (Object.keys(rest).length) out._meta = rest;
  else delete out._meta;
  return out;
}
