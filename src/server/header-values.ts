/**
 * HTTP header values of the 2026-07-28 standard and custom-parameter headers (SEP-2243): the Base64
 * sentinel both ways, and the `x-mcp-header` properties of a tool's inputSchema. Shared by the
 * inbound check (inbound/mcp-headers.ts) and the headers sent to backends (upstream/param-headers.ts).
 */

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TYPES = new Set(['string', 'integer', 'boolean', 'number']);

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

export interface HeaderDeclaration {
  path: string[];
  /** The name after `Mcp-Param-`, as the schema spells it. */
  name: string;
  type: string;
}

/** Per schema object: its declarations (catalog schemas are replaced, never mutated). */
const scans = new WeakMap<object, HeaderDeclaration[]>();

/**
 * The properties of a tool's inputSchema marked `x-mcp-header`, reached through `properties` only
 * (the spec allows them nowhere else), with a primitive type and a token name, each name once
 * (case-insensitively). Other marks are skipped: the backend answers for its own schema.
 */
export function headerDeclarations(inputSchema: unknown): HeaderDeclaration[] {
  if (!isObject(inputSchema)) return [];
  const hit = scans.get(inputSchema);
  if (hit) return hit;
  const out: HeaderDeclaration[] = [];
  const seen = new Set<string>();
  const visit = (node: unknown, path: string[], depth: number): void => {
    if (!isObject(node) || depth > 32) return;
    const mark = node['x-mcp-header'];
    const type = String(node.type);
    if (path.length && typeof mark === 'string' && TOKEN.test(mark) && TYPES.has(type) && !seen.has(mark.toLowerCase())) {
      seen.add(mark.toLowerCase());
      out.push({ path, name: mark, type });
    }
    if (isObject(node.properties)) for (const [k, child] of Object.entries(node.properties)) visit(child, [...path, k], depth + 1);
  };
  visit(inputSchema, [], 0);
  scans.set(inputSchema, out);
  return out;
}

/** An argument as a header value (strings as they are, finite numbers in decimal, booleans as true/false); undefined for anything else. */
export function primitiveValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v))) return String(v);
  return undefined;
}

/** The value at a path of property names, or undefined. */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const k of path) {
    if (!isObject(node)) return undefined;
    node = node[k];
  }
  return node;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
