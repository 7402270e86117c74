import type { AccessKind, AccessPolicy, Scope } from '../../core/policy/access.js';
import type { AliasTable } from '../aliases.js';
import type { Catalog } from '../catalog.js';
import { ErrorCodes } from '../upstream/types.js';
import { deny } from './errors.js';
import type { CallContext, Handler, LocalCall, LocalHandler, Result, Step } from './types.js';

export interface AccessDeps {
  /** The policy of the configuration being served (a reload swaps it); undefined: nothing to apply. */
  access?: () => AccessPolicy | undefined;
  catalog: Catalog;
  aliases?: () => AliasTable | undefined;
}

const LIST_KEYS = { 'tools/list': 'tools', 'prompts/list': 'prompts', 'resources/list': 'resources', 'resources/templates/list': 'resourceTemplates' } as const;
type ListMethod = keyof typeof LIST_KEYS;

/**
 * Virtual servers and roles: what the endpoint (/servers/NAME/…, or gateway.defaultServer) and the
 * caller's roles allow. On calls it runs after resolve and refuses what the scope does not reach; on
 * the local path it filters the list the router answered (memoised per list snapshot and scope key)
 * and refuses subscriptions to resources out of reach. Unauthenticated loopback and stdio callers at
 * /mcp see everything (no scope).
 */
export function accessStep(deps: AccessDeps): Step {
  // One filtered copy per list snapshot (the router's memoised answer) and scope key.
  const views = new WeakMap<readonly unknown[], Map<string, unknown[]>>();

  const kindOf = (call: CallContext): { kind: AccessKind; name: string } | undefined => {
    const backend = call.route?.upstream.name;
    if (!backend) return undefined;
    switch (call.method) {
      case 'tools/call': {
        const native = String(call.params.name);
        return { kind: 'tool', name: deps.catalog.exposedToolName(backend, native) ?? call.exposedName ?? native };
      }
      case 'prompts/get':
        return { kind: 'prompt', name: call.exposedName ?? String(call.params.name) };
      case 'resources/read':
        return { kind: 'resource', name: call.exposedName ?? String(call.params.uri) };
      case 'completion/complete':
        return { kind: (call.params.ref as { type?: string } | undefined)?.type === 'ref/prompt' ? 'prompt' : 'resource', name: call.exposedName ?? '' };
    }
  };

  /** Which backend (and exposed tool name) one listed item belongs to; undefined backend: the gateway's own. */
  const owner = (method: ListMethod, item: Record<string, unknown>): { backend?: string; name?: string } => {
    const c = deps.catalog;
    switch (method) {
      case 'tools/list': {
        const name = String(item.name);
        const direct = c.resolveTool(name);
        if (direct) return { backend: direct.upstream.name, name };
        // A listed alias stands for its target.
        const target = deps.aliases?.()?.get(name)?.target;
        const via = target ? c.resolveTool(target) : undefined;
        return via ? { backend: via.upstream.name, name: target } : {};
      }
      case 'prompts/list':
        return { backend: c.resolvePrompt(String(item.name))?.upstream.name };
      case 'resources/list':
        return { backend: c.resolveResource(String(item.uri))?.name };
      case 'resources/templates/list':
        return { backend: c.resolveTemplate(String(item.uriTemplate))?.name };
    }
  };

  const filtered = (method: ListMethod, items: readonly Record<string, unknown>[], scope: Scope): unknown[] => {
    let byScope = views.get(items);
    if (!byScope) views.set(items, (byScope = new Map()));
    const hit = byScope.get(scope.key);
    if (hit) return hit;
    const kind: AccessKind = method === 'tools/list' ? 'tool' : method === 'prompts/list' ? 'prompt' : 'resource';
    const out = items.filter((it) => {
      const o = owner(method, it);
      return scope.allows(kind, o.backend, o.name);
    });
    byScope.set(scope.key, out);
    return out;
  };

  return {
    name: 'access',
    handle(call: CallContext, next: Handler): Promise<Result> {
      const scope = deps.access?.()?.scope(call.server, call.identity);
      if (!scope) return next(call);
      call.scope = scope;
      const what = kindOf(call);
      if (what && !scope.allows(what.kind, call.route!.upstream.name, what.name)) {
        const code = what.kind === 'resource' && call.method === 'resources/read' ? ErrorCodes.ResourceNotFound : ErrorCodes.InvalidParams;
        return Promise.reject(deny(call, 'access', code, scope.refusal(what.kind, what.name), { ...(scope.server ? { server: scope.server } : {}) }));
      }
      // A read only some roles may make must not be served from a cache shared with the others.
      if (call.method === 'resources/read' && call.era === 'modern' && scope.private) return next(call).then((r) => (r.resultType === undefined || r.resultType === 'complete' ? { ...r, cacheScope: 'private' } : r));
      return next(call);
    },
    async local(call: LocalCall, next: LocalHandler): Promise<Result> {
      const scope = deps.access?.()?.scope(call.server, call.identity);
      if (!scope) return next(call);
      call.scope = scope;
      if (call.method === 'resources/subscribe') {
        const uri = String(call.params.uri);
        const backend = deps.catalog.resolveResource(uri)?.name;
        if (backend && !scope.allows('resource', backend)) throw deny(call, 'access', ErrorCodes.ResourceNotFound, scope.refusal('resource', uri));
        return next(call);
      }
      if (call.method === 'resources/unsubscribe') return next(call);
      const method = call.method;
      const result = await next(call);
      const key = LIST_KEYS[method];
      const items = result[key];
      if (!Array.isArray(items)) return result;
      const out: Result = { ...result, [key]: filtered(method, items as Record<string, unknown>[], scope) };
      // A list that depends on who asks must not be cached for anyone else (2026-07-28 cache hints).
      if (call.era === 'modern' && scope.private) out.cacheScope = 'private';
      return out;
    },
  };
}

/**
 * Applying a plan skips resolve (its backend and tool are stored), so access checks the stored
 * target here, before the plan is claimed: a caller the scope does not let reach the tool cannot
 * spend someone else's approved plan either.
 */
export function planAccessStep(deps: { access?: () => AccessPolicy | undefined; catalog: Catalog; plans: { get(id: string): Promise<{ backend: string; tool: string; exposedName: string } | undefined> }; applyTool: string }): Step {
  return {
    name: 'access-apply',
    async handle(call: CallContext, next: Handler): Promise<Result> {
      if (call.method !== 'tools/call' || call.params.name !== deps.applyTool) return next(call);
      const scope = deps.access?.()?.scope(call.server, call.identity);
      const planId = (call.params.arguments as { planId?: unknown } | undefined)?.planId;
      if (!scope || typeof planId !== 'string') return next(call);
      const plan = await deps.plans.get(planId);
      if (!plan) return next(call);
      const name = deps.catalog.exposedToolName(plan.backend, plan.tool) ?? plan.exposedName;
      if (!scope.allows('tool', plan.backend, name)) throw deny(call, 'access', ErrorCodes.InvalidParams, scope.refusal('tool', name), { planId });
      return next(call);
    },
  };
}
