import { z } from 'zod';

/** Backend names become tool prefixes and URL path segments, so keep them plain. */
export const BACKEND_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;
export const PREFIX_RE = /^[A-Za-z0-9_-]{0,48}$/;

export const prefixModes = ['always', 'conditional', 'never'] as const;
export type PrefixMode = (typeof prefixModes)[number];

/** A value in config that may be literal or a reference: `secret:<name>` or `env:<VAR>`. */
const valueOrRef = z.string();

const common = {
  description: z.string().optional(),
  prefix: z.string().regex(PREFIX_RE, 'use letters, digits, "_" or "-" (up to 48)').optional(),
  separator: z.enum(['_', '-', '__', '.']).optional(),
  timeout: z.number().positive().max(86_400).optional().describe('call timeout in seconds; resets on progress'),
  toolTimeouts: z.record(z.string(), z.number().positive().max(86_400)).optional(),
  disabled: z.boolean().optional(),
  refreshInterval: z.number().min(0).max(86_400).optional().describe('seconds between re-lists when the backend does not announce list changes; 0 disables'),
};

export const stdioBackendSchema = z.strictObject({
  type: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), valueOrRef).optional(),
  cwd: z.string().optional(),
  isolation: z.enum(['shared', 'per-session']).optional(),
  ...common,
});

export const httpBackendSchema = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }),
  transport: z.enum(['auto', 'streamable-http', 'sse']).optional(),
  headers: z.record(z.string(), valueOrRef).optional(),
  cfAccessToken: z.string().optional(),
  isolation: z.enum(['shared', 'per-session']).optional(),
  ...common,
});

export const restToolSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  path: z.string().startsWith('/'),
  query: z.record(z.string(), z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
  select: z.string().optional(),
  timeout: z.number().positive().optional(),
  annotations: z
    .strictObject({
      title: z.string().optional(),
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional(),
    })
    .optional(),
});

export const restBackendSchema = z.strictObject({
  type: z.literal('rest'),
  baseUrl: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), valueOrRef).optional(),
  auth: z
    .discriminatedUnion('type', [
      z.strictObject({ type: z.literal('bearer'), token: valueOrRef }),
      z.strictObject({ type: z.literal('header'), name: z.string(), value: valueOrRef }),
      z.strictObject({ type: z.literal('cf-access'), token: z.string() }),
    ])
    .optional(),
  cfAccessToken: z.string().optional(),
  allowWrites: z.boolean().optional(),
  maxResponseBytes: z.number().int().positive().optional(),
  tools: z.array(restToolSchema).optional(),
  toolsFile: z.string().optional(),
  template: z.string().optional(),
  ...common,
});

export const backendSchema = z.discriminatedUnion('type', [stdioBackendSchema, httpBackendSchema, restBackendSchema]);

export const gatewaySchema = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  prefixMode: z.enum(prefixModes).optional(),
  separator: z.enum(['_', '-', '__', '.']).optional(),
  refreshInterval: z.number().min(0).max(86_400).optional(),
  allowedHosts: z.array(z.string()).optional(),
  allowedOrigins: z.array(z.string()).optional(),
  allowedNetworks: z.array(z.string()).optional(),
  callTimeout: z.number().positive().max(86_400).optional(),
});

export const configSchema = z.strictObject({
  version: z.literal(1).default(1),
  gateway: gatewaySchema.optional(),
  backends: z
    .record(z.string().regex(BACKEND_NAME_RE, 'backend names use letters, digits, "_" or "-" and start with a letter or digit'), backendSchema)
    .default({}),
});

export type StdioBackendConfig = z.infer<typeof stdioBackendSchema>;
export type HttpBackendConfig = z.infer<typeof httpBackendSchema>;
export type RestBackendConfig = z.infer<typeof restBackendSchema>;
export type RestToolConfig = z.infer<typeof restToolSchema>;
export type BackendConfig = z.infer<typeof backendSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type GatehouseConfig = z.infer<typeof configSchema>;

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 7420,
  prefixMode: 'always' as PrefixMode,
  separator: '_' as const,
  refreshInterval: 300,
  callTimeout: 60,
};
