import { ProtocolError } from '@modelcontextprotocol/server';
import type { AliasTable } from './aliases.js';
import type { Approvals } from './approvals/service.js';
import type { Catalog } from './catalog.js';
import type { LocalCall, LocalHandler, Result } from './pipeline/index.js';
import { listTools } from './pipeline/resolve.js';
import { ErrorCodes, type Upstream } from './upstream/types.js';
import type { ListKind } from './upstream/validate.js';
import type { CacheHint } from './cache-hints.js';

export interface LocalAnswerDeps {
  catalog: Catalog;
  aliases?: () => AliasTable | undefined;
  approvals?: Approvals;
  onSubscribe?: (sessionKey: string, uri: string, upstream: Upstream, subscribed: boolean) => void;
  /** The gateway's cache hint for one merged list (2026-07-28 clients only); public and 0 ms when absent. */
  listHint?: (kind: ListKind) => CacheHint;
}

/**
 * The end of the pipeline's local path: lists from the catalog (tools with the approvals view and
 * listed aliases, memoised per catalog snapshot so the access step's filtered views memoise too),
 * and (un)subscribe registered with the upstream that owns the URI.
 */
export function localAnswer(deps: LocalAnswerDeps): LocalHandler {
  let memo: { tools: unknown; table: unknown; minute: number; out: unknown[] } | undefined;
  const tools = (): unknown[] => {
    const table = deps.aliases?.();
    // Aliases expire by date, so a memoised listing lasts a minute at most.
    const minute = Math.floor(Date.now() / 60_000);
    if (memo && memo.tools === deps.catalog.tools && memo.table === table && memo.minute === minute) return memo.out;
    const out = listTools(deps.catalog, table, deps.approvals?.toolView);
    memo = { tools: deps.catalog.tools, table, minute, out };
    return out;
  };
  return async (call: LocalCall): Promise<Result> => {
    const c = deps.catalog;
    // 2026-07-28 only: the list's cache hint (access marks identity-shaped lists private); 2025 clients get none.
    const cache = (kind: ListKind) => (call.era === 'modern' ? (deps.listHint?.(kind) ?? { ttlMs: 0, cacheScope: 'public' }) : {});
    switch (call.method) {
      case 'tools/list':
        return { tools: tools(), ...cache('tools') };
      case 'prompts/list':
        return { prompts: c.prompts, ...cache('prompts') };
      case 'resources/list':
        return { resources: c.resources, ...cache('resources') };
      case 'resources/templates/list':
        return { resourceTemplates: c.resourceTemplates, ...cache('resourceTemplates') };
      case 'resources/subscribe': {
        const uri = String(call.params.uri);
        const upstream = c.resolveResource(uri);
        if (!upstream?.subscribe) throw new ProtocolError(ErrorCodes.ResourceNotFound, `Resource not found or not subscribable: ${uri}`);
        await upstream.subscribe(uri, call.sessionKey);
        deps.onSubscribe?.(call.sessionKey, uri, upstream, true);
        return {};
      }
      case 'resources/unsubscribe': {
        const uri = String(call.params.uri);
        const upstream = c.resolveResource(uri);
        if (upstream?.unsubscribe) await upstream.unsubscribe(uri, call.sessionKey);
        if (upstream) deps.onSubscribe?.(call.sessionKey, uri, upstream, false);
        return {};
      }
    }
  };
}
