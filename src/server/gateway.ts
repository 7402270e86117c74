import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULTS, type BackendConfig, type GatehouseConfig, type MetricsConfig } from '../core/config/schema.js';
import { EventBus } from '../core/events.js';
import { resolveValue } from '../core/secrets/resolve.js';
import type { AdminRefreshResult, AdminReloadResult, AdminStatus, ConfigHealth, ReloadSummary, ReloadTrigger } from '../core/admin/contract.js';
import { AliasTable } from './aliases.js';
import { Approvals, storeLocation } from './approvals/service.js';
import { AdminEventStream } from './inbound/admin-events.js';
import { handleApprovalRoutes } from './approvals/routes.js';
import { clusterSecret } from './approvals/seal.js';
import { Catalog, type CatalogOptions } from './catalog.js';
import { rebuildAndAnnounce } from './catalog-events.js';
import { ConfigReloader } from './config-reload.js';
import { applyBackendChanges, planReconcile, summarize } from './reconcile.js';
import { HttpApp } from './inbound/http.js';
import { Router, type RouterDeps } from './router.js';
import { SessionRegistry } from './sessions.js';
import { RateLimiter } from './ratelimit/limiter.js';
import { gatewayMetrics, type GatewayMetrics } from './metrics/index.js';
import { McpUpstream } from './upstream/mcp.js';
import { createUpstream, restSupport, wireUpstreamEvents, type RestSupport } from './upstream/factory.js';
import { releaseEarly } from './upstream/early-spawn.js';
import { readiness, refresh, status, type GatewayView } from './gateway-status.js';
import { GatewayTracing } from './tracing/index.js';
import { VIEW_SETTINGS, accessPolicy, compileBackendFilters } from './access-config.js';
import type { AccessPolicy } from '../core/policy/access.js';
import { CallTally } from './call-tally.js';
import { writeRunState } from '../core/config/run-state.js';
import { Pins } from './pinning/pins.js';
import { handlePinRoutes, pinPolicy } from './pinning/routes.js';
import type { Upstream } from './upstream/types.js';
import { gatewayTasks } from './tasks/index.js';

export { VERSION, type GatewayOptions, type GatewayState } from './gateway-options.js';
import { VERSION, type GatewayOptions } from './gateway-options.js';

/**
 * Composes upstreams, catalog, router and inbound transports; owns start, stop and drain.
 */
export class Gateway {
  readonly bus: EventBus;
  /** Mutable: a reload adds, removes and replaces entries in place (the catalog and router read it). */
  readonly upstreams: Upstream[] = [];
  readonly catalog: Catalog;
  readonly router: Router;
  /** Every client session of every transport; the dashboard, admin API and events read it. */
  readonly sessions: SessionRegistry;
  readonly approvals: Approvals;
  /** Tool pinning: fingerprints of pinned backends' tools, and the changes held for acceptance. */
  readonly pins: Pins;
  /** Rate limits of the config being served (in process, or shared through Redis). */
  readonly rateLimiter: RateLimiter;
  /** Prometheus metrics (gateway.metrics); prom-client loads only when they are on. */
  readonly metrics: GatewayMetrics;
  /** GET /admin/events: recent events for backfill and the live stream attached dashboards read. */
  readonly eventStream: AdminEventStream;
  http?: HttpApp;
  url?: string;
  private readonly adminToken = randomBytes(24).toString('base64url');
  private inFlight = new Set<Promise<unknown>>();
  private rebuildQueued = false;
  private statePath?: string;
  private aliases?: AliasTable;
  private stopped = false;
  /** Issue 12: only with gateway.cluster.redis (cluster/attach.ts). */
  private cluster?: import('./cluster/attach.js').ClusterAttachment;
  /** Backends that have left `starting` at least once (readiness). */
  private readonly tried = new Set<string>();
  readonly startedAt = Date.now();
  /** The configuration being served: the last one that loaded (start, or the last good reload). */
  private config: GatehouseConfig;
  /** Held so a reload can change naming and the default timeout in place. */
  private readonly naming: CatalogOptions;
  private readonly routerDeps: RouterDeps;
  private readonly reloader?: ConfigReloader;
  /** OpenTelemetry traces; the SDK is loaded only while tracing is on. */
  private readonly tracing: GatewayTracing;
  /** Virtual servers and roles of the configuration being served (issue 11); a reload swaps it. */
  private access: AccessPolicy;
  /** Finished calls by outcome, for /admin/status (issue 13). */
  private readonly calls: CallTally;

