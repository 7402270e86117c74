import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULTS, type BackendConfig, type GatehouseConfig, type HttpBackendConfig, type PrefixMode } from '../core/config/schema.js';
import { EventBus } from '../core/events.js';
import { resolveRecord, type SecretStore } from '../core/secrets/resolve.js';
import { AliasTable } from './aliases.js';
import { Approvals, storeLocation } from './approvals/service.js';
import { handleApprovalRoutes } from './approvals/routes.js';
import { Catalog, isEmptyDiff } from './catalog.js';
import { HttpApp, type HttpAppOptions } from './inbound/http.js';
import { Router } from './router.js';
import { McpUpstream, isMcpBackend } from './upstream/mcp.js';
import { cfAccessHeaders } from '../core/cfaccess/headers.js';
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
  /** Inbound auth hook (src/server/inbound/auth.ts builds it from config). */
  authenticate?: HttpAppOptions['authenticate'];
  wellKnown?: HttpAppOptions['wellKnown'];
  /** Folder that relative paths in the config (REST toolsFile) are resolved against. */
  baseDir?: string;
  /** Backoff override (tests use short delays). */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
}

export interface GatewayState {
  url: string;
  adminUrl: string;
  adminToken: string;
  pid: number;
  startedAt: string;
}

/**
 * Composes upstreams, catalog, router and inbound transports; owns start, stop and drain.
 */
export class Gateway {
  readonly bus: EventBus;
  readonly upstreams: Upstream[] = [];
  readonly catalog: Catalog;
  readonly router: Router;
  readonly approvals: Approvals;
  http?: HttpApp;
  url?: string;
  private readonly adminToken = randomBytes(24).toString('base64url');
  private inFlight = new Set<Promise<unknown>>();
  private rebuildQueued = false;
  private statePath?: string;
  private aliases?: AliasTable;
  private stopped = false;
  /** Backends that have left `starting` at least once (readiness). */
  private readonly tried = new Set<string>();
  readonly startedAt = Date.now();

  constructor(private readonly opts: GatewayOptions) {
    this.bus = opts.bus ?? new EventBus();
    const cfg = opts.config;
    const gw = cfg.gateway ?? {};
    this.catalog = new Catalog(() => this.upstreams, {
      mode: opts.prefixMode ?? gw.prefixMode ?? DEFAULTS.prefixMode,
      separator: gw.separator ?? DEFAULTS.separator,
    });
    // Plans live beside the run state; without a state dir (embedded use) they last as long as the process.
    this.approvals = new Approvals({ config: gw.approvals, bus: this.bus, storeFile: storeLocation(gw.approvals?.store, opts.stateDir, opts.baseDir) });
    this.router = new Router({
      approvals: this.approvals,
      catalog: this.catalog,
      upstreams: () => this.upstreams,
      bus: this.bus,
      defaultTimeoutMs: (gw.callTimeout ?? DEFAULTS.callTimeout) * 1000,
      serverInfo: { name: 'gatehouse', version: VERSION },
      instructions: 'Gatehouse federates several MCP backends; tool names carry the backend prefix.',
      onSubscribe: (session, uri, _u, on) => {
        this.http?.trackSubscription(session, uri, on);
        this.onSubscription?.(session, uri, on);
      },
      aliases: () => this.aliases,
      track: (p) => this.track(p),
    });
  }

  /** Builds the backends (REST support is loaded only when a REST backend is configured). */
  private async createUpstreams(): Promise<void> {
    const backends = Object.entries(this.opts.config.backends);
    const rest = backends.some(([, b]) => b.type === 'rest') ? await import('./upstream/rest.js') : undefined;
    for (const [name, bc] of backends) {
      const u = this.createUpstream(name, bc, rest?.createRestUpstream);
      if (u) this.attach(u);
    }
  }

  private attach(u: Upstream): void {
    this.upstreams.push(u);
    u.on((e) => {
      if (e.type === 'state') {
        if (e.state !== 'starting' && e.state !== 'stopped') this.tried.add(u.name);
        this.bus.emit('backend.state', {
          backend: u.name,
          state: e.state,
          reason: e.reason,
          tools: u.catalog().tools.length,
          resources: u.catalog().resources.length,
          prompts: u.catalog().prompts.length,
          protocolVersion: u.info.protocolVersion,
          serverName: u.info.serverName,
          serverVersion: u.info.serverVersion,
        });
        this.queueRebuild();
      } else if (e.type === 'list_changed') {
        this.queueRebuild();
      } else if (e.type === 'resource_updated') {
        this.http?.notifyResourceUpdated(e.uri, e.sessionKey);
        this.onResourceUpdated?.(e.uri, e.sessionKey);
      } else if (e.type === 'stderr') {
        this.bus.emit('backend.stderr', { backend: u.name, line: e.line });
      }
    });
  }

