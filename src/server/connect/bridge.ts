/**
 * `gatehouse connect`: a stdio MCP server that relays every JSON-RPC message, unchanged, to a remote
 * MCP endpoint (streamable HTTP, or legacy SSE when the remote does not speak it) and back. The
 * relay works on messages, not on a Client/Server pair, so both protocol eras pass through as the
 * local client speaks them: the SDK's HTTP transport derives MCP-Protocol-Version and Mcp-Method
 * from a modern request's own _meta, and for 2025 sessions the bridge sets the negotiated version
 * from the initialize result, as the SDK Client would.
 *
 * What the bridge adds:
 *   - headers for every request to the remote (Cloudflare Access service token, or a bearer token),
 *     read again on each reconnect so a rotated token is picked up; they go to the remote's origin only
 *   - reconnects: when a 2025 session is lost (404 for the session, the server restarted, the network
 *     dropped), it opens a new session with the client's original initialize params, replays
 *     notifications/initialized, re-sends what was queued meanwhile and tells the client the lists
 *     may have changed (notifications/tools/list_changed)
 *   - a fatal auth failure (401, 403, a redirect to the Cloudflare Access login) ends the bridge with
 *     one diagnosis instead of retrying
 */
import type { Readable, Writable } from 'node:stream';
import {
  PROTOCOL_VERSION_META_KEY,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type Transport,
} from '@modelcontextprotocol/client';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { BridgeAuthError, describeError, httpStatusOf, isNetworkError, notDelivered, refusal } from './remote-errors.js';

export { BridgeAuthError };

export type BridgeTransportMode = 'auto' | 'streamable-http' | 'sse';

export interface BridgeOptions {
  url: URL;
  /** Headers for every request to the remote; called again for each new connection. */
  headers: () => Promise<Record<string, string>>;
  transport?: BridgeTransportMode;
  stdin?: Readable;
  stdout?: Writable;
  /** Human-readable progress (stderr). Never given a header value. */
  log?: (line: string) => void;
  /** Delay between reconnect attempts: doubles from initialMs up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** How long a request sent while reconnecting waits before it is answered with an error. */
  queueTimeoutMs?: number;
  /** How long an internal re-initialize may take. */
  initTimeoutMs?: number;
}

export interface BridgeHandle {
  /** Resolves when the local client closes stdin; rejects with BridgeAuthError on a fatal auth failure. */
  done: Promise<void>;
  close(): Promise<void>;
}

type Kind = 'streamable-http' | 'sse';
type RequestId = string | number;

interface Remote {
  transport: Transport & { setProtocolVersion?(v: string): void; terminateSession?(): Promise<void>; sessionId?: string };
  kind: Kind;
  retired: boolean;
}

interface PendingRequest {
  id: RequestId;
  method: string;
  modern: boolean;
  abort: AbortController;
}

interface Queued {
  msg: JSONRPCMessage;
  timer?: NodeJS.Timeout;
}

const INTERNAL_PREFIX = 'gatehouse-connect:';
const RELAY_ERROR = -32000;

export function startBridge(opts: BridgeOptions): BridgeHandle {
  const bridge = new Bridge(opts);
  return { done: bridge.start(), close: () => bridge.shutdown() };
}

class Bridge {
  private readonly local: StdioServerTransport;
  private readonly log: (line: string) => void;
  private readonly backoff: { initialMs: number; maxMs: number };
  private remote?: Remote;
  private opening?: Promise<Remote>;
  private kind: Kind;
  private everConnected = false;
  private initParams?: Record<string, unknown>;
  private initRequestId?: RequestId;
  private initializedSeen = false;
  private serverCaps: Record<string, { listChanged?: boolean } | undefined> = {};
  private readonly pending = new Map<string, PendingRequest>();
  private queue: Queued[] = [];
  private reconnecting?: Promise<void>;
  private barrier: Promise<unknown> = Promise.resolve();
  private readonly internal = new Map<string, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private fatal?: BridgeAuthError;
  private closed = false;
  private settle!: { resolve: () => void; reject: (e: Error) => void };

  constructor(private readonly opts: BridgeOptions) {
    this.local = new StdioServerTransport(opts.stdin, opts.stdout);
    this.log = opts.log ?? (() => undefined);
    this.backoff = opts.backoff ?? { initialMs: 250, maxMs: 5_000 };
    this.kind = opts.transport === 'sse' ? 'sse' : 'streamable-http';
  }

