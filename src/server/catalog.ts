import { UriTemplate } from '@modelcontextprotocol/server';
import type { CatalogDiff } from '../core/events.js';
import { planNames, type NamePlan, type NamingWarning, type PrefixMode } from '../core/naming/index.js';
import type { Upstream, UpstreamCatalog, UpstreamTool } from './upstream/types.js';
import { applyFilters } from './catalog-filter.js';
import type { BackendFilters, FilteredItem } from '../core/policy/filter.js';

export type CatalogKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

export interface RoutedName {
  upstream: Upstream;
  original: string;
}

interface Snapshot {
  tools: UpstreamTool[];
  /** The exposed tools by name, made on first use. */
  toolByName?: Map<string, UpstreamTool>;
  toolPlan: NamePlan;
  prompts: Array<{ name: string; [k: string]: unknown }>;
  promptPlan: NamePlan;
  resources: Array<{ uri: string; name: string; [k: string]: unknown }>;
  resourceOwners: Map<string, Upstream>;
  resourceTemplates: Array<{ uriTemplate: string; name: string; [k: string]: unknown }>;
  templateOwners: Array<{ template: UriTemplate; raw: string; upstream: Upstream }>;
  fingerprints: Record<CatalogKind, Map<string, string>>;
  /** Per backend: what its toolFilter, promptFilter and resourceFilter removed. */
  filtered: Map<string, FilteredItem[]>;
}

export interface CatalogOptions {
  mode: PrefixMode;
  separator: string;
  /** Tool pinning: the tools of a backend that may be served (the rest are withheld until accepted). */
  gate?: (upstream: Upstream, tools: UpstreamTool[]) => UpstreamTool[];
  /** Backend filters (issue 11), compiled per configuration; a reload replaces the map and rebuilds. */
  filters?: ReadonlyMap<string, BackendFilters>;
}

/**
 * The merged view of every ready backend, under the naming policy. Lists are served from here, so
 * `tools/list` never touches a backend; calls resolve an exposed name back to its backend and
 * original name. Rebuilt whenever a backend's catalog or state changes.
 */
export class Catalog {
  private snap: Snapshot;

  constructor(
    private readonly upstreams: () => Upstream[],
    private readonly options: CatalogOptions,
  ) {
    this.snap = this.build();
  }

  get tools() {
    return this.snap.tools;
  }

  /** One exposed tool by its exposed name (the HTTP edge checks Mcp-Param-* headers against its schema). */
  tool(exposed: string): UpstreamTool | undefined {
    const snap = this.snap;
    return (snap.toolByName ??= new Map(snap.tools.map((t) => [t.name, t]))).get(exposed);
  }
  get prompts() {
    return this.snap.prompts;
  }
  get resources() {
    return this.snap.resources;
  }
  get resourceTemplates() {
    return this.snap.resourceTemplates;
  }

  resolveTool(exposed: string): RoutedName | undefined {
    return this.resolve(this.snap.toolPlan, exposed);
  }

  resolvePrompt(exposed: string): RoutedName | undefined {
    return this.resolve(this.snap.promptPlan, exposed);
  }

  private resolve(plan: NamePlan, exposed: string): RoutedName | undefined {
    const ref = plan.resolve(exposed);
    if (!ref) return undefined;
    const upstream = this.upstreams().find((u) => u.name === ref.backend);
    return upstream ? { upstream, original: ref.original } : undefined;
  }

  /** Every exposed tool with where it comes from (for `migrate map --gateway` and the admin status). */
  toolEntries(): Array<{ name: string; backend: string; original: string }> {
    return this.snap.toolPlan.entries.map((e) => ({ name: e.exposed, backend: e.backend, original: e.original }));
  }

  exposedToolName(backend: string, original: string): string | undefined {
    return this.snap.toolPlan.exposedName(backend, original);
  }

  /** The backend that serves a resource URI: a listed resource, else the first matching template. */
  resolveResource(uri: string): Upstream | undefined {
    const owner = this.snap.resourceOwners.get(uri);
    if (owner) return owner;
    for (const t of this.snap.templateOwners) {
      try {
        if (t.template.match(uri)) return t.upstream;
      } catch {
        // a malformed template from a backend never breaks routing for the others
      }
    }
    return undefined;
  }

  /** The backend owning a resource template (for completion requests). */
  resolveTemplate(uriTemplate: string): Upstream | undefined {
    return this.snap.templateOwners.find((t) => t.raw === uriTemplate)?.upstream;
  }

  /** What a backend's filters removed (empty when it has none or nothing matched). */
  filtered(backend: string): FilteredItem[] {
    return this.snap.filtered.get(backend) ?? [];
  }

  get warnings(): NamingWarning[] {
    return [...this.snap.toolPlan.warnings, ...this.snap.promptPlan.warnings];
  }

  /** Recomputes the merged catalog and reports what changed per kind. */
  rebuild(): Record<CatalogKind, CatalogDiff> {
    const prev = this.snap;
    try {
      this.snap = this.build();
    } catch {
      // Backends' lists are checked at the upstream edge; if one still breaks the merge, the last good
      // catalog keeps serving rather than the gateway going down.
      this.snap = prev;
    }
    const out = {} as Record<CatalogKind, CatalogDiff>;
    for (const kind of ['tools', 'resources', 'resourceTemplates', 'prompts'] as const) {
      out[kind] = diff(prev.fingerprints[kind], this.snap.fingerprints[kind]);
    }
    return out;
  }

