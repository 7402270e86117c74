/**
 * Context Forge's tool-name mangling, reproduced so that migration maps can compute the exact
 * names a Context Forge gateway exposed.
 *
 * Verified against IBM/mcp-context-forge (read with the code search tools):
 * - mcpgateway/utils/create_slug.py `slugify(text)`: lowercase; drop an apostrophe between two
 *   word characters (the class holds ASCII `'` only); replace every run of `[\W_]+` (Python
 *   Unicode `\w`, so accented letters survive this step) with the separator; `strip()` the
 *   separator's characters from both ends; map æ→ae, ß→ss, ø→o; then NFKD and
 *   `encode("ascii", "ignore")`, which silently DROPS everything still non-ASCII (ł, œ, đ, CJK…).
 *   Because trimming happens before that drop, a leading non-ASCII word can leave a leading
 *   separator ("中 foo" → "-foo"); we reproduce that too.
 * - mcpgateway/config.py: `gateway_tool_name_separator` defaults to "-" and must match
 *   `^(-{1,2}|[_.])$`, otherwise Context Forge falls back to "-".
 * - mcpgateway/db.py: the gateway slug is `slugify(gateway.name)`; the `before_insert` listener
 *   stores a tool as `gateway.slug + SEP + slugify(original_name)`.
 */

/** The separators Context Forge accepts for GATEWAY_TOOL_NAME_SEPARATOR. */
export const CONTEXT_FORGE_SEPARATORS = ['-', '--', '_', '.'] as const;
export type ContextForgeSeparator = (typeof CONTEXT_FORGE_SEPARATORS)[number];

/** Context Forge's default separator. */
export const DEFAULT_CONTEXT_FORGE_SEPARATOR: ContextForgeSeparator = '-';

export function isContextForgeSeparator(sep: string): sep is ContextForgeSeparator {
  return (CONTEXT_FORGE_SEPARATORS as readonly string[]).includes(sep);
}

// Python's `\w` for str patterns is "isalnum() or _"; isalnum covers the L* and N* categories.
// Combining marks (M*) are NOT word characters there, so they fold into separators.
const CONTRACTION = /([\p{L}\p{N}_])'([\p{L}\p{N}_])/gu;
const NON_ALNUM_RUN = /[^\p{L}\p{N}]+/gu;
// Only these three: Context Forge's table. Anything else without an NFKD decomposition is dropped.
const SPECIAL_CHARS: ReadonlyArray<readonly [string, string]> = [
  ['æ', 'ae'],
  ['ß', 'ss'],
  ['ø', 'o'],
];
const NON_ASCII = /[^\x00-\x7f]/g;
const HAS_NON_ASCII = /[^\x00-\x7f]/;

function stripChars(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start]!)) start++;
  while (end > start && chars.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

/** Context Forge's `slugify` with the given separator, for computing the names it exposed. */
export function contextForgeSlug(s: string, sep: ContextForgeSeparator = DEFAULT_CONTEXT_FORGE_SEPARATOR): string {
  let slug = s.toLowerCase().replace(CONTRACTION, '$1$2');
  slug = stripChars(slug.replace(NON_ALNUM_RUN, sep), sep);
  for (const [from, to] of SPECIAL_CHARS) slug = slug.split(from).join(to);
  return slug.normalize('NFKD').replace(NON_ASCII, '');
}

/** The tool name Context Forge exposes for `toolName` federated from gateway `gatewayName`. */
export function contextForgeName(
  gatewayName: string,
  toolName: string,
  sep: ContextForgeSeparator = DEFAULT_CONTEXT_FORGE_SEPARATOR,
): string {
  const gatewaySlug = contextForgeSlug(gatewayName, sep);
  const toolSlug = contextForgeSlug(toolName, sep);
  // db.py: a tool without a gateway is stored as its bare slug.
  return gatewaySlug ? `${gatewaySlug}${sep}${toolSlug}` : toolSlug;
}

/** Why a Context Forge slug differs from the plain `_`/`-`→SEP rewrite of a native name (empty when it does not). */
export type SlugChange = 'case' | 'unicode' | 'punctuation';

/** Explains how `contextForgeSlug(native)` departs from `native` with each `_`/`-` replaced by SEP; maps report these. */
export function contextForgeSlugChanges(native: string, sep: ContextForgeSeparator = DEFAULT_CONTEXT_FORGE_SEPARATOR): SlugChange[] {
  const slug = contextForgeSlug(native, sep);
  if (slug === native.replace(/[_-]/g, sep)) return [];
  const changes: SlugChange[] = [];
  if (native !== native.toLowerCase()) changes.push('case');
  if (HAS_NON_ASCII.test(native)) changes.push('unicode');
  // Whatever case and Unicode do not explain is punctuation: runs, trimmed ends, other symbols.
  const ascii = native.toLowerCase().normalize('NFKD').replace(NON_ASCII, '');
  if (contextForgeSlug(ascii, sep) !== ascii.replace(/[_-]/g, sep) || changes.length === 0) changes.push('punctuation');
  return changes;
}