  private createUpstream(name: string, bc: BackendConfig, createRestUpstream?: typeof import('./upstream/rest.js').createRestUpstream): Upstream | undefined {
    const custom = this.opts.upstreamFactory?.(name, bc, this.bus);
    if (custom) return custom;
    const gw = this.opts.config.gateway ?? {};
    if (bc.type === 'rest' && createRestUpstream) {
      return createRestUpstream(name, bc, {
        resolve: { store: this.opts.secrets },
        allowedNetworks: gw.allowedNetworks,
        defaultTimeoutMs: (gw.callTimeout ?? DEFAULTS.callTimeout) * 1000,
        baseDir: this.opts.baseDir,
      });
    }
    if (!isMcpBackend(bc)) return undefined;
    return new McpUpstream(name, bc, {
      defaultTimeoutMs: (gw.callTimeout ?? DEFAULTS.callTimeout) * 1000,
      refreshIntervalMs: (gw.refreshInterval ?? DEFAULTS.refreshInterval) * 1000,
      resolveEnv: (env) => resolveRecord(env, { store: this.opts.secrets }),
      resolveHeaders: async (c) => ({
        ...(await resolveRecord(c.headers, { store: this.opts.secrets })),
        // The Cloudflare Access token goes to this backend only, on every request (SSE GETs and DELETEs included).
        ...(c.cfAccessToken ? await cfAccessHeaders(c.cfAccessToken, this.opts.secrets) : {}),
        ...(this.opts.extraHeaders ? await this.opts.extraHeaders(name, c) : {}),
      }),
      ...(this.opts.backoff ? { backoff: this.opts.backoff } : {}),
    });
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Coalesces bursts of backend changes into one catalog rebuild and one list_changed per kind. */
  private queueRebuild(): void {
    if (this.rebuildQueued) return;
    this.rebuildQueued = true;
    queueMicrotask(() => {
      this.rebuildQueued = false;
      const diffs = this.catalog.rebuild();
      for (const w of this.catalog.warnings) this.bus.emit('naming.warning', { message: w.message, backend: 'backend' in w ? w.backend : undefined });
      const notified = new Set<'tools' | 'resources' | 'prompts'>();
      for (const kind of ['tools', 'resources', 'resourceTemplates', 'prompts'] as const) {
        const d = diffs[kind];
        if (isEmptyDiff(d)) continue;
        const total = kind === 'tools' ? this.catalog.tools.length : kind === 'prompts' ? this.catalog.prompts.length : kind === 'resources' ? this.catalog.resources.length : this.catalog.resourceTemplates.length;
        this.bus.emit('catalog.changed', { kind, diff: d, total });
        const listKind = kind === 'resourceTemplates' ? 'resources' : kind;
        if (!notified.has(listKind)) {
          notified.add(listKind);
          this.http?.notifyListChanged(listKind);
          this.onListChanged?.(listKind);
        }
      }
    });
  }

  /** Extra list_changed sink (the stdio inbound registers here). */
  onListChanged?: (kind: 'tools' | 'resources' | 'prompts') => void;
  /** Extra resource-update sink and subscription tracker (the stdio inbound registers here). */
  onResourceUpdated?: (uri: string, sessionKey?: string) => void;
  onSubscription?: (sessionKey: string, uri: string, subscribed: boolean) => void;

  async start(): Promise<void> {
    const gw = this.opts.config.gateway ?? {};
    await this.createUpstreams();
    if (gw.aliases) this.aliases = await AliasTable.load(gw.aliases, this.opts.baseDir ?? process.cwd());
    if (this.opts.http !== false) {
      this.http = new HttpApp({
        host: this.opts.host ?? gw.host ?? DEFAULTS.host,
        port: this.opts.port ?? gw.port ?? DEFAULTS.port,
        router: this.router,
        bus: this.bus,
        allowedHosts: gw.allowedHosts,
        allowedOrigins: gw.allowedOrigins,
        readiness: () => this.readiness(),
        status: () => this.status(),
        refresh: (b) => this.refresh(b),
        aliases: () => ({ aliases: this.aliases?.report() ?? [] }),
        adminToken: this.adminToken,
        adminRoutes: (req, res, path, url) => handleApprovalRoutes(this.approvals, req, res, path, url),
        authenticate: this.opts.authenticate,
        wellKnown: this.opts.wellKnown,
      });
      this.http.onSessionClosed = (id) => {
        for (const u of this.upstreams) void u.releaseSession?.(id);
      };
      const where = await this.http.listen();
      this.url = where.url;
      this.bus.emit('gateway.listening', { url: where.url, host: where.host, port: where.port, transports: ['streamable-http', 'sse'] });
      if (this.opts.stateDir) await this.writeState();
    }
    // Backends start in parallel; each one failing is isolated and retried on its own.
    await Promise.all(this.upstreams.map((u) => u.start()));
  }

  private async writeState(): Promise<void> {
    const dir = join(this.opts.stateDir!, 'run');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'gateway.json');
    const state: GatewayState = {
      url: this.url!,
      adminUrl: this.url!.replace(/\/mcp$/, '/admin'),
      adminToken: this.adminToken,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
    };
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
    await rename(tmp, file);
    this.statePath = file;
  }

