import { z } from 'zod';
import { accessIssues, filterFields, remoteAdminSchema, roleNameSchema, roleRulesSchema, roleSchema, SERVER_NAME_RE, virtualServerSchema } from './schema-access.js';

export { FILTER_FIELDS, SERVER_NAME_RE, accessIssues, itemFilterSchema, roleSchema, toolFilterSchema, virtualServerSchema } from './schema-access.js';
export type { ItemFilterConfig, RoleConfig, ToolFilterConfig, VirtualServerConfig } from './schema-access.js';
import { approvalFields, gatewayApprovalsSchema } from './schema-approvals.js';
import { clusterSchema, logSchema, metricsSchema, pinSchema, rateLimitFields, rateLimitRuleSchema, rateLimitSchema } from './schema-operations.js';
export { approvalAnnotationModes, approvalModes, gatewayApprovalsSchema } from './schema-approvals.js';
export { DURATION_RE, LISTEN_RE, clusterSchema, durationSeconds, rateLimitRuleSchema, rateLimitSchema } from './schema-operations.js';
export type { PinSetting } from './schema-operations.js';

/** Backend names become tool prefixes and URL path segments, so keep them plain. */
export const BACKEND_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
export const PREFIX_RE = /^[A-Za-z0-9_-]{0,48}$/;

export const prefixModes = ['always', 'conditional', 'never'] as const;
export type PrefixMode = (typeof prefixModes)[number];

/** A value in config that may be literal or a reference: `secret:<name>`, `env:<VAR>` or `file:/path`. */
const valueOrRef = z.string();


// Tool filters (issue 11): schema-access.ts.

const common = {
  description: z.string().optional(),
  prefix: z.string().regex(PREFIX_RE, 'use letters, digits, "_" or "-" (up to 48)').optional(),
  separator: z.enum(['_', '-', '__', '.']).optional(),
  timeout: z.number().positive().max(86_400).optional().describe('call timeout in seconds; resets on progress'),
  toolTimeouts: z.record(z.string(), z.number().positive().max(86_400)).optional(),
  disabled: z.boolean().optional(),
  refreshInterval: z.number().min(0).max(86_400).optional().describe('seconds between re-lists when the backend does not announce list changes; 0 disables'),
  ...approvalFields,
  ...rateLimitFields, // rate limits (issue 11)
  /** Tool pinning: withhold a tool whose description, schemas or annotations change until accepted. */
  pin: pinSchema.optional(),
  ...filterFields,
};

/** Which MCP protocol era to speak to an MCP backend: `auto` probes once and remembers the answer. */
const protocolOption = z.enum(['auto', 'legacy', 'modern']).optional();

export const stdioBackendSchema = z.strictObject({
  type: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), valueOrRef).optional(),
  cwd: z.string().optional(),
  isolation: z.enum(['shared', 'per-session']).optional(),
  protocol: protocolOption,
  /** Largest message read from the backend's stdout, in bytes (default 16 MiB); a bigger one fails only its call. */
  maxMessageBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).optional(),
  ...common,
});

export const httpBackendSchema = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  transport: z.enum(['auto', 'streamable-http', 'sse']).optional(),
  headers: z.record(z.string(), valueOrRef).optional(),
  cfAccessToken: z.string().optional(),
  isolation: z.enum(['shared', 'per-session']).optional(),
  protocol: protocolOption,
  ...common,
});

/** Native REST tool names; the naming policy adds the backend prefix later. */
export const REST_TOOL_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * `{name}` in a path, query, header or body template is an argument; `{{` and `}}` are literal braces
 * (PromQL selectors in fixed query values need them).
 */
export const PLACEHOLDER_RE = /\{\{|\}\}|\{([A-Za-z0-9_.$@:[\]-]+)\}/g;
export const restMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type RestMethod = (typeof restMethods)[number];
export const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** A response selection: dot-separated keys, numeric indexes and `*` (every element), e.g. `data.result`. */
export const SELECT_RE = /^(?:[A-Za-z0-9_$@-]+|\*|\[\d+\]|\[\*\])(?:(?:\.(?:[A-Za-z0-9_$@-]+|\*))|\[\d+\]|\[\*\])*$/;
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Names of the `{placeholders}` in one template string, in order of appearance. */
export function templatePlaceholders(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(PLACEHOLDER_RE)) if (m[1] !== undefined) out.push(m[1]);
  return out;
}

