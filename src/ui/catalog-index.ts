import type { GatewayEvent } from '../core/events.js';
import type { AliasView, CatalogEntryView, CatalogKind, CatalogTotals } from './snapshot.js';
import { cleanBlock, cleanLine, prettyJson } from './text.js';

/** Bounds against a runaway catalog or alias stream. */
const MAX_ENTRIES = 20_000;
const MAX_ALIASES = 2_000;
const KIND_ORDER: Record<CatalogKind, number> = { tools: 0, prompts: 1, resources: 2, resourceTemplates: 3 };

/**
 * The exposed catalog as the events describe it: names from each diff, descriptions and schemas when a
 * `catalog.changed` carries `entries`. Lists are rebuilt only after a change, not per snapshot.
 */
export class CatalogIndex {
  totals: CatalogTotals = {};
  private readonly entries = new Map<string, CatalogEntryView>();
  private readonly aliases = new Map<string, AliasView>();
  private entryList: readonly CatalogEntryView[] = Object.freeze([]);
  private aliasList: readonly AliasView[] = Object.freeze([]);
  private entriesDirty = false;
  private aliasesDirty = false;

  applyCatalog(e: Extract<GatewayEvent, { type: 'catalog.changed' }>): void {
    this.totals = { ...this.totals, [e.kind]: e.total };
    const info = new Map((e.entries ?? []).map((x) => [x.name, x]));
    const backend = e.backend === undefined ? undefined : cleanLine(e.backend);
    for (const name of e.diff.removed) this.entries.delete(key(e.kind, name));
    for (const name of [...e.diff.added, ...e.diff.changed]) {
      if (this.entries.size >= MAX_ENTRIES && !this.entries.has(key(e.kind, name))) break;
      const x = info.get(name);
      const old = this.entries.get(key(e.kind, name));
      this.entries.set(
        key(e.kind, name),
        Object.freeze({
          kind: e.kind,
          name: cleanLine(name),
          backend: x?.backend === undefined ? (backend ?? old?.backend) : cleanLine(x.backend),
          description: x?.description === undefined ? old?.description : cleanBlock(x.description, 4000),
          schema: x?.schema === undefined ? old?.schema : prettyJson(x.schema),
          policy: x?.policy === undefined ? old?.policy : cleanLine(x.policy),
          constraints: x?.constraints === undefined ? old?.constraints : x.constraints.map(cleanLine),
          since: old?.since ?? e.at,
        }),
      );
    }
    this.entriesDirty = true;
  }

  applyAlias(e: Extract<GatewayEvent, { type: 'alias.used' }>): void {
    const old = this.aliases.get(e.alias);
    if (!old && this.aliases.size >= MAX_ALIASES) return;
    this.aliases.set(
      e.alias,
      Object.freeze({
        alias: cleanLine(e.alias),
        target: cleanLine(e.target),
        uses: (old?.uses ?? 0) + 1,
        expiredUses: (old?.expiredUses ?? 0) + (e.expired ? 1 : 0),
        lastClient: cleanLine(e.client),
        lastAt: e.at,
      }),
    );
    this.aliasesDirty = true;
  }

  entryView(): readonly CatalogEntryView[] {
    if (this.entriesDirty) {
      this.entriesDirty = false;
      this.entryList = Object.freeze([...this.entries.values()].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.name.localeCompare(b.name)));
    }
    return this.entryList;
  }

  aliasView(): readonly AliasView[] {
    if (this.aliasesDirty) {
      this.aliasesDirty = false;
      this.aliasList = Object.freeze([...this.aliases.values()].sort((a, b) => a.alias.localeCompare(b.alias)));
    }
    return this.aliasList;
  }
}

function key(kind: CatalogKind, name: string): string {
  return `${kind}\u0000${name}`;
}