  readiness(): { ready: boolean; backends: Record<string, unknown> } {
    const backends: Record<string, unknown> = {};
    let ready = true;
    for (const u of this.upstreams) {
      // Tried once is enough: a failed backend retrying with backoff must not flap readiness.
      const tried = this.tried.has(u.name) || (u.state !== 'starting' && u.state !== 'stopped');
      if (!tried) ready = false;
      backends[u.name] = { state: u.state, ...(u.lastError ? { reason: u.lastError } : {}), tools: u.catalog().tools.length };
    }
    return { ready, backends };
  }

  status(): Record<string, unknown> {
    return {
      url: this.url,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
      inFlight: this.inFlight.size,
      sessions: this.http?.sessions.size ?? 0,
      exposedTools: this.catalog.toolEntries(),
      catalog: {
        tools: this.catalog.tools.length,
        resources: this.catalog.resources.length,
        resourceTemplates: this.catalog.resourceTemplates.length,
        prompts: this.catalog.prompts.length,
      },
      backends: this.upstreams.map((u) => ({
        name: u.name,
        type: u.config.type,
        state: u.state,
        reason: u.lastError,
        tools: u.catalog().tools.length,
        toolNames: u.catalog().tools.map((t) => t.name),
        resources: u.catalog().resources.length,
        prompts: u.catalog().prompts.length,
        ...u.info,
        capabilities: undefined,
        instructions: undefined,
      })),
    };
  }

  /** Re-lists one backend or all now; returns what changed. */
  async refresh(backend?: string): Promise<Record<string, unknown>> {
    const targets = backend ? this.upstreams.filter((u) => u.name === backend) : this.upstreams;
    if (backend && targets.length === 0) throw new Error(`No backend named "${backend}" in the running gateway.`);
    const before = new Map(this.catalog.tools.map((t) => [t.name, JSON.stringify(t)]));
    await Promise.all(targets.map((u) => u.refresh()));
    await new Promise((r) => setTimeout(r, 0));
    const after = new Map(this.catalog.tools.map((t) => [t.name, JSON.stringify(t)]));
    const added = [...after.keys()].filter((k) => !before.has(k));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k));
    return { refreshed: targets.map((u) => ({ name: u.name, state: u.state, reason: u.lastError, tools: u.catalog().tools.length })), tools: { added, removed, changed } };
  }

  /** Drains in-flight calls (up to drainMs), then stops backends and listeners. */
  async stop(reason = 'stop', drainMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.bus.emit('gateway.stopping', { reason, inFlight: this.inFlight.size });
    const deadline = Date.now() + drainMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    }
    this.router.dispose();
    // Backends first: a call still in flight past the deadline then fails with a clear error, which
    // the HTTP side writes before it closes (closing first would cut the client off mid-response).
    await Promise.all(this.upstreams.map((u) => u.stop()));
    await this.http?.close();
    await this.approvals.close();
    if (this.statePath) await rm(this.statePath, { force: true });
    this.bus.emit('gateway.stopped', {});
  }
}
