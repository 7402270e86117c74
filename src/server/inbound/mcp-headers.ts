import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import { decodeHeaderValue, headerDeclarations, primitiveValue, valueAt } from '../header-values.js';

export { decodeHeaderValue, encodeHeaderValue } from '../header-values.js';

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

/**
 * Checks the `Mcp-Param-*` headers of a 2026-07-28 tools/call against its arguments, for the tool's
 * schema as the gateway lists it (`schemaOf(exposed name)`; undefined: unknown tool, no check): for
 * each `x-mcp-header` property whose argument is present, the header must be there and decode to the
 * same value (numbers compared as numbers). The SDK does this only for an McpServer, which the
 * gateway's per-request Server is not. Undeclared `Mcp-Param-*` headers are not checked here.
 */
export function checkParamHeaders(headers: HeaderSource, body: unknown, schemaOf: (tool: string) => unknown): HeaderRejection | undefined {
  if (!isObject(body) || body.method !== 'tools/call' || !isObject(body.params)) return undefined;
  const params = body.params;
  const meta = isObject(params._meta) ? params._meta : undefined;
  const claimed = meta?.[PROTOCOL_VERSION_META_KEY];
  if (typeof claimed !== 'string' || claimed < FIRST_MODERN || typeof params.name !== 'string') return undefined;
  const id = typeof body.id === 'string' || typeof body.id === 'number' ? body.id : null;
  for (const d of headerDeclarations(schemaOf(params.name))) {
    const arg = valueAt(params.arguments, d.path);
    const expected = arg === null ? undefined : primitiveValue(arg);
    if (expected === undefined) continue;
    const header = `Mcp-Param-${d.name}`;
    const from = `params.arguments.${d.path.join('.')}`;
    const raw = trimmed(read(headers, header));
    if (raw === undefined) return reject(id, header, expected, undefined, from);
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) return reject(id, header, expected, raw, from, 'carries an invalid =?base64?…?= value');
    const same = typeof arg === 'number' && /^-?\d+(\.\d+)?$/.test(decoded) ? Number(decoded) === arg : decoded === expected;
    if (!same) return reject(id, header, expected, decoded, from);
  }
  return undefined;
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