  constructor(private readonly opts: GatewayOptions) {
    this.bus = opts.bus ?? new EventBus();
    this.eventStream = new AdminEventStream(this.bus, { startedAt: this.startedAt });
    this.config = opts.config;
    const gw = this.config.gateway ?? {};
    this.sessions = new SessionRegistry(this.bus, gw.sessions ?? {});
    this.calls = new CallTally(this.bus);
    // However a session ends (deleted, expired, evicted, gone), its per-session backend children go with it.
    this.sessions.onEnded = (s) => {
      if (s.transport === 'stateless') return;
      for (const u of this.upstreams) void u.releaseSession?.(s.id)?.catch(() => undefined);
    };
    this.naming = {
      mode: opts.prefixMode ?? gw.prefixMode ?? DEFAULTS.prefixMode,
      separator: gw.separator ?? DEFAULTS.separator,
      filters: compileBackendFilters(this.config),
    };
    this.pins = new Pins({ bus: this.bus, ...(opts.stateDir ? { file: join(opts.stateDir, 'pins.json') } : {}) });
    this.naming.gate = (u, tools) => {
      const pin = pinPolicy(this.config.backends[u.name]?.pin, this.config.gateway?.pin);
      return pin ? this.pins.gate(u.name, tools, pin.newTools) : tools;
    };
    this.access = accessPolicy(this.config);
    this.catalog = new Catalog(() => this.upstreams, this.naming);
    // Plans live beside the run state; without a state dir (embedded use) they last as long as the process.
    this.approvals = new Approvals({
      config: gw.approvals,
      bus: this.bus,
      storeFile: storeLocation(gw.approvals?.store, opts.stateDir, opts.baseDir),
      secret: () => clusterSecret(this.config, opts.secrets),
      origin: () => (this.url ? new URL(this.url).origin : undefined),
      secrets: opts.secrets,
      baseDir: opts.baseDir,
    });
    this.rateLimiter = new RateLimiter({ bus: this.bus, secrets: opts.secrets });
    this.metrics = gatewayMetrics({ bus: this.bus, sessions: this.sessions, upstreams: () => this.upstreams, catalog: this.catalog, approvals: this.approvals });
    this.routerDeps = {
      metrics: this.metrics.calls.step,
      approvals: this.approvals,
      rateLimiter: this.rateLimiter,
      catalog: this.catalog,
      upstreams: () => this.upstreams,
      bus: this.bus,
      defaultTimeoutMs: (gw.callTimeout ?? DEFAULTS.callTimeout) * 1000,
      refreshIntervalMs: () => (this.config.gateway?.refreshInterval ?? DEFAULTS.refreshInterval) * 1000,
      serverInfo: { name: 'gatehouse', version: VERSION },
      instructions: 'Gatehouse federates several MCP backends; tool names carry the backend prefix.',
      onSubscribe: (session, uri, _u, on) => {
        const s = this.sessions.get(session);
        if (s && on) s.subscriptions.add(uri);
        else s?.subscriptions.delete(uri);
        this.onSubscription?.(session, uri, on);
      },
      aliases: () => this.aliases,
      track: (p) => this.track(p),
      access: () => this.access,
      tasks: gatewayTasks({ config: () => this.config, secrets: opts.secrets, stateDir: opts.stateDir, upstreams: () => this.upstreams, bus: this.bus, timeoutMs: () => this.routerDeps.defaultTimeoutMs }),
    };
    this.router = new Router(this.routerDeps);
    this.tracing = new GatewayTracing({ bus: this.bus, version: VERSION, install: (t) => this.router.setTracing(t), stdoutIsProtocol: opts.http === false });
    if (opts.configPath) {
      this.reloader = new ConfigReloader({
        path: opts.configPath,
        bus: this.bus,
        apply: (config, trigger) => this.reconcile(config, trigger),
        watch: opts.watchConfig,
      });
    }
  }

  /** Builds the backends (REST support is loaded only when a REST backend is configured). */
  private async createUpstreams(): Promise<void> {
    const backends = Object.entries(this.config.backends);
    const rest = await restSupport(backends);
    for (const [name, bc] of backends) {
      const u = this.createUpstream(name, bc, rest);
      if (u) this.attach(u);
    }
  }

