import { encodeHeaderValue, headerDeclarations, primitiveValue, valueAt } from '../header-values.js';
import type { UpstreamTool } from './types.js';

/** The prefix of the custom-parameter headers (SEP-2243 `x-mcp-header`). */
export const PARAM_PREFIX = 'mcp-param-';

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
    const value = primitiveValue(valueAt(args, d.path));
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
