import type { BackendFilters, FilteredItem } from '../core/policy/filter.js';
import type { UpstreamCatalog } from './upstream/types.js';

/**
 * A backend's catalog with what its filters remove taken out, and each removal recorded with its
 * reason under the backend's name in `removed` (for `backends show`). Unfiltered backends pass through.
 */
export function applyFilters(c: UpstreamCatalog, f: BackendFilters | undefined, backend: string, removed: Map<string, FilteredItem[]>): UpstreamCatalog {
  if (!f) return c;
  const out: FilteredItem[] = [];
  const keep = <T>(items: T[], kind: FilteredItem['kind'], pred: BackendFilters['tool'], name: (t: T) => string): T[] => {
    if (!pred) return items;
    return items.filter((it) => {
      const reason = pred(name(it), it as { annotations?: { readOnlyHint?: unknown } });
      if (reason) out.push({ kind, name: name(it), reason });
      return !reason;
    });
  };
  const next: UpstreamCatalog = {
    tools: keep(c.tools, 'tool', f.tool, (t) => t.name),
    prompts: keep(c.prompts, 'prompt', f.prompt, (p) => p.name),
    resources: keep(c.resources, 'resource', f.resource, (r) => r.uri),
    resourceTemplates: keep(c.resourceTemplates, 'resourceTemplate', f.resource, (t) => t.uriTemplate),
  };
  if (out.length) removed.set(backend, out);
  return next;
}