const jsonSchemaObject = z.record(z.string(), z.unknown());

export const restToolSchema = z
  .strictObject({
    name: z.string().regex(REST_TOOL_NAME_RE, 'use 1-64 letters, digits, "_" or "-"'),
    description: z.string().optional(),
    method: z.enum(restMethods).default('GET'),
    path: z
      .string()
      .startsWith('/', 'must start with "/" (it is appended to the backend baseUrl)')
      .refine((p) => !/[?#\s]/.test(p), 'must not contain "?", "#" or whitespace; declare query parameters under `query`')
      .refine((p) => !p.split('/').some((seg) => seg === '.' || seg === '..'), 'must not contain "." or ".." segments'),
    /** Query parameter name → template: `{arg}` (omitted when the argument is absent) or a fixed value. */
    query: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
    /** Header name → template. Only headers declared here can carry argument values. */
    headers: z.record(z.string().regex(HEADER_NAME_RE, 'not a valid HTTP header name'), z.string()).optional(),
    /** JSON body template; a string that is exactly `{arg}` is replaced by the argument's value, typed. */
    body: z.unknown().optional(),
    inputSchema: jsonSchemaObject.optional(),
    outputSchema: jsonSchemaObject.optional(),
    select: z.string().regex(SELECT_RE, 'use dot-separated keys, numeric indexes and *, e.g. data.result').optional(),
    timeout: z.number().positive().max(86_400).optional().describe('seconds'),
    maxResponseBytes: z.number().int().positive().optional(),
    /**
     * The operator's assertion that a POST only reads (query-by-POST APIs such as SigNoz query_range).
     * Only POST may carry it; PUT, PATCH and DELETE always need allowWrites.
     */
    readOnly: z.boolean().optional(),
    annotations: z
      .strictObject({
        title: z.string().optional(),
        readOnlyHint: z.boolean().optional(),
        destructiveHint: z.boolean().optional(),
        idempotentHint: z.boolean().optional(),
        openWorldHint: z.boolean().optional(),
      })
      .optional(),
  })
  .superRefine((tool, ctx) => {
    if (tool.readOnly && tool.method !== 'POST') {
      ctx.addIssue({ code: 'custom', path: ['readOnly'], message: `only POST tools can be marked readOnly (this one is ${tool.method})` });
    }
    if (tool.outputSchema && tool.outputSchema.type !== 'object') {
      ctx.addIssue({ code: 'custom', path: ['outputSchema', 'type'], message: 'an MCP outputSchema must have type "object"' });
    }
    if (tool.inputSchema && tool.inputSchema.type !== undefined && tool.inputSchema.type !== 'object') {
      ctx.addIssue({ code: 'custom', path: ['inputSchema', 'type'], message: 'an MCP inputSchema must have type "object"' });
    }
    if (tool.body !== undefined && READ_METHODS.has(tool.method)) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${tool.method} request has no body; remove it or change the method` });
    }
    // Every placeholder must be an argument the schema declares, so a typo fails at load, not at call.
    const declared = tool.inputSchema?.properties as Record<string, unknown> | undefined;
    if (declared && typeof declared === 'object') {
      const check = (template: string, path: (string | number)[]) => {
        for (const name of templatePlaceholders(template)) {
          if (!(name in declared)) ctx.addIssue({ code: 'custom', path, message: `uses {${name}}, which inputSchema.properties does not declare` });
        }
      };
      check(tool.path, ['path']);
      for (const [k, v] of Object.entries(tool.query ?? {})) if (typeof v === 'string') check(v, ['query', k]);
      for (const [k, v] of Object.entries(tool.headers ?? {})) check(v, ['headers', k]);
      walkStrings(tool.body, ['body'], check);
    }
  });

function walkStrings(value: unknown, path: (string | number)[], fn: (s: string, path: (string | number)[]) => void): void {
  if (typeof value === 'string') fn(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, [...path, i], fn));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], fn);
}

/** The rest backend fields without the cross-field checks (templates pick from it). */
export const restBackendBaseSchema = z.strictObject({
  type: z.literal('rest'),
  baseUrl: z.url({ protocol: /^https?$/ }).refine((u) => !/[?#]/.test(u), 'must not contain a query or fragment'),
  headers: z.record(z.string().regex(HEADER_NAME_RE, 'not a valid HTTP header name'), valueOrRef).optional(),
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('bearer'), token: valueOrRef }),
      z.strictObject({ type: z.literal('header'), name: z.string().regex(HEADER_NAME_RE, 'not a valid HTTP header name'), value: valueOrRef }),
      /**
       * Cloudflare Access service token: `token` names one stored with `gatehouse tokens add` (or
       * `env:PREFIX` for PREFIX_CLIENT_ID/PREFIX_CLIENT_SECRET), or clientId + clientSecret as references.
       */
      z
        .strictObject({ type: z.literal('cf-access'), token: z.string().min(1).optional(), clientId: valueOrRef.optional(), clientSecret: valueOrRef.optional() })
        .refine((a) => (a.token ? !a.clientId && !a.clientSecret : Boolean(a.clientId) && Boolean(a.clientSecret)), 'set token (a stored token name), or both clientId and clientSecret'),
    ])
    .optional(),
  /** A Cloudflare Access token name, as for http backends (the same as auth: {type: cf-access, token}). */
  cfAccessToken: z.string().optional(),
  /** Without it, only GET and HEAD tools (and POST tools marked readOnly) load. */
  allowWrites: z.boolean().optional(),
  /** Bytes read from a response body before it is cut off with a notice (default 1 MiB). */
  maxResponseBytes: z.number().int().positive().max(1024 * 1024 * 1024).optional(),
  tls: z
    .strictObject({
      /** PEM file with the CA that signed the backend's certificate (e.g. a cluster CA). */
      caFile: z.string().optional(),
      insecureSkipVerify: z.boolean().optional(),
    })
    .optional(),
  tools: z.array(restToolSchema).optional(),
  /** A YAML file with a `tools:` list (or a bare list), relative to the config file. */
  toolsFile: z.string().optional(),
  /** Tools come from templates/backends/<template>.yaml; `tools` entries with the same name override them. */
  template: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'template names are lowercase, e.g. prometheus').optional(),
  ...common,
});

export const restBackendSchema = restBackendBaseSchema.superRefine((b, ctx) => {
  if (!b.tools?.length && !b.toolsFile && !b.template) {
    ctx.addIssue({ code: 'custom', path: ['tools'], message: 'a rest backend needs tools, a toolsFile or a template' });
  }
  const seen = new Set<string>();
  (b.tools ?? []).forEach((t, i) => {
    if (seen.has(t.name)) ctx.addIssue({ code: 'custom', path: ['tools', i, 'name'], message: `duplicate tool name "${t.name}"` });
    seen.add(t.name);
    const issue = writeIssue(t, b.allowWrites);
    if (issue) ctx.addIssue({ code: 'custom', path: ['tools', i, 'method'], message: issue });
  });
});

/** Why a tool may not load on a backend, or undefined when it may. Shared by config load and registration. */
export function writeIssue(tool: Pick<RestToolConfig, 'method' | 'readOnly' | 'name'>, allowWrites: boolean | undefined): string | undefined {
  const method = tool.method ?? 'GET';
  if (READ_METHODS.has(method) || allowWrites) return undefined;
  if (method === 'POST' && tool.readOnly) return undefined;
  return `tool "${tool.name}" uses ${method}, a write; REST backends are read-only unless they set allowWrites: true`;
}

export const backendSchema = z.discriminatedUnion('type', [stdioBackendSchema, httpBackendSchema, restBackendSchema]);

/** Old tool names still accepted after a rename (`gatehouse migrate map` writes the map files). */
export const aliasesSchema = z.strictObject({
  /** Map files (YAML, JSON or CSV from `gatehouse migrate map`), relative to the config file. */
  files: z.array(z.string()).optional(),
  /** Inline aliases: old name → new (exposed) name, or {to, expires}. */
  map: z.record(z.string(), z.union([z.string(), z.strictObject({ to: z.string(), expires: z.iso.date().optional() })])).optional(),
  /** List aliases in tools/list with a deprecation note (default: hidden, still callable). */
  listAliases: z.boolean().optional(),
  /** Date (YYYY-MM-DD) after which every alias is refused with a pointer to its new name. */
  expires: z.iso.date().optional(),
});

export const authModes = ['none', 'bearer', 'jwt', 'cloudflare-access'] as const;
export type AuthMode = (typeof authModes)[number];

/**
 * Inbound auth for /mcp, /sse and /messages. `none` is for loopback binds; `bearer` checks static
 * client tokens (`gatehouse clients token create`); `jwt` is an OAuth 2.1 resource server;
 * `cloudflare-access` verifies the assertion Cloudflare Access adds in front of the gateway.
 */
export const authSchema = z
  .strictObject({
    mode: z.enum(authModes),
    jwt: z
      .strictObject({
        /** The authorization server's issuer identifier; tokens must carry it as `iss`. */
        issuer: z.url({ protocol: /^https?$/ }),
        /** Accepted `aud` values (usually this gateway's public /mcp URL). */
        audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        jwksUrl: z.url({ protocol: /^https?$/ }),
        /** This gateway's public MCP URL, advertised in RFC 9728 metadata (default: derived from the Host header). */
        resource: z.url({ protocol: /^https?$/ }).optional(),
        /** Scopes every token must carry; also advertised as scopes_supported. */
        scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope is printable ASCII without spaces, quotes or backslashes')).optional(),
      })
      .optional(),
    cloudflareAccess: z
      .strictObject({
        /** Zero Trust team name or domain: myteam or myteam.cloudflareaccess.com. */
        team: z.string().min(1),
        /** The Access application's AUD tag (or several). */
        aud: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        /** Where the signing keys are (default https://<team>.cloudflareaccess.com/cdn-cgi/access/certs). */
        certsUrl: z.url({ protocol: /^https?$/ }).optional(),
      })
      .optional(),
    // Roles (issue 11): JWT and Cloudflare Access identities map to roles (bearer tokens carry theirs).
    roles: roleRulesSchema.optional(),
  })
  .superRefine((a, ctx) => {
    if (a.mode === 'jwt' && !a.jwt) ctx.addIssue({ code: 'custom', path: ['jwt'], message: 'mode "jwt" needs jwt: {issuer, audience, jwksUrl}' });
    if (a.mode === 'cloudflare-access' && !a.cloudflareAccess) {
      ctx.addIssue({ code: 'custom', path: ['cloudflareAccess'], message: 'mode "cloudflare-access" needs cloudflareAccess: {team, aud}' });
    }
  });

/** Bounds on client sessions (src/server/sessions.ts holds the defaults). */
const sessionsSchema = z.strictObject({
  /** Seconds without traffic before an idle session expires (default 1800). */
  idleTimeout: z.number().positive().max(7 * 86_400).optional(),
  /** Sessions held at once (default 1000); at the cap the least recently used idle one is evicted. */
  max: z.number().int().min(1).max(1_000_000).optional(),
  /** Sessions one client identity may hold at once (default 100). */
  maxPerClient: z.number().int().min(1).max(1_000_000).optional(),
});

/** Limits on inbound HTTP connections and streams (src/server/inbound/limits.ts holds the defaults). */
const inboundSchema = z.strictObject({
  /** Seconds a client has to send its request headers (default 15). */
  headersTimeout: z.number().positive().max(600).optional(),
  /** Seconds a client has to send a whole request body (default 60); streams are exempt. */
  requestTimeout: z.number().positive().max(3_600).optional(),
  /** Open connections allowed from one remote address (default 256). */
  maxConnectionsPerAddress: z.number().int().min(1).max(100_000).optional(),
  /** Bytes of unread output one response stream may hold before it is closed (default 8 MiB). */
  maxStreamBufferBytes: z.number().int().min(65_536).optional(),
  /** Seconds between SSE keep-alive comments (default 15). */
  keepAliveInterval: z.number().min(0).max(3_600).optional(),
});


export const gatewaySchema = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  prefixMode: z.enum(prefixModes).optional(),
  separator: z.enum(['_', '-', '__', '.']).optional(),
  refreshInterval: z.number().min(0).max(86_400).optional(),
  /** Tool pinning for every backend (a backend's own `pin` wins). */
  pin: pinSchema.optional(),
  allowedHosts: z.array(z.string()).optional(),
  allowedOrigins: z.array(z.string()).optional(),
  allowedNetworks: z.array(z.string()).optional(),
  callTimeout: z.number().positive().max(86_400).optional(),
  aliases: aliasesSchema.optional(),
  auth: authSchema.optional(),
  sessions: sessionsSchema.optional(),
  inbound: inboundSchema.optional(),
  approvals: gatewayApprovalsSchema.optional(),
  // Rate limits (issue 11)
  rateLimits: z.array(rateLimitRuleSchema).optional(),
  cluster: clusterSchema.optional(),
  // Traces (src/server/tracing/): on with an OTLP endpoint in OTEL_* or `enabled: true`; false forces off.
  tracing: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  // --- Virtual servers and roles (issue 11): named subsets of the catalog, and what each role may reach.
  /** NAME → a subset served at /servers/NAME/mcp (and /servers/NAME/sse). */
  servers: z.record(z.string().regex(SERVER_NAME_RE, 'server names use letters, digits, "_" or "-" and start with a letter or digit'), virtualServerSchema).optional(),
  /** A server name that /mcp (and serve --stdio) serves instead of the whole catalog. */
  defaultServer: z.string().regex(SERVER_NAME_RE, 'a server name from gateway.servers').optional(),
  /** ROLE → what an authenticated client holding it may reach; an authenticated client with no matching role reaches nothing. */
  roles: z.record(roleNameSchema, roleSchema).optional(),
  // --- end virtual servers and roles
  /** The admin API off-loopback (issue 13): absent, it answers loopback clients only. Needs gateway.auth. */
  admin: z.strictObject({ remote: remoteAdminSchema.optional() }).optional(),
  // Metrics and log files (issue 11).
  metrics: metricsSchema.optional(),
  log: logSchema.optional(),
});

export const configSchema = z.strictObject({
  version: z.literal(1).default(1),
  gateway: gatewaySchema.optional(),
  backends: z
    .record(z.string().regex(BACKEND_NAME_RE, 'backend names use letters, digits, "_" or "-" and start with a letter or digit'), backendSchema)
    .default({}),
})
  // Issue 11: servers, roles and defaultServer must name what exists.
  .superRefine((c, ctx) => {
    for (const issue of accessIssues(c)) ctx.addIssue({ code: 'custom', ...issue });
    // Remote admin identifies callers by inbound auth; without it nobody off-loopback has a role.
    if (c.gateway?.admin?.remote && (c.gateway.auth?.mode ?? 'none') === 'none') {
      ctx.addIssue({ code: 'custom', path: ['gateway', 'admin', 'remote'], message: 'needs gateway.auth (mode bearer, jwt or cloudflare-access): the roles it names come from inbound auth' });
    }
  });

export type StdioBackendConfig = z.infer<typeof stdioBackendSchema>;
export type HttpBackendConfig = z.infer<typeof httpBackendSchema>;
export type RestBackendConfig = z.infer<typeof restBackendSchema>;
export type RestToolConfig = z.infer<typeof restToolSchema>;
export type BackendConfig = z.infer<typeof backendSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type TracingConfig = NonNullable<GatewayConfig['tracing']>;
export type AliasesConfig = z.infer<typeof aliasesSchema>;
export type AuthConfig = z.infer<typeof authSchema>;
export type GatewayApprovalsConfig = z.infer<typeof gatewayApprovalsSchema>;
export type MetricsConfig = z.infer<typeof metricsSchema>;
export type LogFileConfig = z.infer<typeof logSchema>;
export type GatehouseConfig = z.infer<typeof configSchema>;
export type RateLimitConfig = z.infer<typeof rateLimitSchema>;
export type RateLimitRuleConfig = z.infer<typeof rateLimitRuleSchema>;
export type ClusterConfig = z.infer<typeof clusterSchema>;
export type RoleRule = NonNullable<AuthConfig['roles']>[number];

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 7420,
  prefixMode: 'always' as PrefixMode,
  separator: '_' as const,
  refreshInterval: 300,
  callTimeout: 60,
};
