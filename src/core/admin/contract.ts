import type { PinAcceptResponse, PinsResponse } from './pins.js';
/**
 * The admin API contract: what each loopback /admin route takes and answers. The gateway's routes
 * (src/server/inbound/admin.ts) and the commands that call them (through ./client.ts) share these
 * types, so a change to an answer is a compile error on both sides rather than a runtime surprise.
 */
import type { BackendState } from '../events.js';
import type { ToolPolicy } from '../approvals/visibility.js';

/** One tool's approval policy: guarded or not and why, and the constraints the gateway enforces. */
export type AdminToolPolicy = ToolPolicy;

export interface AdminBackendStatus {
  name: string;
  type: string;
  state: BackendState;
  reason?: string;
  tools: number;
  /** Native (unprefixed) tool names. */
  toolNames: string[];
  resources: number;
  prompts: number;
  serverName?: string;
  serverVersion?: string;
  protocolVersion?: string;
  era?: 'legacy' | 'modern';
  /** Guarded writes: each listed tool's policy (absent from gateways older than this field). */
  policy?: AdminToolPolicy[];
  /** What the backend's toolFilter, promptFilter and resourceFilter removed, each with the setting that did. */
  filtered?: Array<{ kind: 'tool' | 'prompt' | 'resource' | 'resourceTemplate'; name: string; reason: string }>;
}

/** One virtual server (gateway.servers) as the running gateway serves it. */
export interface AdminServerStatus {
  name: string;
  description?: string;
  /** Configured backends (absent: all). */
  backends?: string[];
  /** Configured globs on exposed tool names (absent: all). */
  toolGlobs?: string[];
  /** Exposed tool names the server carries now (before any role narrows them). */
  tools: string[];
  prompts: number;
  resources: number;
  /** The path it is served at. */
  path: string;
  default: boolean;
}

export interface AdminStatus {
  url?: string;
  pid: number;
  startedAt: string;
  inFlight: number;
  sessions: number;
  /** Every open session, from the gateway's one registry. */
  sessionList?: AdminSession[];
  exposedTools: Array<{ name: string; backend: string; original: string; policy?: AdminExposedToolPolicy }>;
  catalog: { tools: number; resources: number; resourceTemplates: number; prompts: number };
  backends: AdminBackendStatus[];
  config: ConfigHealth;
  /** Virtual servers (issue 11); absent from gateways that predate them. */
  servers?: AdminServerStatus[];
  // --- CLI status and tools (issue 13): call counts since start; absent from older gateways.
  calls?: AdminCallTally;
}

/** Finished calls since the gateway started, by outcome, and the last one that failed (redacted). */
export interface AdminCallTally {
  total: number;
  /** tool-error + error + timeout. */
  failed: number;
  outcomes: Record<'ok' | 'tool-error' | 'error' | 'timeout' | 'cancelled', number>;
  lastFailure?: { at: string; method: string; name?: string; backend?: string; outcome: string; error?: string };
}

/** What applies to calls of one exposed tool: the approval guard, argument constraints and its timeout. */
export interface AdminExposedToolPolicy {
  guarded: boolean;
  /** Why it is or is not guarded, in the approval policy's words. */
  reason: string;
  /** Arguments held to constraints (and so required). */
  constrained?: string[];
  timeoutSeconds: number;
}
// --- end CLI status and tools

/** One open client session as the admin API reports it (never a credential). */
export interface AdminSession {
  id: string;
  era: 'legacy' | 'modern';
  transport: string;
  client: string;
  subject?: string;
  via: string;
  roles: string[];
  subscriptions: string[];
  createdAt: string;
  lastActivity: string;
  inFlight: number;
  streams: number;
}

export interface AdminRefreshResult {
  refreshed: Array<{ name: string; state: BackendState; reason?: string; tools: number }>;
  tools: { added: string[]; removed: string[]; changed: string[] };
}

/** One served alias with its recorded use (GET /aliases). */
export interface AdminAliasUsage {
  alias: string;
  target: string;
  expires?: string;
  calls: Array<{ client: string; count: number; lastCalledAt: string }>;
  total?: number;
}

export interface AdminAliasesResult {
  aliases: AdminAliasUsage[];
}

/** Why the file on disk is not what the gateway serves, as load.ts describes it. */
export interface ConfigError {
  /** The file that failed. */
  source: string;
  /** The full message: file:line:col, the path inside the file and what is wrong. */
  message: string;
  hint?: string;
  code?: string;
}

/** Whether the last reload attempt applied (readyz and status carry it). */
export type ConfigHealth = { ok: true; source?: string; appliedAt?: string } | { ok: false; source?: string; error: ConfigError };

/** What a reload did: one entry per backend, and the gateway settings that changed. */
export interface ReloadSummary {
  added: string[];
  removed: string[];
  restarted: string[];
  unchanged: string[];
  /** Gateway settings applied live (e.g. "gateway.prefixMode"). */
  settings: string[];
  /** Settings that changed but only take effect after a restart (e.g. "gateway.port"). */
  restartNeeded: string[];
}

export type ReloadTrigger = 'watch' | 'sighup' | 'admin' | 'api';

export type AdminReloadResult =
  | { applied: true; changed: boolean; source: string; summary: ReloadSummary }
  | { applied: false; source: string; error: ConfigError };

export interface AdminErrorBody {
  error: string;
  message: string;
}

/** Every admin route: method + path, its query and its answer. */
export interface AdminRoutes {
  'GET /status': { query: Record<string, never>; response: AdminStatus };
  'GET /aliases': { query: Record<string, never>; response: AdminAliasesResult };
  'POST /refresh': { query: { backend?: string }; response: AdminRefreshResult };
  'POST /reload': { query: Record<string, never>; response: AdminReloadResult };
  'GET /pins': { query: { backend?: string; tool?: string }; response: PinsResponse };
  'POST /pins/accept': { query: { by: string; backend?: string; tool?: string }; response: PinAcceptResponse };
}

export type AdminRoute = keyof AdminRoutes;
export type AdminResponse<R extends AdminRoute> = AdminRoutes[R]['response'];
export type AdminQuery<R extends AdminRoute> = AdminRoutes[R]['query'];

/** What the server side must provide to answer every route. */
export interface AdminHandlers {
  adminToken: string;
  status: () => AdminStatus;
  aliases: () => AdminAliasesResult;
  refresh: (backend?: string) => Promise<AdminRefreshResult>;
  /** Absent when the gateway serves no config file (tests, embedded use). */
  reload?: () => Promise<AdminReloadResult>;
}