  private attach(u: Upstream): void {
    this.upstreams.push(u);
    wireUpstreamEvents(u, this.bus, {
      state: (up, state) => {
        if (state !== 'starting' && state !== 'stopped') this.tried.add(up.name);
      },
      rebuild: () => this.queueRebuild(),
      resourceUpdated: (uri, sessionKey) => {
        this.http?.notifyResourceUpdated(uri, sessionKey);
        this.onResourceUpdated?.(uri, sessionKey);
      },
    });
  }

  private createUpstream(name: string, bc: BackendConfig, rest?: RestSupport): Upstream | undefined {
    return createUpstream(name, bc, this.config, { bus: this.bus, secrets: this.opts.secrets, baseDir: this.opts.baseDir, extraHeaders: this.opts.extraHeaders, custom: this.opts.upstreamFactory, backoff: this.opts.backoff }, rest);
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
      rebuildAndAnnounce(this.catalog, this.bus, (u) => this.approvals.policy(u), (kind) => {
        this.http?.notifyListChanged(kind);
        this.onListChanged?.(kind);
      });
    });
  }

  /** Extra list_changed sink (the stdio inbound registers here). */
  onListChanged?: (kind: 'tools' | 'resources' | 'prompts') => void;
  /** Extra resource-update sink and subscription tracker (the stdio inbound registers here). */
  onResourceUpdated?: (uri: string, sessionKey?: string) => void;
  onSubscription?: (sessionKey: string, uri: string, subscribed: boolean) => void;

  async start(): Promise<void> {
    const gw = this.config.gateway ?? {};
    // A Redis reference that does not resolve fails the start before anything is opened.
    this.rateLimiter.apply(await this.rateLimiter.prepare(this.config));
    // Watch from the start, so a write while backends come up is not missed (it applies once they are up).
    await this.reloader?.start(this.config);
    await this.createUpstreams();
    // Backends start first, in parallel, each failing in isolation (retried on its own): a child's own
    // start is most of time-to-ready, and tracing, metrics (prom-client), aliases and the listener
    // come up meanwhile. No client can call before the listener, so the first call is still traced
    // and counted; metrics read the backends' states when they come up (a restart still counts).
    const started = Promise.all(this.upstreams.map((u) => u.start()));
    started.catch(() => undefined);
    try {
      // Before any client can call, so the first call is traced too.
      await this.tracing.apply(gw.tracing);
      await this.metrics.configure(this.metricsConfig(gw));
      if (gw.aliases) this.aliases = await AliasTable.load(gw.aliases, this.opts.baseDir ?? process.cwd());
      if (this.opts.http !== false) await this.listen(gw);
      if (gw.cluster?.redis) {
        const relist = async (b: string) => this.upstreams.find((u) => u.name === b && u.state === 'ready')?.refresh();
        const joined = { tokens: this.opts.clientTokens, aliases: () => this.aliases, refresh: relist, backends: () => this.upstreams.map((u) => u.name), router: this.router };
        this.cluster = await (await import('./cluster/attach.js')).attachCluster({ config: this.config, secrets: this.opts.secrets, events: this.bus, where: this.url, ...(this.opts.configPath ? { reload: () => this.reload('api') } : {}), ...joined });
        this.http?.joinCluster(this.cluster?.sessions);
      }
    } catch (e) {
      // A failed start leaves no backend child behind (a connect under way closes once it is done).
      await Promise.allSettled(this.upstreams.map((u) => u.stop()));
      await started.catch(() => undefined);
      await releaseEarly();
      throw e;
    }
    await started;
    // Every backend has had its first connect: children `serve` spawned early that none took are stopped.
    void releaseEarly();
    this.reloader?.open();
  }

  private async listen(gw: NonNullable<GatehouseConfig['gateway']>): Promise<void> {
    this.http = new HttpApp({
      host: this.opts.host ?? gw.host ?? DEFAULTS.host,
      port: this.opts.port ?? gw.port ?? DEFAULTS.port,
      router: this.router,
      bus: this.bus,
      sessions: this.sessions,
      limits: gw.inbound,
      allowedHosts: gw.allowedHosts,
      allowedOrigins: gw.allowedOrigins,
      readiness: () => this.readiness(),
      status: () => this.status(),
      refresh: (b) => this.refresh(b),
      aliases: () => ({ aliases: this.aliases?.report() ?? [] }),
      ...(this.opts.configPath ? { reload: () => this.reload('admin') } : {}),
      adminToken: this.adminToken,
      adminRoutes: async (req, res, path, url, caller) =>
        this.eventStream.handle(req, res, path) || (await handleApprovalRoutes(this.approvals, req, res, path, url, caller)) || handlePinRoutes({ pins: this.pins, rebuild: () => this.queueRebuild() }, req, res, path, url, caller),
      remoteAdmin: () => this.config.gateway?.admin?.remote,
      approvalPages: async (req, res, path, url) => (await import('./approvals/web/routes.js')).handleApprovalPage(this.pageDeps(), req, res, path, url),
      metrics: () => this.metrics.scrape(),
      authenticate: this.opts.authenticate,
      wellKnown: this.opts.wellKnown,
      hasServer: (name) => this.access.hasServer(name),
      ...(this.opts.fastPath !== undefined ? { fastPath: this.opts.fastPath } : {}),
    });
    const where = await this.http.listen();
    this.url = where.url;
    this.bus.emit('gateway.listening', { url: where.url, host: where.host, port: where.port, transports: ['streamable-http', 'sse'] });
    if (this.opts.stateDir) await this.writeState();
  }

  /** What the approval page needs (read per request, so a reload's approvals settings apply). */
  private pageDeps(): import('./approvals/web/routes.js').ApprovalPageDeps {
    return {
      approvals: this.approvals,
      bus: this.bus,
      authMode: this.opts.authMode ?? 'none',
      authenticate: this.opts.authenticate,
      jwt: () => this.config.gateway?.auth?.jwt,
      resolveSecret: (ref) => resolveValue(ref, { store: this.opts.secrets }),
    };
  }

  /**
   * `serve --stdio` is one client's private process, and every stdio client starts one: none serves
   * metrics (they would all contend for one gateway.metrics.listen port).
   */
  private metricsConfig(gw: { metrics?: MetricsConfig }): MetricsConfig | undefined {
    return this.opts.http === false ? { enabled: false } : gw.metrics;
  }

  /** Re-reads the config file and applies it (SIGHUP, `gatehouse config reload`). */
  async reload(trigger: ReloadTrigger = 'api'): Promise<AdminReloadResult> {
    if (!this.reloader) throw new Error('This gateway serves no config file (start it with configPath).');
    return this.reloader.reload(trigger);
  }

  /** Whether the file on disk is what is being served (readyz, status). */
  get configHealth(): ConfigHealth {
    return this.reloader?.health ?? { ok: true };
  }

  /**
   * Moves the running gateway to `next` with the fewest changes: added backends start, removed ones
   * finish their in-flight calls (bounded) and stop, changed ones restart, unchanged ones are not
   * touched. Naming, aliases, the default timeout and the refresh interval apply live; settings fixed
   * at start (host, port, …) are reported as needing a restart. Clients get list_changed for what
   * the catalog gained or lost; sessions stay open.
   */
  async reconcile(next: GatehouseConfig, trigger: ReloadTrigger = 'api'): Promise<ReloadSummary> {
    if (this.stopped) throw new Error('The gateway is stopping; the configuration was not applied.');
    const plan = planReconcile(this.config, next);
    const gw = next.gateway ?? {};
    // Everything that can fail is done before anything changes, so a failed reload changes nothing.
    const aliases = plan.live.includes('aliases') ? (gw.aliases ? await AliasTable.load(gw.aliases, this.opts.baseDir ?? process.cwd()) : undefined) : this.aliases;
    const rest = await restSupport([...plan.start, ...plan.restart]);
    this.rateLimiter.apply(await this.rateLimiter.prepare(next));
    if (plan.live.includes('metrics')) await this.metrics.configure(this.metricsConfig(gw));
    const listedBefore = this.aliases?.listAliases ?? false;
    this.config = next;
    this.naming.mode = this.opts.prefixMode ?? gw.prefixMode ?? DEFAULTS.prefixMode;
    this.naming.separator = gw.separator ?? DEFAULTS.separator;
    this.routerDeps.defaultTimeoutMs = (gw.callTimeout ?? DEFAULTS.callTimeout) * 1000;
    this.aliases = aliases;
    this.naming.filters = compileBackendFilters(next);
    this.access = accessPolicy(next);
    // New bounds hold for the next admission and expiry sweep; open sessions stay open.
    if (plan.live.includes('sessions')) this.sessions.configure(gw.sessions ?? {});
    if (plan.live.includes('tracing')) await this.tracing.apply(gw.tracing);
    if (plan.live.includes('approvals')) this.approvals.configure(gw.approvals);
    if (plan.live.includes('refreshInterval')) {
      for (const u of this.upstreams) if (u instanceof McpUpstream) u.setRefreshInterval((gw.refreshInterval ?? DEFAULTS.refreshInterval) * 1000);
    }
    const arriving = await applyBackendChanges(plan, {
      upstreams: this.upstreams,
      create: (name, bc) => this.createUpstream(name, bc, rest),
      attach: (u) => this.attach(u),
      forget: (name) => {
        this.tried.delete(name);
        this.pins.release(name);
      },
      rebuild: () => this.queueRebuild(),
      drainMs: this.opts.reloadDrainMs ?? 10_000,
      order: Object.keys(next.backends),
    });
    this.queueRebuild();
    // Listed aliases are part of tools/list but not of the catalog, so no catalog diff announces them.
    if (plan.live.includes('aliases') && (listedBefore || aliases?.listAliases)) {
      this.http?.notifyListChanged('tools');
      this.onListChanged?.('tools');
    }
    // A new server or role reshapes views without touching the catalog: every list may have changed.
    if (VIEW_SETTINGS.some((k) => plan.live.includes(k))) {
      for (const kind of ['tools', 'resources', 'prompts'] as const) {
        this.http?.notifyListChanged(kind);
        this.onListChanged?.(kind);
      }
    }
    await Promise.all(arriving.map((u) => u.start()));
    const summary = summarize(plan);
    this.bus.emit('config.reloaded', { source: this.opts.configPath ?? '(api)', trigger, ...summary });
    if (summary.restartNeeded.length) this.bus.emit('config.restart_needed', { source: this.opts.configPath ?? '(api)', settings: summary.restartNeeded });
    return summary;
  }

  /** One record per process (run/gateway-<pid>.json), so gateways sharing a config dir keep their own. */
  private async writeState(): Promise<void> {
    this.statePath = await writeRunState(this.opts.stateDir!, {
      url: this.url!,
      adminUrl: this.url!.replace(/\/mcp$/, '/admin'),
      adminToken: this.adminToken,
      pid: process.pid,
      startedAt: new Date(this.startedAt).toISOString(),
    });
  }

  /** What readiness, status and refresh read (gateway-status.ts). */
  private view(): GatewayView {
    return { access: this.access, upstreams: this.upstreams, catalog: this.catalog, sessions: this.sessions, tried: this.tried, url: this.url, startedAt: this.startedAt, inFlight: this.inFlight.size, config: this.configHealth, policy: (u) => this.approvals.policy(u), calls: this.calls, defaultTimeoutMs: this.routerDeps.defaultTimeoutMs };
  }

  readiness(): ReturnType<typeof readiness> {
    return readiness(this.view());
  }

  status(): AdminStatus {
    return status(this.view());
  }

  refresh(backend?: string): Promise<AdminRefreshResult> {
    return refresh(this.view(), backend);
  }

  /** Drains in-flight calls (up to drainMs), then stops backends and listeners. */
  async stop(reason = 'stop', drainMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const early = releaseEarly();
    this.reloader?.close();
    this.bus.emit('gateway.stopping', { reason, inFlight: this.inFlight.size });
    const deadline = Date.now() + drainMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    }
    // The drain is over: every call still unanswered gets a final "gateway shutting down" error
    // before the backends go (their stop would otherwise answer with a backend error). Only when a
    // call outlasted the drain, and after one turn of the loop, so results that just settled are
    // written first.
    if (this.inFlight.size > 0) {
      await new Promise((r) => setImmediate(r));
      await this.sessions.failPending();
    }
    this.router.dispose();
    // Backends first: a call still in flight past the deadline then fails with a clear error, which
    // the HTTP side writes before it closes (closing first would cut the client off mid-response).
    await Promise.all(this.upstreams.map((u) => u.stop()));
    await early;
    this.eventStream.close();
    await this.http?.close();
    this.sessions.closeAll('shutdown');
    this.sessions.dispose();
    this.calls.dispose();
    await this.cluster?.close();
    await this.approvals.close();
    await this.rateLimiter.close();
    await this.pins.flush();
    // After the last calls ended, so their spans are in the final flush.
    await this.tracing.stop();
    await this.metrics.close();
    if (this.statePath) await rm(this.statePath, { force: true });
    this.bus.emit('gateway.stopped', {});
    this.eventStream.dispose();
  }

  /** The admin API's address and token, for an in-process dashboard that approves through it. */
  get admin(): { url: string; adminUrl: string; token: string } | undefined {
    return this.url ? { url: this.url, adminUrl: this.url.replace(/\/mcp$/, '/admin'), token: this.adminToken } : undefined;
  }
}
