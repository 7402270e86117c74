import type { Identity } from '../identity.js';
import type { RoleConfig, RoleRule, VirtualServerConfig } from '../config/schema.js';
import { globMatcher, type Matcher } from './glob.js';

/** The part of `gateway` that says who reaches what: virtual servers, the default one, roles. */
export interface AccessConfig {
  servers?: Record<string, VirtualServerConfig>;
  defaultServer?: string;
  roles?: Record<string, RoleConfig>;
}

export type AccessKind = 'tool' | 'prompt' | 'resource';

/**
 * What one endpoint shows one caller. `backend` undefined is the gateway's own item (the apply-plan
 * tool): every scope allows it. `name` is the exposed tool name (role and server tool globs match it).
 */
export interface Scope {
  /** Same key, same view: the memo key for filtered lists. */
  readonly key: string;
  /** The view depends on who asks (roles applied), so 2026-07-28 list results are cacheScope private. */
  readonly private: boolean;
  readonly server?: string;
  allows(kind: AccessKind, backend: string | undefined, name?: string): boolean;
  /** Why `allows` said no, in words the client can act on. */
  refusal(kind: AccessKind, name: string): string;
}

interface View {
  backends?: ReadonlySet<string>;
  tools: Matcher;
  hasBackend(b: string): boolean;
  allowsTool(b: string, name: string): boolean;
}

/** Callers that authenticated; loopback and stdio use (`none`, `stdio`) keep seeing everything. */
export function isAuthenticated(identity: Identity | undefined): boolean {
  return identity !== undefined && identity.via !== 'none' && identity.via !== 'stdio';
}

/**
 * Compiled once per configuration (a reload builds a new one). Scopes are cached by key, so the
 * per-request cost is one map lookup.
 */
export class AccessPolicy {
  private readonly views = new Map<string, View>();
  private readonly roles = new Map<string, { servers?: View[]; tools: Matcher; hasTools: boolean }>();
  private readonly scopes = new Map<string, Scope | null>();

  constructor(readonly config: AccessConfig = {}) {
    for (const [name, s] of Object.entries(config.servers ?? {})) this.views.set(name, view(s));
    for (const [name, r] of Object.entries(config.roles ?? {})) {
      const servers = r.servers?.map((sv) => this.views.get(sv)).filter((v): v is View => v !== undefined);
      this.roles.set(name, { ...(r.servers ? { servers } : {}), tools: globMatcher(r.tools), hasTools: r.tools !== undefined });
    }
  }

  /** Whether roles are in force for authenticated callers. */
  get rolesConfigured(): boolean {
    return this.roles.size > 0;
  }

  hasServer(name: string): boolean {
    return this.views.has(name);
  }

  serverNames(): string[] {
    return [...this.views.keys()];
  }

  /**
   * The scope of a request at `server` (undefined: /mcp or stdio, which serve gateway.defaultServer
   * when set) from `identity`; undefined when the caller sees the whole catalog.
   */
  scope(server: string | undefined, identity: Identity | undefined): Scope | undefined {
    const at = server ?? this.config.defaultServer;
    const rolesApply = this.rolesConfigured && isAuthenticated(identity);
    const held = rolesApply ? [...new Set(identity!.roles)].filter((r) => this.roles.has(r)).sort() : [];
    // With no known role the refusal names what the client claimed, so those go into the key too.
    const unknown = rolesApply && !held.length ? `?${[...new Set(identity!.roles)].sort().join(',')}` : '';
    const key = `${at ?? '*'}|${rolesApply ? held.join(',') : '*'}${unknown}`;
    const cached = this.scopes.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const made = at === undefined && !rolesApply ? null : this.makeScope(key, at, rolesApply, held, identity?.roles ?? []);
    // Bounded by servers × role combinations that actually occur; a flood of odd role sets is capped.
    if (this.scopes.size < 4_096) this.scopes.set(key, made);
    return made ?? undefined;
  }

  private makeScope(key: string, at: string | undefined, rolesApply: boolean, held: string[], claimed: readonly string[]): Scope {
    const v = at !== undefined ? this.views.get(at) : undefined;
    const roles = held.map((r) => this.roles.get(r)!);
    const roleAllows = (kind: AccessKind, backend: string, name?: string): boolean => {
      if (!rolesApply) return true;
      return roles.some((r) => {
        if (kind === 'tool') return (!r.servers || r.servers.some((sv) => sv.allowsTool(backend, name ?? ''))) && r.tools(name ?? '');
        return !r.servers || r.servers.some((sv) => sv.hasBackend(backend));
      });
    };
    const serverAllows = (kind: AccessKind, backend: string, name?: string): boolean => {
      if (!v) return at === undefined;
      return kind === 'tool' ? v.allowsTool(backend, name ?? '') : v.hasBackend(backend);
    };
    const word = { tool: 'Tool', prompt: 'Prompt', resource: 'Resource' };
    return {
      key,
      private: rolesApply,
      ...(at !== undefined ? { server: at } : {}),
      allows: (kind, backend, name) => backend === undefined || (serverAllows(kind, backend, name) && roleAllows(kind, backend, name)),
      refusal: (kind, name) => {
        const where = at !== undefined ? `server "${at}" (/servers/${at}/mcp)` : 'this endpoint';
        if (!rolesApply) return `${word[kind]} "${name}" is not part of ${where}; list the server's ${kind}s, or use the endpoint that carries it.`;
        if (!held.length) {
          const said = claimed.length ? `roles ${claimed.join(', ')}, none of which gateway.roles defines` : 'no roles';
          return `${word[kind]} "${name}" is not available: this client has ${said}, and with gateway.roles set an authenticated client reaches only what its roles allow. Ask for a token with --role, or a claim mapped in gateway.auth.roles.`;
        }
        return `${word[kind]} "${name}" is not available on ${where} to roles ${held.join(', ')} (gateway.roles).`;
      },
    };
  }
}

function view(s: VirtualServerConfig): View {
  const backends = s.backends ? new Set(s.backends) : undefined;
  const tools = globMatcher(s.tools);
  const hasBackend = (b: string) => !backends || backends.has(b);
  return { ...(backends ? { backends } : {}), tools, hasBackend, allowsTool: (b, name) => hasBackend(b) && tools(name) };
}

/**
 * The roles a verified token's claims grant through gateway.auth.roles: `{claim, value, role}`
 * matches a claim equal to the value or an array claim containing it; `{commonName, role}` matches a
 * Cloudflare Access service token's common_name. Sorted, without repeats.
 */
export function rolesFromClaims(rules: readonly RoleRule[] | undefined, claims: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const rule of rules ?? []) {
    if ('commonName' in rule) {
      if (claims.common_name === rule.commonName) out.add(rule.role);
      continue;
    }
    const v = claimAt(claims, rule.claim);
    const hit = Array.isArray(v) ? v.some((x) => x === rule.value || String(x) === String(rule.value)) : v !== undefined && (v === rule.value || String(v) === String(rule.value));
    if (hit) out.add(rule.role);
  }
  return [...out].sort();
}

/** A claim by name, or by a dotted path into nested claims (`realm_access.roles`) when no claim has the dotted name. */
function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let cur: unknown = claims;
  for (const part of name.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
