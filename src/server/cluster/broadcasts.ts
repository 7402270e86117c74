/**
 * What every replica of a cluster must hear (issue 12), over the bus's pub/sub channel:
 * - client-token revocations: a token that left one replica's token file stops working on all;
 * - catalog changes: a replica that saw a backend's lists change makes the others re-list it, so
 *   each tells its own sessions (list_changed) when its view changed too (a backend that announces
 *   its changes to every replica costs one extra listing per replica);
 * - alias use counts: each replica publishes its own, and `aliases` output sums them.
 * Reloads are relayed in attach.ts.
 */
import type { ClientTokenVerifier } from '../../core/auth/client-tokens.js';
import type { EventBus } from '../../core/events.js';
import type { AliasTable, Usage } from '../aliases.js';
import type { ClusterBus } from './bus.js';

/** How often the token file is re-checked for a revoke (a request re-checks it anyway). */
const TOKEN_WATCH_MS = 1_000;
/** A catalog change that names no backend (a removal): every backend is re-listed. */
const ALL = '*';
/** Alias counts are published at most this often (a burst of calls is one message). */
const ALIAS_PUBLISH_MS = 250;

export interface BroadcastDeps {
  bus: ClusterBus;
  events: EventBus;
  tokens?: ClientTokenVerifier;
  aliases?: () => AliasTable | undefined;
  /** Re-lists one backend here (its own list_changed follows if this replica's view changed). */
  refresh?: (backend: string) => Promise<unknown>;
  /** The backends being served (for a change that names none). */
  backends?: () => string[];
}

/** Wires the three broadcasts; returns what stops them. */
export function startBroadcasts(deps: BroadcastDeps): () => void {
  const { bus, events } = deps;
  const offs: Array<() => void> = [];
  const publish = (kind: Parameters<ClusterBus['publish']>[0], data: Record<string, unknown>) => void bus.publish(kind, data).catch(() => undefined);

  if (deps.tokens) {
    const tokens = deps.tokens;
    offs.push(tokens.onRemoved((hashes) => publish('token.revoked', { hashes })));
    offs.push(tokens.watch(TOKEN_WATCH_MS));
  }

  // Every change seen here is reported, also one a re-list caused: the others re-list once more and,
  // their views unchanged, say nothing, so the news stops after one round (a re-list that changes
  // nothing emits no catalog.changed).
  const relisting = new Set<string>();
  const seen = new Set<string>();
  let flush: NodeJS.Timeout | undefined;
  offs.push(
    events.on('catalog.changed', (e) => {
      // The backends the change came from; a removal names none, so then every backend is re-listed.
      const from = new Set([e.backend, ...(e.entries ?? []).map((x) => x.backend)].filter((b): b is string => Boolean(b)));
      if (!from.size) from.add(ALL);
      for (const b of from) seen.add(b);
      flush ??= setTimeout(() => {
        flush = undefined;
        publish('catalog.changed', { backends: [...seen] });
        seen.clear();
      }, 50);
    }),
  );

  // A change reported while that backend is being re-listed here re-lists it once more afterwards
  // (the listing under way may have been read before the change).
  const again = new Set<string>();
  const relist = (b: string) => {
    if (!deps.refresh) return;
    if (relisting.has(b)) return void again.add(b);
    relisting.add(b);
    const names = b === ALL ? (deps.backends?.() ?? []) : [b];
    void Promise.allSettled(names.map((n) => deps.refresh!(n))).finally(() =>
      setTimeout(() => {
        relisting.delete(b);
        if (again.delete(b)) relist(b);
      }, 100),
    );
  };

  let aliasTimer: NodeJS.Timeout | undefined;
  offs.push(
    events.on('alias.used', () => {
      aliasTimer ??= setTimeout(() => {
        aliasTimer = undefined;
        const table = deps.aliases?.();
        if (table) publish('alias.used', { counts: table.snapshot() });
      }, ALIAS_PUBLISH_MS);
    }),
  );

  offs.push(
    bus.onMessage((m) => {
      const data = m.data ?? {};
      if (m.kind === 'token.revoked' && Array.isArray(data.hashes)) deps.tokens?.refuse(data.hashes.filter((h): h is string => typeof h === 'string'));
      else if (m.kind === 'alias.used' && data.counts && typeof data.counts === 'object') deps.aliases?.()?.absorb(m.from, data.counts as Record<string, Record<string, Usage>>);
      else if (m.kind === 'catalog.changed' && Array.isArray(data.backends)) for (const b of data.backends) if (typeof b === 'string') relist(b);
    }),
  );

  return () => {
    clearTimeout(flush);
    clearTimeout(aliasTimer);
    for (const off of offs) off();
  };
}
