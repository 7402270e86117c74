import type { Upstream } from './upstream/types.js';
import type { ListKind } from './upstream/validate.js';

/** A 2026-07-28 cache hint (SEP-2549): how long a result stays fresh, and who may share a cached copy. */
export interface CacheHint {
  ttlMs: number;
  cacheScope: 'public' | 'private';
}

/** What a backend said about its own lists (the smallest ttlMs over the pages of the last walk). */
export type ListHints = Readonly<Partial<Record<ListKind, Partial<CacheHint>>>>;

/** A resources/read result from a backend that gave no hint: not known to stay fresh, not to be shared. */
export const READ_DEFAULT: CacheHint = { ttlMs: 0, cacheScope: 'private' };

/** The shortest re-list interval an upstream ttlMs can ask of the gateway (a hint of 0 asks for none). */
export const MIN_HINTED_REFRESH_MS = 1_000;

export interface HintSources {
  upstreams: () => Upstream[];
  /** gateway.refreshInterval in milliseconds (0: no periodic re-list). */
  refreshIntervalMs: () => number;
}

/**
 * The hint for one merged list, from the gateway's refresh policy and what the backends said:
 * ttlMs is the smallest of the gateway's re-list interval, each ready backend's own
 * `refreshInterval`, and each backend's ttlMs for that list; with no periodic re-list and no
 * backend hint the gateway cannot say how long the list stays fresh, so 0.
 * The scope is the gateway's own: it lists every backend over its shared connection and serves
 * that one catalog to every caller, so a backend's `private` (also the SDK's default when a server
 * sets no hint) names the gateway's authorization context, not a caller's. The merged list is
 * public; the access step makes identity-shaped lists private.
 */
export function listHint(kind: ListKind, src: HintSources): CacheHint {
  const candidates: number[] = [];
  const gateway = src.refreshIntervalMs();
  if (gateway > 0) candidates.push(gateway);
  for (const u of src.upstreams()) {
    if (u.state !== 'ready') continue;
    const own = u.config.refreshInterval;
    if (typeof own === 'number' && own > 0) candidates.push(own * 1000);
    const ttl = u.listHints?.[kind]?.ttlMs;
    if (ttl !== undefined) candidates.push(ttl);
  }
  return { ttlMs: candidates.length ? Math.min(...candidates) : 0, cacheScope: 'public' };
}

/** server/discover: fresh for as long as every list is (capabilities follow the backends), and the same for everyone. */
export function discoverHint(src: HintSources): CacheHint {
  const kinds: ListKind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];
  return { ttlMs: Math.min(...kinds.map((k) => listHint(k, src).ttlMs)), cacheScope: 'public' };
}

/**
 * A resources/read result for the client's era: a 2026-07-28 client gets the backend's hint
 * (an invalid field replaced by the default), a 2025 client gets no hint fields at all.
 */
export function readResultHints(result: Record<string, unknown>, era: 'legacy' | 'modern'): Record<string, unknown> {
  if (era === 'legacy') {
    if (!('ttlMs' in result) && !('cacheScope' in result)) return result;
    const { ttlMs: _t, cacheScope: _s, ...rest } = result;
    return rest;
  }
  if (result.resultType !== undefined && result.resultType !== 'complete') return result;
  return { ...result, ttlMs: validTtl(result.ttlMs) ?? READ_DEFAULT.ttlMs, cacheScope: validScope(result.cacheScope) ?? READ_DEFAULT.cacheScope };
}

/** The hint fields of one backend list page, when valid. */
export function pageHint(page: Record<string, unknown>): Partial<CacheHint> {
  const ttlMs = validTtl(page.ttlMs);
  const cacheScope = validScope(page.cacheScope);
  return { ...(ttlMs !== undefined ? { ttlMs } : {}), ...(cacheScope ? { cacheScope } : {}) };
}

/** Two page hints as one: the shorter ttl, private over public. */
export function mergeHints(a: Partial<CacheHint> | undefined, b: Partial<CacheHint>): Partial<CacheHint> {
  if (!a) return b;
  const ttls = [a.ttlMs, b.ttlMs].filter((t): t is number => t !== undefined);
  const scope = a.cacheScope === 'private' || b.cacheScope === 'private' ? 'private' : (a.cacheScope ?? b.cacheScope);
  return { ...(ttls.length ? { ttlMs: Math.min(...ttls) } : {}), ...(scope ? { cacheScope: scope } : {}) };
}

/**
 * A backend's re-list interval: its own refreshInterval (seconds) if set, else none for a backend
 * that announces list changes and the gateway's interval for the others; sooner when its lists'
 * ttlMs says they go stale sooner (the smallest positive ttlMs, at least MIN_HINTED_REFRESH_MS).
 * 0: no periodic re-list.
 */
export function refreshMs(ownSec: number | undefined, gatewayMs: number, capabilities: Record<string, unknown> | undefined, hints: ListHints | undefined): number {
  const caps = capabilities as { tools?: { listChanged?: boolean }; prompts?: { listChanged?: boolean }; resources?: { listChanged?: boolean } } | undefined;
  const announces = Boolean(caps?.tools?.listChanged || caps?.prompts?.listChanged || caps?.resources?.listChanged);
  const configured = ownSec !== undefined ? ownSec * 1000 : announces ? 0 : gatewayMs;
  const ttls = Object.values(hints ?? {})
    .map((h) => h?.ttlMs)
    .filter((t): t is number => t !== undefined && t > 0);
  const hinted = ttls.length ? Math.max(MIN_HINTED_REFRESH_MS, Math.min(...ttls)) : 0;
  return configured && hinted ? Math.min(configured, hinted) : configured || hinted;
}

function validTtl(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

function validScope(v: unknown): CacheHint['cacheScope'] | undefined {
  return v === 'public' || v === 'private' ? v : undefined;
}
