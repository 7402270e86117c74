import type { Client } from '@modelcontextprotocol/client';
import type { BackendState } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import { redactString } from '../../core/log/redact.js';
import { McpConnection, type ConnectionOwner } from './connection.js';
import { describeBackendFailure } from './diagnose.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './framing.js';
import { guardBackend, inBackendScope } from './guard.js';
import type { BackendFetch } from './http-fetch.js';
import { UpstreamListeners } from './listeners.js';
import { LogLimiter } from './log-limiter.js';
import { refreshMs, type CacheHint, type ListHints } from '../cache-hints.js';
import { callParamHeaders } from './param-headers.js';
import { createMcpTransport, type McpBackendConfig, type McpTransport, type McpUpstreamDeps, type TransportDeps } from './transports.js';
import type { ListKind } from './validate.js';
import { ErrorCodes, UpstreamError, type CallContext, type Upstream, type UpstreamCatalog, type UpstreamEvent, type UpstreamInfo } from './types.js';

export type { McpUpstreamDeps } from './transports.js';

const EMPTY_CATALOG: UpstreamCatalog = { tools: [], resources: [], resourceTemplates: [], prompts: [] };

/**
 * One MCP backend's lifecycle: a stdio child or a remote server over streamable HTTP or SSE,
 * supervised with backoff. By default one connection is shared by every client session (the SDK
 * client gives each forwarded request its own id and progress token, which is the id rewriting).
 * With `isolation: per-session` each inbound session gets its own connection, created on first use.
 * Transport, era and relay live in connection.ts.
 */
export class McpUpstream implements Upstream, ConnectionOwner {
  readonly name: string;
  readonly config: McpBackendConfig;
  private readonly deps: Required<Omit<McpUpstreamDeps, 'resolveEnv' | 'resolveHeaders'>> & Pick<McpUpstreamDeps, 'resolveEnv' | 'resolveHeaders'>;
  private _state: BackendState = 'stopped';
  private _lastError?: string;
  private _summary?: string;
  private _info: UpstreamInfo = {};
  private _catalog: UpstreamCatalog = EMPTY_CATALOG;
  private _listHints: Partial<Record<ListKind, Partial<CacheHint>>> = {};
  private shared?: McpConnection;
  private readonly sessions = new Map<string, Promise<McpConnection>>();
  private readonly events = new UpstreamListeners();
  private restartTimer?: NodeJS.Timeout;
  private refreshTimer?: NodeJS.Timeout;
  private attempts = 0;
  private _stopping = false;
  private startedOnce = false;
  private refreshing?: Promise<void>;
  private unguard?: () => void;
  private readonly stderrLimit: LogLimiter;
  private readonly logLimit: LogLimiter;
  /** Why items were dropped at the last list, per kind (status detail and `backends test`). */
  readonly invalid: Partial<Record<ListKind | 'result', string[]>> = {};
  /** Milliseconds until the next restart attempt, while failed. */
  _retryInMs?: number;

  constructor(name: string, config: McpBackendConfig, deps: McpUpstreamDeps = {}) {
    this.name = name;
    this.config = config;
    this.deps = {
      defaultTimeoutMs: 60_000,
      refreshIntervalMs: 300_000,
      connectTimeoutMs: 30_000,
      backoff: { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 },
      logLimit: { windowMs: 10_000, burst: 100 },
      ...deps,
    };
    const limiter = (source: 'stderr' | 'log') =>
      new LogLimiter({ ...this.deps.logLimit, onSuppressed: (count, windowMs, totalDropped) => this.emit({ type: 'suppressed', source, count, windowMs, totalDropped }) });
    this.stderrLimit = limiter('stderr');
    this.logLimit = limiter('log');
  }

