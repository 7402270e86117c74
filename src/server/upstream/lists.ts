import type { Client } from '@modelcontextprotocol/client';
import { mergeHints, pageHint, type CacheHint } from '../cache-hints.js';
import { passthroughSchema } from './passthrough.js';
import type { UpstreamCatalog } from './types.js';
import { checkList, type ListKind } from './validate.js';

/** What the lists report back to the connection's owner: the items a page carried that failed their check. */
export interface ListOwner {
  onInvalid(kind: ListKind, dropped: string[]): void;
  /** The cache hint the walk's pages carried (smallest ttlMs, private over public); undefined: none did. */
  onListHint?(kind: ListKind, hint: Partial<CacheHint> | undefined): void;
}

const METHODS: Record<ListKind, string> = { tools: 'tools/list', resources: 'resources/list', resourceTemplates: 'resources/templates/list', prompts: 'prompts/list' };

/** One kind of list (a resource template list that fails is empty: templates are optional). */
export function listKind<K extends ListKind>(client: Client, owner: ListOwner, kind: K, opts?: { timeout?: number }): Promise<UpstreamCatalog[K]> {
  const walk = listPaged(client, owner, METHODS[kind], kind, opts);
  return kind === 'resourceTemplates' ? walk.catch(() => [] as unknown as UpstreamCatalog[K]) : walk;
}

/** Every list the backend's capabilities offer, in parallel (resource templates are optional: a failure is an empty list). */
export async function listAll(client: Client, capabilities: unknown, owner: ListOwner, timeoutMs: number): Promise<UpstreamCatalog> {
  const caps = (capabilities ?? {}) as Record<string, unknown>;
  const opts = { timeout: timeoutMs };
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    caps.tools ? listKind(client, owner, 'tools', opts) : [],
    caps.resources ? listKind(client, owner, 'resources', opts) : [],
    caps.resources ? listKind(client, owner, 'resourceTemplates', opts) : [],
    caps.prompts ? listKind(client, owner, 'prompts', opts) : [],
  ]);
  return { tools, resources, resourceTemplates, prompts } as UpstreamCatalog;
}

/**
 * One list, every page: the gateway serves lists from its catalog, so pagination upstream is absorbed
 * here, and each page is checked here, once (at most 1000 pages; a repeated cursor ends the walk).
 */
async function listPaged<K extends ListKind>(client: Client, owner: ListOwner, method: string, kind: K, opts?: { timeout?: number }): Promise<UpstreamCatalog[K]> {
  const out: UpstreamCatalog[K][number][] = [];
  const dropped: string[] = [];
  let cursor: string | undefined;
  let hint: Partial<CacheHint> | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await client.request({ method, params: cursor ? { cursor } : {} } as never, passthroughSchema, opts as never);
    const h = pageHint(res);
    if (Object.keys(h).length) hint = mergeHints(hint, h);
    const checked = checkList(kind, res[kind]);
    out.push(...checked.items);
    dropped.push(...checked.dropped);
    const next = typeof res.nextCursor === 'string' && res.nextCursor ? res.nextCursor : undefined;
    if (!next || next === cursor) break;
    cursor = next;
  }
  if (dropped.length) owner.onInvalid(kind, dropped);
  owner.onListHint?.(kind, hint);
  return out as UpstreamCatalog[K];
}
