import type { CatalogDiff, CatalogEntryInfo, EventBus } from '../core/events.js';
import type { ToolPolicy } from '../core/approvals/visibility.js';
import { isEmptyDiff, type Catalog, type CatalogKind } from './catalog.js';
import type { Upstream } from './upstream/types.js';

/** At most this many entries ride on one catalog.changed event (the rest are named in the diff only). */
export const MAX_EVENT_ENTRIES = 1_000;

/**
 * What the dashboard's catalog view shows of the items a rebuild added or changed: the backend, the
 * description, the schema (a tool's input schema, a prompt's arguments, a resource's URI) and, for
 * tools, the approval policy. Everything here is what the backend listed (already validated at the
 * edge) or configured, never a client's input.
 */
export function catalogEntries(catalog: Catalog, kind: CatalogKind, diff: CatalogDiff, policyOf: (u: Upstream) => ToolPolicy[]): CatalogEntryInfo[] {
  const wanted = new Set([...diff.added, ...diff.changed].slice(0, MAX_EVENT_ENTRIES));
  if (!wanted.size) return [];
  const out: CatalogEntryInfo[] = [];
  if (kind === 'tools') {
    const where = new Map(catalog.toolEntries().map((e) => [e.name, e]));
    const policies = new Map<Upstream, Map<string, ToolPolicy>>();
    for (const t of catalog.tools) {
      if (!wanted.has(t.name)) continue;
      const at = where.get(t.name);
      const routed = catalog.resolveTool(t.name);
      let policy: ToolPolicy | undefined;
      if (routed) {
        let byTool = policies.get(routed.upstream);
        if (!byTool) policies.set(routed.upstream, (byTool = new Map(policyOf(routed.upstream).map((p) => [p.tool, p]))));
        policy = byTool.get(routed.original);
      }
      out.push({
        name: t.name,
        ...(at ? { backend: at.backend } : {}),
        ...(t.description ? { description: t.description } : {}),
        schema: t.inputSchema,
        ...(policy ? { policy: policy.guarded ? `guarded: ${policy.reason}` : policy.reason, ...(policy.constraints ? { constraints: Object.keys(policy.constraints) } : {}) } : {}),
      });
    }
    return out;
  }
  const items: Array<{ name: string; description?: unknown; [k: string]: unknown }> =
    kind === 'prompts' ? catalog.prompts : kind === 'resources' ? catalog.resources : catalog.resourceTemplates;
  for (const item of items) {
    const name = kind === 'resources' ? String(item.uri) : kind === 'resourceTemplates' ? String(item.uriTemplate) : item.name;
    if (!wanted.has(name)) continue;
    out.push({
      name,
      ...(typeof item.description === 'string' ? { description: item.description } : {}),
      schema: kind === 'prompts' ? item.arguments : name,
    });
  }
  return out;
}

/**
 * Rebuilds the catalog and tells everyone what changed: a `catalog.changed` event per kind (with its
 * entries) and one list_changed per list kind to the clients (resource templates count as resources).
 */
export function rebuildAndAnnounce(catalog: Catalog, bus: EventBus, policyOf: (u: Upstream) => ToolPolicy[], notify: (kind: 'tools' | 'resources' | 'prompts') => void): void {
  const diffs = catalog.rebuild();
  for (const w of catalog.warnings) bus.emit('naming.warning', { message: w.message, backend: 'backend' in w ? w.backend : undefined });
  const notified = new Set<'tools' | 'resources' | 'prompts'>();
  for (const kind of ['tools', 'resources', 'resourceTemplates', 'prompts'] as const) {
    const d = diffs[kind];
    if (isEmptyDiff(d)) continue;
    const total = kind === 'tools' ? catalog.tools.length : kind === 'prompts' ? catalog.prompts.length : kind === 'resources' ? catalog.resources.length : catalog.resourceTemplates.length;
    bus.emit('catalog.changed', { kind, diff: d, total, entries: catalogEntries(catalog, kind, d, policyOf) });
    const listKind = kind === 'resourceTemplates' ? 'resources' : kind;
    if (!notified.has(listKind)) {
      notified.add(listKind);
      notify(listKind);
    }
  }
}