  get state(): BackendState {
    return this._state;
  }
  /** Redacted: it may quote a backend's stderr, which may quote a secret. */
  get lastError(): string | undefined {
    return this._lastError === undefined ? undefined : redactString(this._lastError);
  }
  /** One short sentence without stderr, for unauthenticated readiness. */
  get summary(): string | undefined {
    return this._summary === undefined ? undefined : redactString(this._summary);
  }
  get info(): UpstreamInfo {
    return this._info;
  }
  get listHints(): ListHints {
    return this._listHints;
  }
  get isolation(): 'shared' | 'per-session' {
    return this.config.isolation ?? 'shared';
  }
  get stopping(): boolean {
    return this._stopping;
  }
  get maxMessageBytes(): number {
    return (this.config.type === 'stdio' ? this.config.maxMessageBytes : undefined) ?? DEFAULT_MAX_MESSAGE_BYTES;
  }
  /** Messages the rate limit dropped (stderr and log), since start. */
  get droppedLogLines(): number {
    return this.stderrLimit.dropped + this.logLimit.dropped;
  }

  catalog(): UpstreamCatalog {
    return this._state === 'ready' ? this._catalog : EMPTY_CATALOG;
  }

  on(listener: (e: UpstreamEvent) => void): () => void {
    return this.events.on(listener);
  }

  private emit(e: UpstreamEvent): void {
    this.events.emit(e);
  }

  private setState(state: BackendState, failure?: { reason: string; summary: string }, retryInMs?: number): void {
    this._state = state;
    if (failure) {
      this._lastError = failure.reason;
      this._summary = failure.summary;
    }
    if (state === 'ready') this._lastError = this._summary = undefined;
    this.emit({ type: 'state', state, reason: failure ? this.lastError : undefined, ...(retryInMs !== undefined ? { retryInMs } : {}) });
  }

  async start(): Promise<void> {
    this._stopping = false;
    if (this.config.disabled) {
      this.setState('disabled');
      return;
    }
    await this.connectShared();
  }

  private async connectShared(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.setState('starting');
    const conn = new McpConnection(this, undefined);
    const startedAt = Date.now();
    this.unguard ??= guardBackend(this.name, (e) => this.onEscaped(e));
    try {
      await inBackendScope(this.name, () => conn.open());
      if (this._stopping) {
        await conn.close();
        return;
      }
      this.shared = conn;
      this._info = conn.info;
      this._catalog = await conn.listAll(this.deps.connectTimeoutMs);
      this.startedOnce = true;
      this.setState('ready');
      this.scheduleRefresh();
      conn.onClosed = (why) => this.onSharedClosed(conn, why, startedAt);
    } catch (e) {
      await conn.close().catch(() => undefined);
      if (this.shared === conn) this.shared = undefined;
      // The backend may have been upgraded or replaced: probe its era again next time.
      this.eraVerdict = undefined;
      if (this._stopping) return;
      this.fail({ reason: this.describeFailure(e, conn), summary: this.describeFailure(e) }, startedAt);
    }
  }

  private onSharedClosed(conn: McpConnection, why: string, startedAt: number): void {
    if (this.shared !== conn) return;
    this.shared = undefined;
    clearTimeout(this.refreshTimer);
    if (this._stopping) return;
    const tail = conn.stderrTail();
    this.fail({ reason: `${why}${tail ? `; stderr: ${tail}` : ''}`, summary: why }, startedAt);
  }

  /** One `failed` state per failure, carrying when the next attempt is. */
  private fail(failure: { reason: string; summary: string }, startedAt: number): void {
    const { initialMs, maxMs, resetAfterMs } = this.deps.backoff;
    if (Date.now() - startedAt >= resetAfterMs) this.attempts = 0;
    const delay = Math.min(maxMs, initialMs * 2 ** this.attempts);
    this.attempts++;
    this._retryInMs = delay;
    this.setState('failed', failure, delay);
    this.restartTimer = setTimeout(() => {
      this._retryInMs = undefined;
      void this.connectShared();
    }, delay);
    this.restartTimer.unref();
  }

  /** The gateway-wide re-list interval changed on reload; a backend with its own keeps it. */
  setRefreshInterval(ms: number): void {
    this.deps.refreshIntervalMs = ms;
    if (this.shared && !this.stopping) this.scheduleRefresh();
  }

