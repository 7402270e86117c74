/**
 * Backend results are untrusted input. Each list is checked item by item, once, where it enters the
 * gateway: an invalid item is dropped with a reason and the valid rest is kept, so one malformed tool
 * can neither crash the catalog nor make clients reject everyone's list. Call results are checked for
 * the shape clients rely on; a broken one fails that call only.
 */
import type { UpstreamCatalog } from './types.js';

export type ListKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

export interface Checked<T> {
  items: T[];
  /** One reason per dropped item (or one for a list that is not a list at all). */
  dropped: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Describes a value for a reason without echoing it (it may be huge, or carry a secret). */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function label(item: unknown, index: number, key: string): string {
  const name = isObject(item) && typeof item[key] === 'string' ? String(item[key]).slice(0, 80) : undefined;
  return name ? `#${index} "${name}"` : `#${index}`;
}

function checkObjectSchema(v: unknown, field: string): string | undefined {
  if (!isObject(v)) return `${field} is ${kindOf(v)}, not a JSON Schema object`;
  if (v.type !== 'object') return `${field}.type is ${JSON.stringify(v.type ?? null)?.slice(0, 40)}, not "object"`;
  if (v.properties !== undefined && !isObject(v.properties)) return `${field}.properties is ${kindOf(v.properties)}, not an object`;
  if (v.required !== undefined && !(Array.isArray(v.required) && v.required.every((r) => typeof r === 'string'))) return `${field}.required is not a list of names`;
  return undefined;
}

const ITEM_CHECKS: Record<ListKind, { key: string; check: (item: Record<string, unknown>) => string | undefined }> = {
  tools: {
    key: 'name',
    check: (t) =>
      !nonEmptyString(t.name)
        ? `name is ${kindOf(t.name)}, not a string`
        : t.description !== undefined && typeof t.description !== 'string'
          ? 'description is not a string'
          : (checkObjectSchema(t.inputSchema, 'inputSchema') ??
            (t.outputSchema !== undefined ? checkObjectSchema(t.outputSchema, 'outputSchema') : undefined) ??
            (t.annotations !== undefined && !isObject(t.annotations) ? 'annotations is not an object' : undefined)),
  },
  resources: {
    key: 'uri',
    check: (r) => (!nonEmptyString(r.uri) ? `uri is ${kindOf(r.uri)}, not a string` : typeof r.name !== 'string' ? `name is ${kindOf(r.name)}, not a string` : undefined),
  },
  resourceTemplates: {
    key: 'uriTemplate',
    check: (r) =>
      !nonEmptyString(r.uriTemplate) ? `uriTemplate is ${kindOf(r.uriTemplate)}, not a string` : typeof r.name !== 'string' ? `name is ${kindOf(r.name)}, not a string` : undefined,
  },
  prompts: {
    key: 'name',
    check: (p) =>
      !nonEmptyString(p.name)
        ? `name is ${kindOf(p.name)}, not a string`
        : p.arguments !== undefined && !(Array.isArray(p.arguments) && p.arguments.every((a) => isObject(a) && typeof a.name === 'string'))
          ? 'arguments is not a list of {name}'
          : undefined,
  },
};

/** Checks one page of a list result (`raw` is the value under the list key). */
export function checkList<K extends ListKind>(kind: K, raw: unknown): Checked<UpstreamCatalog[K][number]> {
  if (raw === undefined) return { items: [], dropped: [] };
  if (!Array.isArray(raw)) return { items: [], dropped: [`"${kind}" is ${kindOf(raw)}, not a list`] };
  const { key, check } = ITEM_CHECKS[kind];
  const items: UpstreamCatalog[K][number][] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  raw.forEach((item, i) => {
    const why = isObject(item) ? check(item) : `is ${kindOf(item)}, not an object`;
    if (why) return void dropped.push(`${label(item, i, key)}: ${why}`);
    const id = String(item[key]);
    if (seen.has(id)) return void dropped.push(`${label(item, i, key)}: listed twice`);
    seen.add(id);
    items.push(item as UpstreamCatalog[K][number]);
  });
  return { items, dropped };
}

/** What a client needs of each result kind; undefined when the result is fine. */
export function checkResult(method: string, result: Record<string, unknown>): string | undefined {
  if (result.resultType === 'input_required' || result.inputRequests !== undefined) return undefined;
  switch (method) {
    case 'tools/call':
      if (result.content !== undefined && !Array.isArray(result.content)) return `content is ${kindOf(result.content)}, not a list`;
      if (Array.isArray(result.content) && result.content.some((c) => !isObject(c) || typeof c.type !== 'string')) return 'content has an item without a type';
      if (result.content === undefined && result.structuredContent === undefined && result.task === undefined) return 'it has neither content nor structuredContent';
      if (result.structuredContent !== undefined && !isObject(result.structuredContent)) return 'structuredContent is not an object';
      if (result.isError !== undefined && typeof result.isError !== 'boolean') return 'isError is not a boolean';
      return undefined;
    case 'resources/read':
      if (!Array.isArray(result.contents)) return `contents is ${kindOf(result.contents)}, not a list`;
      if (result.contents.some((c) => !isObject(c) || typeof c.uri !== 'string')) return 'contents has an item without a uri';
      return undefined;
    case 'prompts/get':
      if (!Array.isArray(result.messages)) return `messages is ${kindOf(result.messages)}, not a list`;
      if (result.messages.some((m) => !isObject(m) || typeof m.role !== 'string' || !isObject(m.content))) return 'messages has an item without a role and content';
      return undefined;
    case 'completion/complete':
      if (!isObject(result.completion) || !Array.isArray(result.completion.values)) return 'completion.values is not a list';
      return undefined;
    default:
      return undefined;
  }
}
