import { MissingRequiredClientCapabilityError, ProtocolError, SERVER_INFO_META_KEY, isInputRequiredResult } from '@modelcontextprotocol/server';

type Result = Record<string, unknown>;

/**
 * The 2026-07-28 wire form of a result the gateway answers on its message-level fast path
 * (inbound/fast-modern.ts). It is the same contract the SDK's per-request server applies on its
 * own path, written once here so both paths answer alike (test/server/inbound/fast-path.test.ts
 * sends the same requests both ways and compares the answers):
 * - every result carries `resultType` (absent means `complete`);
 * - cacheable results (lists, `resources/read`) carry `ttlMs` and `cacheScope`: the handler's own
 *   valid values, else 0 and `private`;
 * - `_meta` carries the gateway's server identity unless the handler set one;
 * - a `tools/call` result without content gets `content: []`;
 * - an input_required result is checked: at least one of inputRequests and requestState, and each
 *   embedded request covered by the capabilities the request declared (-32021 otherwise).
 */
const CACHEABLE = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read', 'server/discover']);
const INPUT_REQUIRED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
const TOOL_RESULT_FOREIGN_KEYS = ['task', 'inputRequests', 'requestState'];

export function encodeModernResult(method: string, result: Result, serverInfo: { name: string; version: string }, declared: Record<string, unknown> | undefined): Result {
  let out = result;
  if (isInputRequiredResult(out)) {
    if (!INPUT_REQUIRED_METHODS.has(method)) {
      throw new ProtocolError(-32603, `Handler for ${method} returned an input-required result, but only tools/call, prompts/get and resources/read support input_required (protocol revision 2026-07-28)`);
    }
    checkInputRequests(method, out, declared);
  } else if (method === 'tools/call' && out.content === undefined && !TOOL_RESULT_FOREIGN_KEYS.some((k) => k in out)) {
    out = { ...out, content: [] };
  }
  const provided = out.resultType;
  if (provided === undefined) out = { ...out, resultType: 'complete' };
  else if (provided !== 'complete' && !INPUT_REQUIRED_METHODS.has(method)) {
    throw new ProtocolError(-32603, `Handler for ${method} returned resultType '${String(provided)}', but results of ${method} only support 'complete' on protocol revision 2026-07-28`);
  }
  if (out.resultType === 'complete' && CACHEABLE.has(method)) {
    const ttlMs = validTtl(out.ttlMs) ? out.ttlMs : 0;
    const cacheScope = out.cacheScope === 'public' || out.cacheScope === 'private' ? out.cacheScope : 'private';
    out = { ...out, ttlMs, cacheScope };
  }
  return withServerInfo(out, serverInfo);
}

/** A thrown error as a JSON-RPC error object, as the SDK answers it on either era. */
export function encodeError(error: unknown): { code: number; message: string; data?: unknown } {
  const e = (error ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  const thrown = typeof e.code === 'number' && Number.isSafeInteger(e.code) ? e.code : -32603;
  // -32002 (a 2025 "resource not found") is invalid params on this revision.
  const code = thrown === -32002 ? -32602 : thrown;
  const message = typeof e.message === 'string' ? e.message : 'Internal error';
  return { code, message, ...(e.data !== undefined ? { data: e.data } : {}) };
}

function withServerInfo(result: Result, serverInfo: { name: string; version: string }): Result {
  const meta = result._meta;
  if (meta === undefined) return { ...result, _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return result;
  if ((meta as Result)[SERVER_INFO_META_KEY] !== undefined) return result;
  return { ...result, _meta: { ...(meta as Result), [SERVER_INFO_META_KEY]: serverInfo } };
}

function validTtl(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function checkInputRequests(method: string, result: Result, declared: Record<string, unknown> | undefined): void {
  const requests = result.inputRequests as Record<string, unknown> | undefined | null;
  const hasRequests = requests != null && typeof requests === 'object' && Object.keys(requests).length > 0;
  if (!hasRequests && typeof result.requestState !== 'string') {
    throw new ProtocolError(-32603, `Handler for ${method} returned an input-required result with neither inputRequests nor requestState (every InputRequiredResult must include at least one of the two)`);
  }
  if (!hasRequests) return;
  for (const [key, entry] of Object.entries(requests)) {
    const embedded = entry as { method?: unknown; params?: Record<string, unknown> } | null;
    if (!embedded || typeof embedded !== 'object' || typeof embedded.method !== 'string') {
      throw new ProtocolError(-32603, `Handler for ${method} returned an invalid input request '${key}': each inputRequests entry must be an embedded elicitation/create, sampling/createMessage, or roots/list request`);
    }
    const required = requiredFor(embedded.method, embedded.params);
    if (!required) throw new ProtocolError(-32603, `Handler for ${method} returned an input request '${key}' of kind '${embedded.method}', which is not an embedded request the 2026-07-28 revision defines`);
    const missing = missingCapabilities(required, declared);
    if (missing) {
      throw new MissingRequiredClientCapabilityError({ requiredCapabilities: missing } as never, `Cannot request input '${key}' (${embedded.method}): the request's client capabilities do not declare the required capability`);
    }
  }
}

export function requiredFor(method: string, params: Record<string, unknown> | undefined): Record<string, Record<string, unknown>> | undefined {
  switch (method) {
    case 'elicitation/create':
      return params?.mode === 'url' ? { elicitation: { url: {} } } : { elicitation: { form: {} } };
    case 'sampling/createMessage':
      return params?.tools !== undefined || params?.toolChoice !== undefined ? { sampling: { tools: {} } } : { sampling: {} };
    case 'roots/list':
      return { roots: {} };
    default:
      return undefined;
  }
}

/** What of `required` the client did not declare; a bare `elicitation: {}` declares the form mode. */
export function missingCapabilities(required: Record<string, Record<string, unknown>>, declared: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const missing: Record<string, unknown> = {};
  for (const [capability, members] of Object.entries(required)) {
    const have = declared?.[capability];
    if (have === undefined) {
      missing[capability] = members;
      continue;
    }
    if (have === null || typeof have !== 'object' || Array.isArray(have)) continue;
    const lacking: Record<string, unknown> = {};
    for (const [member, value] of Object.entries(members)) {
      const bareElicitation = capability === 'elicitation' && member === 'form' && (have as Result).form === undefined && (have as Result).url === undefined;
      if ((have as Result)[member] === undefined && !bareElicitation) lacking[member] = value;
    }
    if (Object.keys(lacking).length) missing[capability] = lacking;
  }
  return Object.keys(missing).length ? missing : undefined;
}