  /** The next re-list (cache-hints.ts refreshMs: the configured interval, or sooner when the backend's list ttlMs says so). */
  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const interval = refreshMs(this.config.refreshInterval, this.deps.refreshIntervalMs, this._info.capabilities, this._listHints);
    if (!interval) return;
    this.refreshTimer = setTimeout(() => void this.refresh().then(() => this.shared && !this._stopping && this.scheduleRefresh()), interval);
    this.refreshTimer.unref();
  }

  /** A list walk's cache hint; a changed ttl re-plans the next re-list. */
  onListHint(kind: ListKind, hint: Partial<CacheHint> | undefined): void {
    const before = this._listHints[kind]?.ttlMs;
    this._listHints = { ...this._listHints, [kind]: hint };
    if (before !== hint?.ttlMs && this.shared && this._state === 'ready' && !this._stopping) this.scheduleRefresh();
  }

  async refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const conn = this.shared;
    if (!conn) {
      if (this._state === 'failed' && !this._stopping) {
        // Asked to refresh while down: try now rather than wait for the backoff.
        clearTimeout(this.restartTimer);
        await this.connectShared();
      }
      return;
    }
    this.refreshing = (async () => {
      try {
        this._catalog = await conn.listAll(this.deps.connectTimeoutMs);
        this.emit({ type: 'list_changed', kind: 'tools' });
        this.emit({ type: 'list_changed', kind: 'resources' });
        this.emit({ type: 'list_changed', kind: 'prompts' });
      } catch (e) {
        const lost = conn.connectionLost(e);
        if (lost) conn.markLost(lost);
        else this.onWarning(`refresh failed: ${errorMessage(e)}`);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** Called by a connection when the backend says a list changed. */
  async onListChanged(conn: McpConnection, kind: 'tools' | 'resources' | 'prompts'): Promise<void> {
    // Before the first full list completes, that list will include the change.
    if (conn !== this.shared) return;
    try {
      if (kind === 'tools') {
        const tools = await conn.list('tools');
        this._catalog = { ...this._catalog, tools };
      } else if (kind === 'prompts') {
        const prompts = await conn.list('prompts');
        this._catalog = { ...this._catalog, prompts };
      } else {
        const [resources, resourceTemplates] = await Promise.all([conn.list('resources'), conn.list('resourceTemplates')]);
        this._catalog = { ...this._catalog, resources, resourceTemplates };
      }
      this.emit({ type: 'list_changed', kind });
    } catch (e) {
      this.onWarning(`re-list after list_changed failed: ${errorMessage(e)}`);
    }
  }

  onResourceUpdated(conn: McpConnection, uri: string): void {
    this.emit({ type: 'resource_updated', uri, sessionKey: conn.sessionKey });
  }

  onStderr(line: string): void {
    if (this.stderrLimit.allow()) this.emit({ type: 'stderr', line });
  }

  onUnattributed(method: string, reason: string, message: string): void {
    if (method !== 'notifications/message' || this.logLimit.allow()) this.emit({ type: 'unattributed', method, reason, message });
  }

  /** An exception escaped while handling this backend's output: its connection is treated as lost. */
  onEscaped(e: unknown): void {
    const why = `the gateway failed while handling this backend's output (${errorMessage(e).slice(0, 200)})`;
    this.onWarning(why);
    if (this.shared) this.shared.markLost(why);
  }

  onWarning(message: string): void {
    this.emit({ type: 'warning', message });
  }

  onInvalid(kind: ListKind | 'result', reasons: string[]): void {
    if (kind !== 'result') this.invalid[kind] = reasons.slice(0, 50);
    this.emit({ type: 'invalid', kind, dropped: reasons.length, reasons: reasons.slice(0, 20) });
  }

  private async connectionFor(sessionKey: string): Promise<McpConnection> {
    if (this.isolation === 'shared') {
      if (!this.shared || this._state !== 'ready') throw this.unavailable();
      return this.shared;
    }
    if (this._state !== 'ready') throw this.unavailable();
    let p = this.sessions.get(sessionKey);
    if (!p) {
      const conn = new McpConnection(this, sessionKey);
      p = inBackendScope(this.name, () => conn.open()).then(
        () => {
          conn.onClosed = () => this.sessions.delete(sessionKey);
          return conn;
        },
        (e) => {
          this.sessions.delete(sessionKey);
          throw new UpstreamError(`Backend "${this.name}" could not start a session connection: ${this.describeFailure(e, conn)}`, ErrorCodes.BackendUnavailable, this.name);
        },
      );
      this.sessions.set(sessionKey, p);
    }
    return p;
  }

  private unavailable(): UpstreamError {
    if (this._stopping) return new UpstreamError(`The gateway is shutting down; backend "${this.name}" takes no new calls.`, ErrorCodes.BackendUnavailable, this.name);
    const why = this._state === 'starting' ? 'is still starting' : this._state === 'disabled' ? 'is disabled' : `is unavailable (${this._state}${this._summary ? `: ${this._summary}` : ''})`;
    return new UpstreamError(`Backend "${this.name}" ${why}.`, ErrorCodes.BackendUnavailable, this.name);
  }

  async request(method: string, params: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    const conn = await this.connectionFor(ctx.sessionKey);
    // Mcp-Param-* (2026-07-28 HTTP backends) from this backend's own schema of the tool.
    const headers = method === 'tools/call' ? callParamHeaders(this._catalog.tools, params, ctx.paramHeaders) : undefined;
    return conn.forward(method, params, ctx, headers);
  }

  async subscribe(uri: string, sessionKey: string): Promise<void> {
    const conn = await this.connectionFor(sessionKey);
    await conn.subscribe(uri);
  }

  async unsubscribe(uri: string, sessionKey: string): Promise<void> {
    const conn = await this.connectionFor(sessionKey);
    await conn.unsubscribe(uri);
  }

  async releaseSession(sessionKey: string): Promise<void> {
    const p = this.sessions.get(sessionKey);
    if (!p) return;
    this.sessions.delete(sessionKey);
    const conn = await p.catch(() => undefined);
    await conn?.close();
  }

  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    this._stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.refreshTimer);
    const conns: McpConnection[] = [];
    if (this.shared) conns.push(this.shared);
    for (const p of this.sessions.values()) {
      const c = await p.catch(() => undefined);
      if (c) conns.push(c);
    }
    this.sessions.clear();
    const drainMs = opts.drainMs ?? 0;
    if (drainMs > 0) {
      const deadline = Date.now() + drainMs;
      while (Date.now() < deadline && conns.some((c) => c.inFlight.size > 0)) {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    this.shared = undefined;
    // The SDK's stdio close ends stdin, then sends SIGTERM, then SIGKILL to a child that ignores both.
    await Promise.all(conns.map((c) => c.close()));
    await this.httpFetch?.close().catch(() => undefined);
    this.httpFetch = undefined;
    this.stderrLimit.flush();
    this.logLimit.flush();
    this.unguard?.();
    this.unguard = undefined;
    this.setState('stopped');
  }

  /** The era this backend answered with, reused by later connects while it keeps working. */
  eraVerdict?: { kind: 'legacy' } | { kind: 'modern'; discover: unknown };

  rememberEra(client: Client): void {
    if ((this.config.protocol ?? 'auto') !== 'auto') return;
    const discover = client.getDiscoverResult();
    this.eraVerdict = client.getProtocolEra() === 'modern' && discover ? { kind: 'modern', discover } : { kind: 'legacy' };
  }

  /** One keep-alive pool per HTTP backend, shared by its connections. */
  private httpFetch?: BackendFetch;

  createTransport(kind: 'streamable-http' | 'sse' | undefined, hooks: Pick<TransportDeps, 'onSseEnded'> = {}): Promise<McpTransport> {
    // undici is loaded only for gateways that have HTTP backends.
    const httpFetch = async () => (this.httpFetch ??= (await import('./http-fetch.js')).createBackendFetch());
    return createMcpTransport(this.config, { resolveEnv: this.deps.resolveEnv, resolveHeaders: this.deps.resolveHeaders, httpFetch, ...hooks }, kind);
  }

  /** A failure as one sentence (diagnose.ts describeBackendFailure); with a connection, its stderr tail. */
  describeFailure(e: unknown, conn?: McpConnection): string {
    return describeBackendFailure(this.name, this.config, e, conn?.stderrTail());
  }

  get startedBefore(): boolean {
    return this.startedOnce;
  }
}

export { isMcpBackend } from './transports.js';
