import { encodeHeaderValue } from '../inbound/mcp-headers.js';
import type { UpstreamTool } from './types.js';

/** The prefix of the custom-parameter headers (SEP-2243 `x-mcp-header`). */
export const PARAM_PREFIX = 'mcp-param-';

interface Declaration {
  path: string[];
  /** The name after `Mcp-Param-`, as the schema spells it. */
  name: string;
}

const TYPES = new Set(['string', 'integer', 'boolean', 'number']);
/** Per schema object: the `x-mcp-header` properties (catalog schemas are replaced, never mutated). */
const scans = new WeakMap<object, Declaration[]>();

/**
 * The properties of a tool's inputSchema marked `x-mcp-header`, reached through `properties` only
 * (the spec allows them nowhere else), with a primitive type. Invalid marks are skipped: the
 * backend validates its own schema, the gateway only mirrors what it can.
 */
export function headerDeclarations(inputSchema: unknown): Declaration[] {
  if (!isObject(inputSchema)) return [];
  const hit = scans.get(inputSchema);
  if (hit) return hit;
  const out: Declaration[] = [];
  const seen = new Set<string>();
  const visit = (node: unknown, path: string[], depth: number): void => {
    if (!isObject(node) || depth > 32) return;
    const mark = node['x-mcp-header'];
    if (path.length && typeof mark === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(mark) && TYPES.has(String(node.type)) && !seen.has(mark.toLowerCase())) {
      seen.add(mark.toLowerCase());
      out.push({ path, name: mark });
    }
    if (isObject(node.properties)) for (const [k, child] of Object.entries(node.properties)) visit(child, [...path, k], depth + 1);
  };
  visit(inputSchema, [], 0);
  scans.set(inputSchema, out);
  return out;
}

/**
 * The `Mcp-Param-*` headers one tools/call carries to a 2026-07-28 backend: one per `x-mcp-header`
 * property of the backend's own schema whose argument is a primitive (strings as they are, numbers
 * in decimal, booleans as true/false, Base64 sentinel where needed), and every inbound
 * `Mcp-Param-*` header the schema does not declare, passed on as it came. A declared header is
 * always derived from the arguments, never copied, so it cannot disagree with the body.
 */
export function outboundParamHeaders(inputSchema: unknown, args: unknown, inbound?: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const decls = headerDeclarations(inputSchema);
  const declared = new Set(decls.map((d) => `${PARAM_PREFIX}${d.name.toLowerCase()}`));
  for (const [k, v] of Object.entries(inbound ?? {})) if (!declared.has(k.toLowerCase())) out[k] = v;
  for (const d of decls) {
    const value = primitive(at(args, d.path));
    if (value !== undefined) out[`Mcp-Param-${d.name}`] = encodeHeaderValue(value);
  }
  return Object.keys(out).length ? out : undefined;
}

/** Per tool list (a list is replaced, never changed): its tools by name. */
const toolIndexes = new WeakMap<readonly UpstreamTool[], Map<string, UpstreamTool>>();

/** outboundParamHeaders for one tools/call, from the backend's own list (params carry the native name). */
export function callParamHeaders(tools: readonly UpstreamTool[], params: Record<string, unknown>, inbound?: Readonly<Record<string, string>>): Record<string, string> | undefined {
  let index = toolIndexes.get(tools);
  if (!index) toolIndexes.set(tools, (index = new Map(tools.map((t) => [t.name, t]))));
  const tool = typeof params.name === 'string' ? index.get(params.name) : undefined;
  return outboundParamHeaders(tool?.inputSchema, params.arguments, inbound);
}

/** The inbound request's `Mcp-Param-*` headers (lower-cased names), or undefined when it has none. */
export function inboundParamHeaders(headers: { forEach(cb: (value: string, key: string) => void): void } | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  let out: Record<string, string> | undefined;
  headers.forEach((value, key) => {
    if (key.toLowerCase().startsWith(PARAM_PREFIX)) (out ??= {})[key.toLowerCase()] = value;
  });
  return out;
}

function primitive(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' && Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v))) return String(v);
  return undefined;
}

function at(root: unknown, path: string[]): unknown {
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
