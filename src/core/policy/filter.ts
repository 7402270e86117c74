import type { ItemFilterConfig, ToolFilterConfig } from '../config/schema.js';
import { compileGlobs, firstMatch } from './glob.js';

/** What kind of item a backend filter looked at. */
export type FilterKind = 'tool' | 'prompt' | 'resource' | 'resourceTemplate';

/** One item a backend's filter removed, and why (for `backends show` and the admin status). */
export interface FilteredItem {
  kind: FilterKind;
  /** The native name (tools, prompts) or the URI / URI template (resources). */
  name: string;
  /** Which setting removed it, in words: `toolFilter.exclude "*sync*"`. */
  reason: string;
}

/** Decides one item: undefined keeps it, a string says why it is removed. */
export type ItemPredicate = (name: string, item?: { annotations?: { readOnlyHint?: unknown } }) => string | undefined;

/**
 * One backend's filter for one kind of item: exclude wins over include, and for tools `readOnly`
 * keeps only tools annotated readOnlyHint: true (REST read tools carry it; see rest/tools.ts).
 */
export function itemPredicate(setting: string, filter: ToolFilterConfig | ItemFilterConfig | undefined): ItemPredicate | undefined {
  if (!filter) return undefined;
  const include = filter.include ? compileGlobs(filter.include) : undefined;
  const exclude = compileGlobs(filter.exclude);
  const readOnly = 'readOnly' in filter && filter.readOnly === true;
  if (!include && !exclude.length && !readOnly) return undefined;
  return (name, item) => {
    const ex = firstMatch(exclude, name);
    if (ex !== undefined) return `${setting}.exclude "${ex}"`;
    if (include && firstMatch(include, name) === undefined) return `${setting}.include (matches none of ${include.map((g) => `"${g.glob}"`).join(', ') || 'an empty list'})`;
    if (readOnly && item?.annotations?.readOnlyHint !== true) return `${setting}.readOnly (not annotated readOnlyHint: true)`;
    return undefined;
  };
}

/** The filters of one backend, compiled once per configuration. */
export interface BackendFilters {
  tool?: ItemPredicate;
  prompt?: ItemPredicate;
  resource?: ItemPredicate;
}

export function backendFilters(config: { toolFilter?: ToolFilterConfig; promptFilter?: ItemFilterConfig; resourceFilter?: ItemFilterConfig }): BackendFilters | undefined {
  const tool = itemPredicate('toolFilter', config.toolFilter);
  const prompt = itemPredicate('promptFilter', config.promptFilter);
  const resource = itemPredicate('resourceFilter', config.resourceFilter);
  return tool || prompt || resource ? { tool, prompt, resource } : undefined;
}