  private build(): Snapshot {
    const ready = this.upstreams().filter((u) => u.state === 'ready');
    const gate = this.options.gate;
    const filtered = new Map<string, FilteredItem[]>();
    // Filtered items never enter the merge: they take no name, are absent from every list and resolve to nothing.
    // Pinning then withholds the tools of what is left that changed since they were accepted.
    const visible = (u: Upstream): UpstreamCatalog => {
      const c = applyFilters(safeCatalog(u), this.options.filters?.get(u.name), u.name, filtered);
      return gate ? { ...c, tools: gate(u, c.tools) } : c;
    };
    const cats = new Map<Upstream, UpstreamCatalog>(ready.map((u) => [u, visible(u)]));
    const input = (pick: (c: UpstreamCatalog) => Array<{ name: string }>) =>
      ready.map((u) => ({
        backend: u.name,
        prefix: u.config.prefix ?? u.name,
        separator: u.config.separator ?? this.options.separator,
        names: pick(cats.get(u)!).map((t) => t.name),
      }));
    const toolPlan = planNames(input((c) => c.tools), this.options.mode);
    const promptPlan = planNames(input((c) => c.prompts), this.options.mode);

    const byBackend = new Map(ready.map((u) => [u.name, u]));
    const tools: UpstreamTool[] = [];
    const toolIndex = new Map<string, UpstreamTool>();
    for (const u of ready) for (const t of cats.get(u)!.tools) toolIndex.set(`${u.name}\0${t.name}`, t);
    for (const e of toolPlan.entries) {
      const t = toolIndex.get(`${e.backend}\0${e.original}`);
      if (t && byBackend.has(e.backend)) tools.push(e.exposed === t.name ? t : { ...t, name: e.exposed });
    }
    const promptIndex = new Map<string, { name: string }>();
    for (const u of ready) for (const p of cats.get(u)!.prompts) promptIndex.set(`${u.name}\0${p.name}`, p);
    const prompts: Snapshot['prompts'] = [];
    for (const e of promptPlan.entries) {
      const p = promptIndex.get(`${e.backend}\0${e.original}`);
      if (p) prompts.push(e.exposed === p.name ? p : { ...p, name: e.exposed });
    }

    const resources: Snapshot['resources'] = [];
    const resourceOwners = new Map<string, Upstream>();
    const resourceTemplates: Snapshot['resourceTemplates'] = [];
    const templateOwners: Snapshot['templateOwners'] = [];
    for (const u of ready) {
      const c = cats.get(u)!;
      for (const r of c.resources) {
        // URIs are never renamed; the first backend to list a URI owns it (deterministic by config order).
        if (resourceOwners.has(r.uri)) continue;
        resourceOwners.set(r.uri, u);
        resources.push(r);
      }
      for (const t of c.resourceTemplates) {
        resourceTemplates.push(t);
        try {
          templateOwners.push({ template: new UriTemplate(t.uriTemplate), raw: t.uriTemplate, upstream: u });
        } catch {
          // unparsable template: listed, but never used for routing
        }
      }
    }

    return {
      tools,
      toolPlan,
      prompts,
      promptPlan,
      resources,
      resourceOwners,
      resourceTemplates,
      templateOwners,
      fingerprints: {
        tools: fingerprint(tools, (t) => t.name),
        prompts: fingerprint(prompts, (p) => p.name),
        resources: fingerprint(resources, (r) => r.uri),
        resourceTemplates: fingerprint(resourceTemplates, (t) => t.uriTemplate),
      },
      filtered,
    };
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const listOf = <T>(v: unknown, ok: (x: Record<string, unknown>) => boolean): T[] => (Array.isArray(v) ? (v.filter((x) => isObj(x) && ok(x)) as T[]) : []);

/**
 * A backend's catalog, reduced to items the merge can handle. Upstreams validate at their edge; this
 * is the second line, for upstream kinds that do not (or a bug in one), so a backend can never throw here.
 */
function safeCatalog(u: Upstream): UpstreamCatalog {
  let c: UpstreamCatalog;
  try {
    c = u.catalog();
  } catch {
    return { tools: [], resources: [], resourceTemplates: [], prompts: [] };
  }
  return {
    tools: listOf(c?.tools, (t) => typeof t.name === 'string' && isObj(t.inputSchema)),
    resources: listOf(c?.resources, (r) => typeof r.uri === 'string'),
    resourceTemplates: listOf(c?.resourceTemplates, (t) => typeof t.uriTemplate === 'string'),
    prompts: listOf(c?.prompts, (p) => typeof p.name === 'string'),
  };
}

function fingerprint<T>(items: T[], key: (t: T) => string): Map<string, string> {
  const m = new Map<string, string>();
  for (const it of items) m.set(key(it), JSON.stringify(it));
  return m;
}

function diff(prev: Map<string, string>, next: Map<string, string>): CatalogDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [k, v] of next) {
    const p = prev.get(k);
    if (p === undefined) added.push(k);
    else if (p !== v) changed.push(k);
  }
  for (const k of prev.keys()) if (!next.has(k)) removed.push(k);
  return { added, removed, changed };
}

export function isEmptyDiff(d: CatalogDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}
