/**
 * Config schema for issue 11: backend filters, virtual servers, roles and the rules that map
 * identities to roles. schema.ts composes these into the backend, gateway and auth objects.
 */
import { z } from 'zod';

// --- Tool filters (issue 11): what of a backend's catalog the gateway serves at all, on native names and URIs.
/** Globs: `*` any run of characters, `?` one character; matched against the whole name. */
const globList = z.array(z.string().min(1).max(256)).max(1_000);
export const itemFilterSchema = z.strictObject({
  /** Only names matching one of these are served (absent: everything). */
  include: globList.optional(),
  /** Names matching one of these are never served (wins over include). */
  exclude: globList.optional(),
});
export const toolFilterSchema = itemFilterSchema.extend({
  /** Only tools annotated readOnlyHint: true (REST GET/HEAD tools and POST tools marked readOnly carry it). */
  readOnly: z.boolean().optional(),
});
export const filterFields = {
  toolFilter: toolFilterSchema.optional(),
  promptFilter: itemFilterSchema.optional(),
  /** Globs on resource URIs (and on resource templates' uriTemplate). */
  resourceFilter: itemFilterSchema.optional(),
};
export const FILTER_FIELDS = ['toolFilter', 'promptFilter', 'resourceFilter'] as const;

const ROLE_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const roleNameSchema = z.string().regex(ROLE_RE, 'role names use letters, digits, ".", "_" or "-"');

/** gateway.auth.roles: how JWT and Cloudflare Access identities map to roles. */
export const roleRulesSchema = z.array(
  z.union([
    /** A claim equal to `value` (or an array claim containing it), e.g. {claim: groups, value: infra, role: ops}. */
    z.strictObject({ claim: z.string().min(1), value: z.union([z.string(), z.number(), z.boolean()]), role: roleNameSchema }),
    /** A Cloudflare Access service token's common_name (its client id). */
    z.strictObject({ commonName: z.string().min(1), role: roleNameSchema }),
  ]),
);

// --- Remote admin (issue 13): who may use the admin API from off-loopback (`gatehouse dashboard --url`).
export const remoteAdminSchema = z.strictObject({
  /** Roles that may watch from elsewhere: status, the event stream, aliases, approvals and pins, read-only. */
  watch: z.array(roleNameSchema).min(1, 'name at least one role, e.g. [ops]'),
  /** Roles that may also approve or deny plans: people only (JWT or Access users), never client or service tokens. */
  decide: z.array(roleNameSchema).optional(),
});
export type RemoteAdminConfig = z.infer<typeof remoteAdminSchema>;
// --- end remote admin

// --- Virtual servers and roles (issue 11)
export type VirtualServerConfig = z.infer<typeof virtualServerSchema>;
export type RoleConfig = z.infer<typeof roleSchema>;
export const SERVER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
export const virtualServerSchema = z.strictObject({
  /** Backends whose tools, prompts and resources the server carries (absent: every backend). */
  backends: z.array(z.string().min(1)).optional(),
  /** Globs on exposed tool names (absent: every tool of those backends). */
  tools: globList.optional(),
  description: z.string().optional(),
});
export const roleSchema = z.strictObject({
  /** Virtual servers whose views the role reaches (absent: the whole catalog). */
  servers: z.array(z.string().regex(SERVER_NAME_RE)).optional(),
  /** Globs on exposed tool names the role may use (absent: every tool the servers carry). */
  tools: globList.optional(),
});
/** References between servers, roles and backends, checked with the whole file (a typo fails the load, not a call). */
export function accessIssues(c: { gateway?: { servers?: Record<string, VirtualServerConfig>; defaultServer?: string; roles?: Record<string, RoleConfig> }; backends: Record<string, unknown> }): Array<{ path: (string | number)[]; message: string }> {
  const out: Array<{ path: (string | number)[]; message: string }> = [];
  const servers = c.gateway?.servers ?? {};
  const names = Object.keys(servers);
  const known = (list: string[]) => (list.length ? list.join(', ') : 'none');
  for (const [name, s] of Object.entries(servers)) {
    (s.backends ?? []).forEach((b, i) => {
      if (!(b in c.backends)) out.push({ path: ['gateway', 'servers', name, 'backends', i], message: `names backend "${b}", which is not configured (backends: ${known(Object.keys(c.backends))})` });
    });
  }
  const d = c.gateway?.defaultServer;
  if (d !== undefined && !(d in servers)) out.push({ path: ['gateway', 'defaultServer'], message: `names server "${d}", which gateway.servers does not define (servers: ${known(names)})` });
  for (const [role, r] of Object.entries(c.gateway?.roles ?? {})) {
    (r.servers ?? []).forEach((sv, i) => {
      if (!(sv in servers)) out.push({ path: ['gateway', 'roles', role, 'servers', i], message: `names server "${sv}", which gateway.servers does not define (servers: ${known(names)})` });
    });
  }
  return out;
}

export type ToolFilterConfig = z.infer<typeof toolFilterSchema>;
export type ItemFilterConfig = z.infer<typeof itemFilterSchema>;
