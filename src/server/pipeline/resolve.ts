import type { EventBus } from '../../core/events.js';
import type { AliasTable } from '../aliases.js';
import type { Catalog } from '../catalog.js';
import { ErrorCodes, type Upstream, type UpstreamTool } from '../upstream/types.js';
import { deny } from './errors.js';
import { clientOf } from './identity.js';
import type { CallContext, Handler, Result, Step } from './types.js';

export interface ResolveDeps {
  catalog: Catalog;
  /** Old names accepted during a rename cut-over. */
  aliases?: () => AliasTable | undefined;
  bus: EventBus;
}

/**
 * Maps the name the client used (tool, prompt, resource URI, completion ref) to the backend that
 * serves it, and rewrites the params to that backend's own name. Aliases resolve here too.
 */
export function resolveStep(deps: ResolveDeps): Step {
  return {
    name: 'resolve',
    handle(call: CallContext, next: Handler): Promise<Result> {
      // A step answers with a promise, a refusal included; the hot path stays free of async frames.
      try {
        if (routeCall(deps, call)) return next(call);
        return Promise.resolve({ completion: { values: [], hasMore: false } });
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

/** Routes the call; false when nobody serves a completion ref (answered with no suggestions). */
function routeCall(deps: ResolveDeps, call: CallContext): boolean {
  const { catalog } = deps;
  const params = call.params;
  switch (call.method) {
    case 'tools/call': {
      const name = String(params.name);
      const route = catalog.resolveTool(name) ?? resolveAlias(deps, call, name);
      if (!route) throw unknownName(call, 'tool', name, catalog.tools.length);
      call.exposedName = name;
      call.route = { upstream: route.upstream };
      call.params = { ...params, name: route.original };
      break;
    }
    case 'prompts/get': {
      const name = String(params.name);
      const route = catalog.resolvePrompt(name);
      if (!route) throw unknownName(call, 'prompt', name, catalog.prompts.length);
      call.exposedName = name;
      call.route = { upstream: route.upstream };
      call.params = { ...params, name: route.original };
      break;
    }
    case 'resources/read': {
      const uri = String(params.uri);
      const upstream = catalog.resolveResource(uri);
      if (!upstream) throw deny(call, 'resolve', ErrorCodes.ResourceNotFound, `Resource not found: ${uri} (no backend lists it or has a matching template).`);
      call.exposedName = uri;
      call.route = { upstream };
      call.params = { ...params };
      break;
    }
    case 'completion/complete': {
      const ref = params.ref as { type: string; name?: string; uri?: string };
      if (ref.type === 'ref/prompt' && ref.name) {
        const route = catalog.resolvePrompt(ref.name);
        if (route) {
          call.route = { upstream: route.upstream };
          call.params = { ...params, ref: { ...ref, name: route.original } };
        }
      } else if (ref.type === 'ref/resource' && ref.uri) {
        const upstream = catalog.resolveTemplate(ref.uri) ?? catalog.resolveResource(ref.uri);
        if (upstream) {
          call.route = { upstream };
          call.params = { ...params };
        }
      }
      // Nobody to ask: an empty completion, as a server without suggestions answers.
      if (!call.route) return false;
      call.exposedName = ref.name ?? ref.uri;
      break;
    }
  }
  return true;
}

function resolveAlias(deps: ResolveDeps, call: CallContext, name: string) {
  const table = deps.aliases?.();
  const alias = table?.get(name);
  if (!table || !alias) return undefined;
  const expired = table.isExpired(alias);
  const client = clientOf(call);
  table.record(alias.alias, client);
  deps.bus.emit('alias.used', { alias: alias.alias, target: alias.target, client, expired });
  if (expired) {
    throw deny(call, 'resolve', ErrorCodes.InvalidParams, `Tool "${name}" was renamed to "${alias.target}"; the old name stopped working after ${alias.expires}. Call ${alias.target}.`, {
      alias: alias.alias,
      target: alias.target,
    });
  }
  return deps.catalog.resolveTool(alias.target);
}

function unknownName(call: CallContext, kind: 'tool' | 'prompt', name: string, total: number) {
  return deny(call, 'resolve', ErrorCodes.InvalidParams, `Unknown ${kind}: ${name}. The gateway lists ${total} ${kind}s; call ${kind}s/list for current names (a backend may be down).`);
}

/** Rewrites the listed tools (approvals); memoised by the caller per catalog snapshot. */
export type ToolView = (tools: readonly UpstreamTool[], route: (exposed: string) => { upstream: Upstream; original: string } | undefined) => UpstreamTool[];

/** The catalog's tools, plus aliases with a deprecation note when the config asks to list them. */
export function listTools(catalog: Catalog, table: AliasTable | undefined, view?: ToolView): unknown[] {
  // The view (guarded-write notes, argument constraints) applies before aliases copy the listing.
  const tools = view ? view(catalog.tools, (name) => catalog.resolveTool(name)) : catalog.tools;
  if (!table?.listAliases || table.size === 0) return tools;
  const byName = new Map(tools.map((t) => [t.name, t]));
  const extra = [];
  for (const a of table.all()) {
    const t = byName.get(a.target);
    if (!t || byName.has(a.alias) || table.isExpired(a)) continue;
    extra.push({ ...t, name: a.alias, description: `Deprecated alias of ${a.target}${a.expires ? ` (until ${a.expires})` : ''}; call ${a.target} instead. ${t.description ?? ''}`.trim() });
  }
  return [...tools, ...extra];
}
