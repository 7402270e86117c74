import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';

/** The JSON-RPC code for a header that disagrees with the body (SEP-2243 `HeaderMismatch`). */
export const HEADER_MISMATCH = -32020;

/** The first protocol revision whose requests carry the standard headers. */
const FIRST_MODERN = '2026-07-28';

/** Which body field `Mcp-Name` mirrors, per method (the spec's "Required For" column, and the tasks binding). */
const NAME_SOURCE: Readonly<Record<string, 'name' | 'uri' | 'taskId'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** What the edge answers a request whose standard headers fail: HTTP 400 and a JSON-RPC error. */
export interface HeaderRejection {
  status: 400;
  body: { jsonrpc: '2.0'; id: string | number | null; error: { code: number; message: string; data: { header: string; expected: string; received: string | null } } };
}

/** Reads one header, case-insensitively (node's IncomingMessage headers, or a web Headers). */
export type HeaderSource = { get(name: string): string | null | undefined } | Record<string, string | string[] | undefined>;

function read(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null | undefined }).get(name) ?? undefined;
  const v = (headers as Record<string, string | string[] | undefined>)[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * Checks the SEP-2243 standard headers of one inbound 2026-07-28 message against its body, before
 * the gateway dispatches it (through the SDK handler or a message-level fast path alike):
 * `MCP-Protocol-Version` must name the envelope's revision, `Mcp-Method` the body's method, and
 * `Mcp-Name` (tools/call, prompts/get, resources/read, tasks/*) the body's name, URI or task id,
 * Base64 sentinel decoded. On a request a missing header is refused too; a notification is only
 * refused for a header that disagrees. 2025-era messages (no modern envelope) and batches pass:
 * they have no standard headers. Pure: returns the rejection, or undefined to go on.
 */
export function checkStandardHeaders(headers: HeaderSource, body: unknown): HeaderRejection | undefined {
  if (!isObject(body) || typeof body.method !== 'string') return undefined;
  const params = isObject(body.params) ? body.params : undefined;
  const meta = params && isObject(params._meta) ? params._meta : undefined;
  const claimed = meta?.[PROTOCOL_VERSION_META_KEY];
  if (typeof claimed !== 'string' || claimed < FIRST_MODERN) return undefined;
  const method = body.method;
  const isRequest = 'id' in body && (typeof body.id === 'string' || typeof body.id === 'number');
  const id = isRequest ? (body.id as string | number) : null;

  const version = trimmed(read(headers, 'mcp-protocol-version'));
  if (version !== undefined ? version !== claimed : isRequest) return reject(id, 'MCP-Protocol-Version', claimed, version);
  const named = trimmed(read(headers, 'mcp-method'));
  if (named !== undefined ? named !== method : isRequest) return reject(id, 'Mcp-Method', method, named);
  if (!isRequest) return undefined;

  const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
  const expected = field && typeof params?.[field] === 'string' ? (params[field] as string) : undefined;
  // No string in the body to mirror: the body's own validation answers that request.
  if (expected === undefined) return undefined;
  const raw = trimmed(read(headers, 'mcp-name'));
  if (raw === undefined) return reject(id, 'Mcp-Name', expected, undefined, `params.${field}`);
  const decoded = decodeHeaderValue(raw);
  if (decoded === undefined) return reject(id, 'Mcp-Name', expected, raw, `params.${field}`, 'carries an invalid =?base64?…?= value');
  if (decoded !== expected) return reject(id, 'Mcp-Name', expected, decoded, `params.${field}`);
  return undefined;
}

/** A header value with the Base64 sentinel decoded (UTF-8); undefined when the sentinel's payload is not canonical Base64 or UTF-8. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX) && value.length >= SENTINEL_PREFIX.length + SENTINEL_SUFFIX.length)) return value;
  const b64 = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  if (!CANONICAL_BASE64.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

/** A value as an HTTP field value: safe printable ASCII as is, anything else in the Base64 sentinel. */
export function encodeHeaderValue(value: string): string {
  const plain = value.length > 0 && value === value.trim() && !(value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX)) && /^[\t\x20-\x7e]*$/.test(value);
  return plain ? value : `${SENTINEL_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${SENTINEL_SUFFIX}`;
}

function reject(id: string | number | null, header: string, expected: string, received: string | undefined, from?: string, problem?: string): HeaderRejection {
  const source = from ? `the body's ${from}` : header === 'Mcp-Method' ? "the body's method" : "the body's protocol version";
  const what = problem ? `The ${header} header ${problem}` : received === undefined ? `The ${header} header is missing` : `The ${header} header says "${received}"`;
  const message = `${what}; it must be "${expected}" (${source}). 2026-07-28 clients send the standard headers with every request (SEP-2243).`;
  return { status: 400, body: { jsonrpc: '2.0', id, error: { code: HEADER_MISMATCH, message, data: { header, expected, received: received ?? null } } } };
}

function trimmed(v: string | undefined): string | undefined {
  return v === undefined ? undefined : v.replace(/^[ \t]+|[ \t]+$/g, '');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
