import { DEFAULTS, type BackendConfig, type GatehouseConfig, type HttpBackendConfig } from '../../core/config/schema.js';
import type { EventBus } from '../../core/events.js';
import { cfAccessHeaders } from '../../core/cfaccess/headers.js';
import { redactString } from '../../core/log/redact.js';
import { resolveRecord, type SecretStore } from '../../core/secrets/resolve.js';
import { McpUpstream, isMcpBackend } from './mcp.js';
import type { Upstream } from './types.js';

export type RestSupport = typeof import('./rest.js');

export interface UpstreamFactoryDeps {
  bus: EventBus;
  secrets?: SecretStore;
  baseDir?: string;
  /** Extra headers for an HTTP backend (Cloudflare Access token injection plugs in here). */
  extraHeaders?: (name: string, config: HttpBackendConfig) => Promise<Record<string, string>>;
  /** Builds upstreams of kinds this module does not know. */
  custom?: (name: string, config: BackendConfig, bus: EventBus) => Upstream | undefined;
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
}

/** REST support is loaded only when a REST backend is configured. */
export async function restSupport(backends: Array<[string, BackendConfig]>): Promise<RestSupport | undefined> {
  return backends.some(([, b]) => b.type === 'rest') ? await import('./rest.js') : undefined;
}

/** One backend's upstream, of its kind; undefined for a kind nothing here builds. */
export function createUpstream(name: string, bc: BackendConfig, config: GatehouseConfig, deps: UpstreamFactoryDeps, rest?: RestSupport): Upstream | undefined {
  const custom = deps.custom?.(name, bc, deps.bus);
  if (custom) return custom;
  const gw = config.gateway ?? {};
  const defaultTimeoutMs = (gw.callTimeout ?? DEFAULTS.callTimeout) * 1000;
  if (bc.type === 'rest' && rest) {
    return rest.createRestUpstream(name, bc, {
      resolve: { store: deps.secrets },
      allowedNetworks: gw.allowedNetworks,
      defaultTimeoutMs,
      baseDir: deps.baseDir,
    });
  }
  if (!isMcpBackend(bc)) return undefined;
  return new McpUpstream(name, bc, {
    defaultTimeoutMs,
    refreshIntervalMs: (gw.refreshInterval ?? DEFAULTS.refreshInterval) * 1000,
    resolveEnv: (env) => resolveRecord(env, { store: deps.secrets }),
    resolveHeaders: async (c) => ({
      ...(await resolveRecord(c.headers, { store: deps.secrets })),
      // The Cloudflare Access token goes to this backend only, on every request (SSE GETs and DELETEs included).
      ...(c.cfAccessToken ? await cfAccessHeaders(c.cfAccessToken, deps.secrets) : {}),
      ...(deps.extraHeaders ? await deps.extraHeaders(name, c) : {}),
    }),
    ...(deps.backoff ? { backoff: deps.backoff } : {}),
  });
}

export interface UpstreamHooks {
  /** The backend changed state (after the event is on the bus). */
  state(u: Upstream, state: string): void;
  /** The catalog must be rebuilt (a state change or the backend's list_changed). */
  rebuild(): void;
  resourceUpdated(uri: string, sessionKey?: string): void;
}

/**
 * Puts what one backend says on the bus. Everything is redacted first (and so in logs, the
 * dashboard and the admin event stream): a backend may echo a secret the gateway resolved for it.
 */
export function wireUpstreamEvents(u: Upstream, bus: EventBus, hooks: UpstreamHooks): void {
  u.on((e) => {
    if (e.type === 'state') {
      bus.emit('backend.state', {
        backend: u.name,
        state: e.state,
        reason: e.reason === undefined ? undefined : redactString(e.reason),
        tools: u.catalog().tools.length,
        resources: u.catalog().resources.length,
        prompts: u.catalog().prompts.length,
        protocolVersion: u.info.protocolVersion,
        serverName: u.info.serverName,
        serverVersion: u.info.serverVersion,
        ...(e.retryInMs !== undefined ? { retryInMs: e.retryInMs } : {}),
      });
      hooks.state(u, e.state);
      hooks.rebuild();
    } else if (e.type === 'list_changed') {
      hooks.rebuild();
    } else if (e.type === 'resource_updated') {
      hooks.resourceUpdated(e.uri, e.sessionKey);
    } else if (e.type === 'stderr') {
      bus.emit('backend.stderr', { backend: u.name, line: redactString(e.line) });
    } else if (e.type === 'unattributed') {
      bus.emit('relay.unattributed', { backend: u.name, method: e.method, reason: e.reason, ...(e.message ? { message: redactString(e.message) } : {}) });
    } else if (e.type === 'invalid') {
      bus.emit('backend.invalid', { backend: u.name, kind: e.kind, dropped: e.dropped, reasons: e.reasons.map(redactString) });
    } else if (e.type === 'warning') {
      bus.emit('backend.warning', { backend: u.name, message: redactString(e.message) });
    } else if (e.type === 'suppressed') {
      bus.emit('backend.suppressed', { backend: u.name, source: e.source, count: e.count, windowMs: e.windowMs, totalDropped: e.totalDropped });
    }
  });
}
