import { Client, LOG_LEVEL_META_KEY, ProtocolError, SdkError, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { McpSubscription } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { BackendState } from '../../core/events.js';
import type { BackendConfig, HttpBackendConfig, StdioBackendConfig } from '../../core/config/schema.js';
import { errorMessage } from '../../core/errors.js';
import { diagnoseError } from './diagnose.js';
import type { BackendFetch } from './http-fetch.js';
import { passthroughSchema } from './passthrough.js';
import { UpstreamListeners } from './listeners.js';
import {
  ErrorCodes,
  UpstreamError,
  type CallContext,
  type Upstream,
  type UpstreamCatalog,
  type UpstreamEvent,
  type UpstreamInfo,
} from './types.js';

export const GATEWAY_CLIENT_INFO = { name: 'gatehouse', version: '0.1.0' };

export interface McpUpstreamDeps {
  /** Resolves env values (secret/env references) for a stdio child. */
  resolveEnv?: (env: Record<string, string> | undefined) => Promise<Record<string, string>>;
  /** Resolves outbound headers (references, Cloudflare Access token) for an HTTP backend. */
  resolveHeaders?: (config: HttpBackendConfig) => Promise<Record<string, string>>;
  /** Default per-call timeout when the backend sets none. */
  defaultTimeoutMs?: number;
  /** Re-list interval for backends that do not announce list changes; 0 disables. */
  refreshIntervalMs?: number;
  /** How long connect + first list may take. */
  connectTimeoutMs?: number;
  /** Backoff for restarts and reconnects. */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
}

const EMPTY_CATALOG: UpstreamCatalog = { tools: [], resources: [], resourceTemplates: [], prompts: [] };
const STDERR_TAIL_LINES = 20;

type McpBackendConfig = StdioBackendConfig | HttpBackendConfig;

/**
 * One MCP backend: a stdio child or a remote server over streamable HTTP or SSE. By default one
 * connection is shared by every client session (the SDK client gives each forwarded request its own
 * id and progress token, which is the id rewriting). With `isolation: per-session` each inbound
 * session gets its own connection, created on first use.
 */
export class McpUpstream implements Upstream {
  readonly name: string;
  readonly config: McpBackendConfig;
  private readonly deps: Required<Omit<McpUpstreamDeps, 'resolveEnv' | 'resolveHeaders'>> & Pick<McpUpstreamDeps, 'resolveEnv' | 'resolveHeaders'>;
  private _state: BackendState = 'stopped';
  private _lastError?: string;
  private _info: UpstreamInfo = {};
  private _catalog: UpstreamCatalog = EMPTY_CATALOG;
  private shared?: McpConnection;
  private readonly sessions = new Map<string, Promise<McpConnection>>();
  private readonly events = new UpstreamListeners();
  private restartTimer?: NodeJS.Timeout;
  private refreshTimer?: NodeJS.Timeout;
  private attempts = 0;
  private stopping = false;
  private startedOnce = false;
  private refreshing?: Promise<void>;

  constructor(name: string, config: McpBackendConfig, deps: McpUpstreamDeps = {}) {
    this.name = name;
    this.config = config;
    this.deps = {
      defaultTimeoutMs: 60_000,
      refreshIntervalMs: 300_000,
      connectTimeoutMs: 30_000,
      backoff: { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 },
      ...deps,
    };
  }

  get state(): BackendState {
    return this._state;
  }
  get lastError(): string | undefined {
    return this._lastError;
  }
  get info(): UpstreamInfo {
    return this._info;
  }
  get isolation(): 'shared' | 'per-session' {
    return this.config.isolation ?? 'shared';
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

  private setState(state: BackendState, reason?: string): void {
    this._state = state;
    if (reason !== undefined) this._lastError = reason;
    if (state === 'ready') this._lastError = undefined;
    this.emit({ type: 'state', state, reason });
  }

  async start(): Promise<void> {
    this.stopping = false;
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
    try {
      await conn.open();
      if (this.stopping) {
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
      // The backend may have been upgraded or replaced: probe its era again next time.
      this.eraVerdict = undefined;
      const reason = this.describeFailure(e, conn);
      this.setState('failed', reason);
      this.scheduleRestart(startedAt);
    }
  }

  private onSharedClosed(conn: McpConnection, why: string, startedAt: number): void {
    if (this.shared !== conn) return;
    this.shared = undefined;
    clearTimeout(this.refreshTimer);
    if (this.stopping) return;
    const tail = conn.stderrTail();
    this.setState('failed', `${why}${tail ? `; stderr: ${tail}` : ''}`);
    this.scheduleRestart(startedAt);
  }

  private scheduleRestart(startedAt: number): void {
    if (this.stopping) return;
    const { initialMs, maxMs, resetAfterMs } = this.deps.backoff;
    if (Date.now() - startedAt >= resetAfterMs) this.attempts = 0;
    const delay = Math.min(maxMs, initialMs * 2 ** this.attempts);
    this.attempts++;
    this.emit({ type: 'state', state: 'failed', reason: this._lastError });
    this._retryInMs = delay;
    this.restartTimer = setTimeout(() => {
      this._retryInMs = undefined;
      void this.connectShared();
    }, delay);
    this.restartTimer.unref();
  }

  /** Milliseconds until the next restart attempt, while failed. */
  _retryInMs?: number;

  /** The gateway-wide re-list interval changed on reload; a backend with its own keeps it. */
  setRefreshInterval(ms: number): void {
    this.deps.refreshIntervalMs = ms;
    if (this.shared && !this.stopping) this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const caps = this._info.capabilities as { tools?: { listChanged?: boolean }; prompts?: { listChanged?: boolean }; resources?: { listChanged?: boolean } } | undefined;
    const announces = Boolean(caps?.tools?.listChanged || caps?.prompts?.listChanged || caps?.resources?.listChanged);
    const interval = this.config.refreshInterval !== undefined ? this.config.refreshInterval * 1000 : announces ? 0 : this.deps.refreshIntervalMs;
    if (!interval) return;
    this.refreshTimer = setInterval(() => void this.refresh(), interval);
    this.refreshTimer.unref();
  }

  async refresh(): Promise<void> {
    if (this.refreshing) return this.refreshing;
    const conn = this.shared;
    if (!conn) {
      if (this._state === 'failed' && !this.stopping) {
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
        else this.emit({ type: 'state', state: this._state, reason: `refresh failed: ${errorMessage(e)}` });
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
        const tools = await conn.listTools();
        this._catalog = { ...this._catalog, tools };
      } else if (kind === 'prompts') {
        const prompts = await conn.listPrompts();
        this._catalog = { ...this._catalog, prompts };
      } else {
        const [resources, resourceTemplates] = await Promise.all([conn.listResources(), conn.listResourceTemplates()]);
        this._catalog = { ...this._catalog, resources, resourceTemplates };
      }
      this.emit({ type: 'list_changed', kind });
    } catch (e) {
      this.emit({ type: 'state', state: this._state, reason: `re-list after list_changed failed: ${errorMessage(e)}` });
    }
  }

  onResourceUpdated(conn: McpConnection, uri: string): void {
    this.emit({ type: 'resource_updated', uri, sessionKey: conn.sessionKey });
  }

  onStderr(line: string): void {
    this.emit({ type: 'stderr', line });
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
      p = conn.open().then(
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
    const why = this._state === 'starting' ? 'is still starting' : this._state === 'disabled' ? 'is disabled' : `is unavailable (${this._state}${this._lastError ? `: ${this._lastError}` : ''})`;
    return new UpstreamError(`Backend "${this.name}" ${why}.`, ErrorCodes.BackendUnavailable, this.name);
  }

  async request(method: string, params: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    const conn = await this.connectionFor(ctx.sessionKey);
    return conn.forward(method, params, ctx);
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
    this.stopping = true;
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
    await Promise.all(conns.map((c) => c.close()));
    await this.httpFetch?.close().catch(() => undefined);
    this.httpFetch = undefined;
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

  /** Builds the transport for one connection. */
  async createTransport(kind?: 'streamable-http' | 'sse'): Promise<Transport & { stderr?: NodeJS.ReadableStream | null }> {
    const c = this.config;
    if (c.type === 'stdio') {
      const env = { ...getDefaultEnvironment(), ...(this.deps.resolveEnv ? await this.deps.resolveEnv(c.env) : (c.env ?? {})) };
      return new StdioClientTransport({ command: c.command, args: c.args ?? [], env, cwd: c.cwd, stderr: 'pipe' }) as never;
    }
    const headers = this.deps.resolveHeaders ? await this.deps.resolveHeaders(c) : (c.headers ?? {});
    const url = new URL(c.url);
    // undici is loaded only for gateways that have HTTP backends.
    this.httpFetch ??= (await import('./http-fetch.js')).createBackendFetch();
    const backendFetch = this.httpFetch.fetch;
    if ((kind ?? 'streamable-http') === 'sse') {
      return new SSEClientTransport(url, {
        requestInit: { headers },
        fetch: backendFetch,
        eventSourceInit: {
          // The event stream's GET carries the same headers (Cloudflare Access needs them there too).
          fetch: (input: string | URL | Request, init?: RequestInit) => {
            const h = new Headers(init?.headers);
            for (const [k, v] of Object.entries(headers)) h.set(k, v);
            return backendFetch(input, { ...init, headers: h });
          },
        } as never,
      } as never) as never;
    }
    return new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: backendFetch }) as never;
  }

  describeFailure(e: unknown, conn?: McpConnection): string {
    const target = this.config.type === 'stdio' ? `"${[this.config.command, ...(this.config.args ?? [])].join(' ')}"` : this.config.url;
    const d = diagnoseError(e, target);
    const tail = conn?.stderrTail();
    if (this.config.type === 'stdio' && tail) return `${d.message} The process wrote to stderr: ${tail}`;
    return d.hint ? `${d.message} ${d.hint}` : d.message;
  }

  get startedBefore(): boolean {
    return this.startedOnce;
  }
}

/** One client connection to the backend, with the requests it is currently forwarding. */
export class McpConnection {
  client?: Client;
  transport?: Transport & { stderr?: NodeJS.ReadableStream | null };
  readonly inFlight = new Map<string, CallContext>();
  info: UpstreamInfo = {};
  onClosed?: (why: string) => void;
  private readonly stderrLines: string[] = [];
  private closing = false;
  private listChangedListen?: McpSubscription;
  /** Resource subscriptions on this connection, counted per URI across the sessions sharing it. */
  private readonly resourceSubs = new Map<string, { count: number; listen?: McpSubscription }>();

  constructor(
    private readonly owner: McpUpstream,
    readonly sessionKey: string | undefined,
  ) {}

  stderrTail(): string {
    return this.stderrLines.slice(-5).join(' | ').slice(0, 800);
  }

  async open(): Promise<void> {
    const cfg = this.owner.config;
    const mode = cfg.type === 'http' ? (cfg.transport ?? 'auto') : 'stdio';
    if (mode === 'auto') {
      try {
        await this.openWith('streamable-http');
      } catch (e) {
        // Fall back to SSE only when the server says streamable HTTP is not there (404/405/400 on POST);
        // never hide auth failures, server errors or HTML pages behind a fallback.
        const d = diagnoseError(e, cfg.type === 'http' ? cfg.url : '');
        const status = (e as { status?: number; data?: { status?: number } }).status ?? (e as { data?: { status?: number } }).data?.status;
        if (d.kind === 'not-found' || status === 404 || status === 405) {
          await this.closeTransport();
          await this.openWith('sse');
        } else {
          throw e;
        }
      }
      return;
    }
    await this.openWith(mode === 'stdio' ? undefined : mode);
  }

  private async openWith(kind?: 'streamable-http' | 'sse'): Promise<void> {
    const transport = await this.owner.createTransport(kind);
    this.transport = transport;
    const client = new Client(GATEWAY_CLIENT_INFO, {
      capabilities: {
        sampling: {},
        elicitation: { form: {}, url: {} },
        roots: { listChanged: true },
      },
      versionNegotiation: { mode: negotiationMode(this.owner.config.protocol), probe: { timeoutMs: 5_000 } },
      inputRequired: { autoFulfill: false },
      defaultCacheTtlMs: 0,
    } as never);
    this.client = client;
    this.installHandlers(client);
    const stderr = (transport as { stderr?: NodeJS.ReadableStream | null }).stderr;
    if (stderr) {
      let buf = '';
      stderr.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trimEnd();
          buf = buf.slice(i + 1);
          if (!line) continue;
          this.stderrLines.push(line);
          if (this.stderrLines.length > STDERR_TAIL_LINES) this.stderrLines.shift();
          this.owner.onStderr(line);
        }
      });
    }
    client.onclose = () => {
      if (this.closing) return;
      this.closing = true;
      this.onClosed?.(this.owner.config.type === 'stdio' ? 'the backend process exited' : 'the connection to the backend closed');
    };
    const timeout = Math.max(1_000, (this.owner.config.timeout ?? 30) * 1000);
    // A verdict from an earlier connect skips the era probe (for stdio, an extra spawn) on restarts
    // and per-session connections.
    const prior = this.owner.eraVerdict;
    await client.connect(transport, { timeout, ...(prior ? { prior } : {}) } as never);
    this.owner.rememberEra(client);
    preserveOrder(transport);
    const server = client.getServerVersion();
    if (client.getProtocolEra() === 'modern') await this.listenForListChanges(client);
    this.info = {
      serverName: server?.name,
      serverVersion: server?.version,
      protocolVersion: client.getNegotiatedProtocolVersion(),
      era: client.getProtocolEra(),
      instructions: client.getInstructions?.(),
      capabilities: client.getServerCapabilities() as Record<string, unknown> | undefined,
    };
  }

  private installHandlers(client: Client): void {
    client.setNotificationHandler('notifications/tools/list_changed', () => void this.owner.onListChanged(this, 'tools'));
    client.setNotificationHandler('notifications/prompts/list_changed', () => void this.owner.onListChanged(this, 'prompts'));
    client.setNotificationHandler('notifications/resources/list_changed', () => void this.owner.onListChanged(this, 'resources'));
    client.setNotificationHandler('notifications/resources/updated', (n) => this.owner.onResourceUpdated(this, n.params.uri));
    client.setNotificationHandler('notifications/message', (n) => {
      const call = this.attribute();
      if (call) void call.onNotification?.({ method: 'notifications/message', params: n.params as Record<string, unknown> });
      else this.owner.onStderr(`[unattributed log] ${JSON.stringify(n.params).slice(0, 300)}`);
    });
    for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const) {
      client.setRequestHandler(method, async (req) => {
        const call = this.attribute();
        if (!call) {
          if (method === 'roots/list' && this.inFlight.size === 0) return { roots: [] } as never;
          throw new ProtocolError(
            ErrorCodes.InternalError,
            `Gatehouse cannot tell which client this ${method} request belongs to (${this.inFlight.size} calls in flight on a shared connection). Set "isolation: per-session" on backend "${this.owner.name}".`,
          );
        }
        if (!call.onReverseRequest) throw new ProtocolError(ErrorCodes.MethodNotFound, `The client of this call cannot answer ${method}.`);
        return (await call.onReverseRequest({ method, params: (req as { params?: Record<string, unknown> }).params })) as never;
      });
    }
  }

  /** On the 2026-07-28 era, list changes arrive only on a `subscriptions/listen` stream. */
  private async listenForListChanges(client: Client): Promise<void> {
    const caps = (client.getServerCapabilities() ?? {}) as { tools?: { listChanged?: boolean }; prompts?: { listChanged?: boolean }; resources?: { listChanged?: boolean } };
    const filter = {
      ...(caps.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
    };
    if (!Object.keys(filter).length) return;
    try {
      this.listChangedListen = await client.listen(filter);
    } catch (e) {
      this.owner.onStderr(`[gatehouse] could not listen for list changes (${errorMessage(e)}); falling back to periodic re-listing`);
    }
  }

  async subscribe(uri: string): Promise<void> {
    const client = this.client!;
    const entry = this.resourceSubs.get(uri);
    if (entry) {
      entry.count++;
      return;
    }
    const next: { count: number; listen?: McpSubscription } = { count: 1 };
    this.resourceSubs.set(uri, next);
    try {
      if (client.getProtocolEra() === 'modern') next.listen = await client.listen({ resourceSubscriptions: [uri] });
      else await client.request({ method: 'resources/subscribe', params: { uri } } as never, passthroughSchema);
    } catch (e) {
      this.resourceSubs.delete(uri);
      throw e instanceof ProtocolError ? new UpstreamError(`[${this.owner.name}] ${e.message}`, e.code, this.owner.name) : e;
    }
  }

  async unsubscribe(uri: string): Promise<void> {
    const entry = this.resourceSubs.get(uri);
    if (!entry) return;
    if (--entry.count > 0) return;
    this.resourceSubs.delete(uri);
    if (entry.listen) await entry.listen.close();
    else await this.client!.request({ method: 'resources/unsubscribe', params: { uri } } as never, passthroughSchema);
  }

  /**
   * The call a backend message without a request id belongs to. Only a single in-flight call is
   * unambiguous; with several, we never guess.
   */
  private attribute(): CallContext | undefined {
    if (this.inFlight.size !== 1) return undefined;
    return this.inFlight.values().next().value;
  }

  async forward(method: string, params: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    const client = this.client!;
    const outParams: Record<string, unknown> = { ...params };
    const meta: Record<string, unknown> = { ...(ctx.meta ?? {}) };
    if (ctx.logLevel && this.info.era === 'modern') meta[LOG_LEVEL_META_KEY] = ctx.logLevel;
    if (Object.keys(meta).length) outParams._meta = meta;
    else delete outParams._meta;
    this.inFlight.set(ctx.callId, ctx);
    try {
      return await client.request({ method, params: outParams } as never, passthroughSchema, {
        signal: ctx.signal,
        timeout: ctx.timeoutMs,
        resetTimeoutOnProgress: true,
        onprogress: ctx.onProgress ? (p: { progress: number; total?: number; message?: string }) => void ctx.onProgress!(p) : undefined,
        allowInputRequired: true,
      } as never);
    } catch (e) {
      const lost = this.connectionLost(e);
      if (lost) this.markLost(lost);
      throw this.mapError(e, method, ctx);
    } finally {
      this.inFlight.delete(ctx.callId);
    }
  }

  /**
   * Why an HTTP backend's connection is dead, judging by a failed request: nothing answers at the
   * address any more, or the server no longer knows our 2025 session (it restarted). A stdio
   * connection reports its own end; JSON-RPC errors are the backend's answers, not a dead link.
   */
  connectionLost(e: unknown): string | undefined {
    const cfg = this.owner.config;
    if (cfg.type !== 'http' || this.closing || e instanceof ProtocolError) return undefined;
    const d = diagnoseError(e, cfg.url);
    if (d.kind === 'refused' || d.kind === 'dns') return d.message;
    const status = (e as { status?: unknown }).status;
    const session = (this.transport as { sessionId?: string } | undefined)?.sessionId;
    if (session && (status === 404 || (status === 400 && /session/i.test(errorMessage(e))))) {
      return `${cfg.url} no longer knows the gateway's session (HTTP ${status}); it probably restarted.`;
    }
    return undefined;
  }

  /** Treats the connection as closed: the owner reconnects (shared) or drops it (per-session). */
  markLost(why: string): void {
    if (this.closing) return;
    this.closing = true;
    this.onClosed?.(why);
    void this.close().catch(() => undefined);
  }

  private mapError(e: unknown, method: string, ctx: CallContext): Error {
    const name = this.owner.name;
    if (e instanceof ProtocolError) {
      return new UpstreamError(`[${name}] ${e.message.replace(/^MCP error -?\d+: /, '')}`, e.code, name, e.data);
    }
    if (e instanceof SdkError) {
      const code = String(e.code);
      if (code === 'REQUEST_TIMEOUT') {
        return new UpstreamError(`Backend "${name}" did not answer ${method} within ${Math.round(ctx.timeoutMs / 1000)} s (the timeout resets on progress).`, ErrorCodes.RequestTimeout, name);
      }
      if (code === 'CONNECTION_CLOSED' || code === 'NOT_CONNECTED') {
        return new UpstreamError(`Backend "${name}" closed the connection while handling ${method} (it crashed or was restarted).${this.stderrTail() ? ` stderr: ${this.stderrTail()}` : ''}`, ErrorCodes.BackendUnavailable, name);
      }
    }
    if (ctx.signal.aborted) return new UpstreamError(`Request cancelled.`, ErrorCodes.InternalError, name);
    return new UpstreamError(`[${name}] ${this.owner.describeFailure(e, this)}`, ErrorCodes.InternalError, name);
  }

  async listAll(timeoutMs: number): Promise<UpstreamCatalog> {
    const caps = (this.info.capabilities ?? {}) as Record<string, unknown>;
    const opts = { timeout: timeoutMs };
    const [tools, resources, resourceTemplates, prompts] = await Promise.all([
      caps.tools ? this.listTools(opts) : [],
      caps.resources ? this.listResources(opts) : [],
      caps.resources ? this.listResourceTemplates(opts) : [],
      caps.prompts ? this.listPrompts(opts) : [],
    ]);
    return { tools, resources, resourceTemplates, prompts } as UpstreamCatalog;
  }

  // Each list walks every page; the gateway serves lists from its catalog, so pagination upstream is absorbed here.
  private async listPaged<T>(method: string, key: string, opts?: { timeout?: number }): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const res = await this.client!.request({ method, params: cursor ? { cursor } : {} } as never, passthroughSchema, opts as never);
      const items = (res[key] as T[] | undefined) ?? [];
      out.push(...items);
      cursor = typeof res.nextCursor === 'string' && res.nextCursor ? res.nextCursor : undefined;
      if (!cursor) break;
    }
    return out;
  }

  listTools(opts?: { timeout?: number }) {
    return this.listPaged<UpstreamCatalog['tools'][number]>('tools/list', 'tools', opts);
  }
  listResources(opts?: { timeout?: number }) {
    return this.listPaged<UpstreamCatalog['resources'][number]>('resources/list', 'resources', opts);
  }
  listResourceTemplates(opts?: { timeout?: number }) {
    return this.listPaged<UpstreamCatalog['resourceTemplates'][number]>('resources/templates/list', 'resourceTemplates', opts).catch(() => []);
  }
  listPrompts(opts?: { timeout?: number }) {
    return this.listPaged<UpstreamCatalog['prompts'][number]>('prompts/list', 'prompts', opts);
  }

  private async closeTransport(): Promise<void> {
    this.closing = true;
    try {
      await this.client?.close();
    } catch {
      // already closed
    }
    try {
      await this.transport?.close();
    } catch {
      // already closed
    }
    this.closing = false;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const sub of [this.listChangedListen, ...[...this.resourceSubs.values()].map((e) => e.listen)]) {
      void sub?.close().catch(() => undefined);
    }
    this.resourceSubs.clear();
    await this.closeTransport();
    // closeTransport re-arms `closing` for the SSE fallback path; a closed connection stays closed.
    this.closing = true;
  }
}

/**
 * The SDK dispatches notifications on a microtask but settles responses synchronously, so a
 * progress notification that arrives in the same read as its response would be dropped (its
 * handler is gone by then). Deferring responses by one microtask lets earlier notifications run
 * first, which keeps the backend's order on the relay path.
 */
function preserveOrder(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  transport.onmessage = (message, extra) => {
    if ('id' in message && !('method' in message)) queueMicrotask(() => deliver.call(transport, message, extra));
    else deliver.call(transport, message, extra);
  };
}

function negotiationMode(protocol: 'auto' | 'legacy' | 'modern' | undefined): 'auto' | 'legacy' | { pin: string } {
  if (protocol === 'legacy') return 'legacy';
  if (protocol === 'modern') return { pin: '2026-07-28' };
  return 'auto';
}

export function isMcpBackend(c: BackendConfig): c is McpBackendConfig {
  return c.type === 'stdio' || c.type === 'http';
}