  start(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.local.onmessage = (m) => this.onClientMessage(m as JSONRPCMessage);
    this.local.onerror = (e) => this.log(`could not read a message from the client: ${e.message}`);
    this.local.onclose = () => void this.shutdown();
    void this.local.start();
    return done;
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const q of this.queue) clearTimeout(q.timer);
    this.queue = [];
    const remote = this.remote;
    this.remote = undefined;
    if (remote) await this.retire(remote, true);
    await this.local.close().catch(() => undefined);
    if (this.fatal) this.settle.reject(this.fatal);
    else this.settle.resolve();
  }

  // ---- client → remote ------------------------------------------------------------------------

  private onClientMessage(msg: JSONRPCMessage): void {
    if (this.closed || this.fatal) return;
    if (isJSONRPCRequest(msg)) {
      if (msg.method === 'initialize') {
        this.initParams = msg.params as Record<string, unknown>;
        this.initRequestId = msg.id;
      }
      this.pending.set(keyOf(msg.id), { id: msg.id, method: msg.method, modern: isModern(msg), abort: new AbortController() });
    } else if (isJSONRPCNotification(msg)) {
      if (msg.method === 'notifications/initialized') this.initializedSeen = true;
      if (msg.method === 'notifications/cancelled') {
        const target = (msg.params as { requestId?: RequestId } | undefined)?.requestId;
        const p = target !== undefined ? this.pending.get(keyOf(target)) : undefined;
        if (p) this.pending.delete(keyOf(p.id));
        // A 2026-07-28 request is cancelled by dropping its stream, not by a notification.
        if (p?.modern) {
          p.abort.abort();
          return;
        }
      }
    }
    // The handshake is ordered; everything else may overlap (a cancellation must not wait behind the call it cancels).
    const handshake = (isJSONRPCRequest(msg) && msg.method === 'initialize') || (isJSONRPCNotification(msg) && msg.method === 'notifications/initialized');
    const sent = this.barrier.then(() => this.dispatch(msg));
    if (handshake) this.barrier = sent.catch(() => undefined);
  }

  private async dispatch(msg: JSONRPCMessage): Promise<void> {
    if (this.reconnecting) return this.enqueue(msg);
    let remote: Remote;
    try {
      remote = await this.ensureRemote();
    } catch (e) {
      return this.sendFailed(msg, e, undefined);
    }
    const p = isJSONRPCRequest(msg) ? this.pending.get(keyOf(msg.id)) : undefined;
    try {
      await remote.transport.send(msg, p ? { requestSignal: p.abort.signal, onRequestStreamEnd: () => this.streamEnded(p) } : undefined);
    } catch (e) {
      if (p?.abort.signal.aborted) return;
      await this.sendFailed(msg, e, remote);
    }
  }

  private enqueue(msg: JSONRPCMessage): void {
    if (!this.reconnecting) {
      void this.dispatch(msg);
      return;
    }
    const q: Queued = { msg };
    if (isJSONRPCRequest(msg)) {
      q.timer = setTimeout(() => {
        this.queue = this.queue.filter((x) => x !== q);
        this.answerError(msg, `The remote ${this.opts.url.origin} is unreachable (reconnecting); try again shortly.`);
      }, this.opts.queueTimeoutMs ?? 30_000);
      q.timer.unref?.();
    }
    this.queue.push(q);
  }

  private flushQueue(): void {
    const queued = this.queue;
    this.queue = [];
    for (const q of queued) {
      clearTimeout(q.timer);
      void this.dispatch(q.msg);
    }
  }

  private async sendFailed(msg: JSONRPCMessage, e: unknown, remote: Remote | undefined): Promise<void> {
    if (this.fatal || this.closed || e instanceof BridgeAuthError) return;
    const status = httpStatusOf(e);
    // Auto mode: a remote that refuses a streamable HTTP initialize may be a legacy SSE server.
    if (remote && !this.everConnected && this.opts.transport !== 'streamable-http' && remote.kind === 'streamable-http' && isInitialize(msg) && (status === 400 || status === 404 || status === 405)) {
      this.log(`${this.opts.url.href} answered HTTP ${status} to a streamable HTTP initialize; trying the legacy SSE transport.`);
      this.kind = 'sse';
      if (this.remote === remote) this.remote = undefined;
      void this.retire(remote, false);
      return this.dispatch(msg);
    }
    const session = Boolean(this.initParams) && this.everConnected;
    if (remote && session && status === 404) {
      // The session is gone (expired, or the server restarted); the request was not processed.
      this.enqueueDuringReconnect(msg, remote, 'the remote session expired');
      return;
    }
    if (session && (isNetworkError(e) || status === 502 || status === 503 || status === 504)) {
      if (notDelivered(e) || status !== undefined) this.enqueueDuringReconnect(msg, remote, describeError(e));
      else {
        this.answerError(msg, `The connection to ${this.opts.url.origin} was lost while sending this request (${describeError(e)}); it may or may not have run.`);
        this.startReconnect(remote, describeError(e));
      }
      return;
    }
    this.answerError(msg, `Relaying to ${this.opts.url.href} failed: ${describeError(e)}`);
  }

  private enqueueDuringReconnect(msg: JSONRPCMessage, remote: Remote | undefined, why: string): void {
    this.startReconnect(remote, why);
    this.enqueue(msg);
  }

  /** A request's response stream ended without its response (the server went away mid-call). */
  private streamEnded(p: PendingRequest): void {
    if (!this.pending.has(keyOf(p.id)) || this.fatal || this.closed) return;
    this.pending.delete(keyOf(p.id));
    void this.local
      .send({ jsonrpc: '2.0', id: p.id, error: { code: RELAY_ERROR, message: `The remote ${this.opts.url.origin} closed the response stream before answering ${p.method} (connection lost).` } })
      .catch(() => undefined);
  }

  private answerError(msg: JSONRPCMessage, message: string): void {
    if (isJSONRPCRequest(msg)) {
      if (!this.pending.delete(keyOf(msg.id))) return;
      void this.local.send({ jsonrpc: '2.0', id: msg.id, error: { code: RELAY_ERROR, message } }).catch(() => undefined);
    } else {
      this.log(message);
    }
  }

  // ---- remote → client ------------------------------------------------------------------------

  private onRemoteMessage(remote: Remote, msg: JSONRPCMessage): void {
    if (this.closed) return;
    const isResponse = isJSONRPCResultResponse(msg) || isJSONRPCErrorResponse(msg);
    if (isResponse) {
      const id = (msg as { id: RequestId }).id;
      if (typeof id === 'string' && id.startsWith(INTERNAL_PREFIX)) {
        const w = this.internal.get(id);
        this.internal.delete(id);
        if (isJSONRPCResultResponse(msg)) w?.resolve(msg.result as Record<string, unknown>);
        else w?.reject(new Error(`the remote answered ${JSON.stringify((msg as { error?: unknown }).error)}`));
        return;
      }
      if (this.initRequestId !== undefined && id === this.initRequestId) {
        this.initRequestId = undefined;
        if (isJSONRPCResultResponse(msg)) {
          this.applyInitResult(remote, msg.result as Record<string, unknown>);
          this.connected(remote);
        }
      } else if (!this.everConnected) {
        this.connected(remote);
      }
      this.pending.delete(keyOf(id));
    } else if (remote.retired) {
      // Notifications and requests from a session we have left behind mean nothing to the client.
      return;
    }
    void this.local.send(msg).catch(() => undefined);
  }

  private connected(remote: Remote): void {
    if (this.everConnected) return;
    this.everConnected = true;
    this.log(`connected to ${this.opts.url.href} (${remote.kind === 'sse' ? 'legacy SSE' : 'streamable HTTP'}).`);
  }

  private applyInitResult(remote: Remote, result: Record<string, unknown>): void {
    const version = result.protocolVersion;
    if (typeof version === 'string') remote.transport.setProtocolVersion?.(version);
    this.serverCaps = (result.capabilities as Record<string, { listChanged?: boolean }>) ?? {};
  }

  private onRemoteError(remote: Remote, e: Error): void {
    if (this.fatal || this.closed || remote.retired || e instanceof BridgeAuthError) return;
    if (!this.initParams || !this.everConnected) return;
    const status = httpStatusOf(e);
    // The standalone GET stream could not be re-opened: the session is gone or the server is down.
    if (remote.kind === 'streamable-http' && (status === 404 || /Maximum reconnection attempts/i.test(e.message))) {
      this.startReconnect(remote, status === 404 ? 'the remote session expired' : 'the event stream could not be re-opened');
    } else if (remote.kind === 'sse' && (e.name === 'SseError' || isNetworkError(e))) {
      this.startReconnect(remote, `the SSE stream broke (${describeError(e)})`);
    }
  }

  // ---- connections ----------------------------------------------------------------------------

  private ensureRemote(): Promise<Remote> {
    if (this.remote && !this.remote.retired) return Promise.resolve(this.remote);
    this.opening ??= this.open(this.kind).then(
      (r) => {
        this.opening = undefined;
        this.remote = r;
        return r;
      },
      (e) => {
        this.opening = undefined;
        throw e;
      },
    );
    return this.opening;
  }

  private async open(kind: Kind): Promise<Remote> {
    const headers = await this.opts.headers();
    const common = { requestInit: { headers }, fetch: this.fetchFn };
    const transport: Remote['transport'] =
      kind === 'sse'
        ? new SSEClientTransport(this.opts.url, common)
        : new StreamableHTTPClientTransport(this.opts.url, {
            ...common,
            reconnectionOptions: { initialReconnectionDelay: 300, maxReconnectionDelay: 3_000, reconnectionDelayGrowFactor: 2, maxRetries: 2 },
          });
    const remote: Remote = { transport, kind, retired: false };
    transport.onmessage = (m) => this.onRemoteMessage(remote, m as JSONRPCMessage);
    transport.onerror = (e) => this.onRemoteError(remote, e);
    await transport.start();
    return remote;
  }

  private async retire(remote: Remote, terminate: boolean): Promise<void> {
    if (remote.retired) return;
    remote.retired = true;
    if (terminate && remote.kind === 'streamable-http' && remote.transport.sessionId && !this.fatal) {
      // Best effort: let the server free the session now rather than at its timeout.
      await Promise.race([remote.transport.terminateSession?.().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref?.())]);
    }
    await remote.transport.close().catch(() => undefined);
  }

  private startReconnect(from: Remote | undefined, why: string): void {
    if (this.reconnecting || this.fatal || this.closed) return;
    if (from && from !== this.remote) return;
    this.reconnecting = this.reconnectLoop(from, why).finally(() => {
      this.reconnecting = undefined;
      if (!this.fatal && !this.closed) this.flushQueue();
    });
  }

  private async reconnectLoop(from: Remote | undefined, why: string): Promise<void> {
    this.log(`lost the remote session (${why}); reconnecting to ${this.opts.url.href}.`);
    if (from) {
      if (this.remote === from) this.remote = undefined;
      void this.retire(from, false);
    }
    let delay = this.backoff.initialMs;
    for (let attempt = 1; !this.fatal && !this.closed; attempt++) {
      let remote: Remote | undefined;
      try {
        remote = await this.open(this.kind);
        if (this.initParams) {
          const result = await this.internalRequest(remote, 'initialize', this.initParams);
          this.applyInitResult(remote, result);
          if (this.initializedSeen) await remote.transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
        }
        this.remote = remote;
        this.log(`reconnected to ${this.opts.url.href} after ${attempt} attempt${attempt === 1 ? '' : 's'}; asked the client to list tools again.`);
        this.notifyListsChanged();
        return;
      } catch (e) {
        if (remote) void this.retire(remote, false);
        if (this.fatal || this.closed) return;
        if (attempt <= 3 || attempt % 10 === 0) this.log(`reconnect attempt ${attempt} failed: ${describeError(e)}; retrying in ${delay} ms.`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.backoff.maxMs);
      }
    }
  }

  private internalRequest(remote: Remote, method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = `${INTERNAL_PREFIX}${++this.seq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.internal.delete(id);
        reject(new Error(`no answer to ${method} within ${this.opts.initTimeoutMs ?? 15_000} ms`));
      }, this.opts.initTimeoutMs ?? 15_000);
      this.internal.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      remote.transport.send({ jsonrpc: '2.0', id, method, params }).catch((e: Error) => {
        clearTimeout(timer);
        this.internal.delete(id);
        reject(e);
      });
    });
  }

  private notifyListsChanged(): void {
    const kinds = ['tools', ...(['prompts', 'resources'] as const).filter((k) => this.serverCaps[k]?.listChanged)];
    for (const k of kinds) void this.local.send({ jsonrpc: '2.0', method: `notifications/${k}/list_changed` }).catch(() => undefined);
  }

  // ---- auth failures --------------------------------------------------------------------------

  /** Every request to the remote goes through here: a refusal of our credentials is fatal. */
  private readonly fetchFn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await fetch(input, init);
    const err = await refusal(res, typeof input === 'string' ? input : input instanceof URL ? input.href : input.url, this.opts.url.origin);
    if (!err) return res;
    this.fail(err);
    throw err;
  };

  private fail(err: BridgeAuthError): void {
    if (this.fatal || this.closed) return;
    this.fatal = err;
    for (const p of [...this.pending.values()]) {
      void this.local.send({ jsonrpc: '2.0', id: p.id, error: { code: RELAY_ERROR, message: `gatehouse connect: ${err.message}` } }).catch(() => undefined);
    }
    this.pending.clear();
    for (const w of this.internal.values()) w.reject(err);
    this.internal.clear();
    // Let the error responses reach the client before stdout closes.
    setTimeout(() => void this.shutdown(), 50);
  }
}

function keyOf(id: RequestId): string {
  return `${typeof id}:${id}`;
}

function isModern(msg: JSONRPCMessage): boolean {
  const v = ((msg as { params?: { _meta?: Record<string, unknown> } }).params?._meta ?? {})[PROTOCOL_VERSION_META_KEY];
  return typeof v === 'string' && v >= '2026-07-28';
}

function isInitialize(msg: JSONRPCMessage): boolean {
  return isJSONRPCRequest(msg) && msg.method === 'initialize';
}
