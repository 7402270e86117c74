import type { AuthMode, BackendConfig, GatehouseConfig, HttpBackendConfig, PrefixMode } from '../core/config/schema.js';
import type { EventBus } from '../core/events.js';
import type { SecretStore } from '../core/secrets/resolve.js';
import type { HttpAppOptions } from './inbound/http.js';
import type { Upstream } from './upstream/types.js';

export const VERSION = '0.1.0';

export interface GatewayOptions {
  config: GatehouseConfig;
  bus?: EventBus;
  host?: string;
  port?: number;
  prefixMode?: PrefixMode;
  /** Serve HTTP (default true). `serve --stdio` turns it off and serves stdin/stdout instead. */
  http?: boolean;
  /** Where to write the run-state file (admin URL and token) for `backends refresh`. */
  stateDir?: string;
  secrets?: SecretStore;
  /** Extra headers for an HTTP backend (Cloudflare Access token injection plugs in here). */
  extraHeaders?: (name: string, config: HttpBackendConfig) => Promise<Record<string, string>>;
  /** Builds upstreams of kinds this module does not know (REST). */
  upstreamFactory?: (name: string, config: BackendConfig, bus: EventBus) => Upstream | undefined;
  /** The message-level fast path (inbound/fast-*.ts); default on, unless GATEHOUSE_FAST_PATH=0. */
  fastPath?: boolean;
  /** Inbound auth hook (src/server/inbound/auth.ts builds it from config). */
  authenticate?: HttpAppOptions['authenticate'];
  /** Bearer mode's token checker: with a cluster, revocations seen here reach every replica, and theirs reach this one. */
  clientTokens?: import('../core/auth/client-tokens.js').ClientTokenVerifier;
  /** The mode `authenticate` implements (the approval page decides who may approve by it); default none. */
  authMode?: AuthMode;
  wellKnown?: HttpAppOptions['wellKnown'];
  /** Folder that relative paths in the config (REST toolsFile) are resolved against. */
  baseDir?: string;
  /** Backoff override (tests use short delays). */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  /** The file `config` came from: watched and reloaded on change, on SIGHUP and on POST /admin/reload. */
  configPath?: string;
  /** Follow configPath on disk (default true); reloads by signal or admin API work either way. */
  watchConfig?: boolean;
  /** How long a removed or changed backend may finish its in-flight calls on reload (default 10 s). */
  reloadDrainMs?: number;
}

export interface GatewayState {
  url: string;
  adminUrl: string;
  adminToken: string;
  pid: number;
  startedAt: string;
}
