import { Client, LOG_LEVEL_META_KEY, ProtocolError } from '@modelcontextprotocol/client';
import type { JSONRPCMessage, McpSubscription, Transport } from '@modelcontextprotocol/client';
import { errorMessage } from '../../core/errors.js';
import { mapCallError, negotiationMode, summarizeLog } from './call-errors.js';
import { diagnoseError } from './diagnose.js';
import { BoundedReadBuffer, installBoundedFraming } from './framing.js';
import { passthroughSchema } from './passthrough.js';
import { StderrTail } from './stderr-tail.js';
import { probeExitError } from './stdio-transport.js';
import { withTraceHeaders } from '../tracing/outbound.js';
import type { McpBackendConfig, McpTransport, TransportDeps } from './transports.js';
import { checkResult, type ListKind } from './validate.js';
import { listAll, listKind } from './lists.js';
import { carriedTaskResult, carryTaskResult, withTasksCapability } from './task-wire.js';
import { ErrorCodes, UpstreamError, type CallContext, type UpstreamCatalog, type UpstreamInfo } from './types.js';

export const GATEWAY_CLIENT_INFO = { name: 'gatehouse', version: '0.1.0' };
const GATEWAY_CLIENT_CAPABILITIES = { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } };

/** What a connection needs from the backend it belongs to (the lifecycle in lifecycle.ts). */
export interface ConnectionOwner {
  readonly name: string;
  readonly config: McpBackendConfig;
  /** True while a planned stop is under way: calls cut off by it are not the backend's fault. */
  readonly stopping: boolean;
  readonly maxMessageBytes: number;
  eraVerdict?: { kind: 'legacy' } | { kind: 'modern'; discover: unknown };
  rememberEra(client: Client): void;
  createTransport(kind: 'streamable-http' | 'sse' | undefined, hooks: Pick<TransportDeps, 'onSseEnded'>): Promise<McpTransport>;
  onListChanged(conn: McpConnection, kind: 'tools' | 'resources' | 'prompts'): Promise<void>;
  onResourceUpdated(conn: McpConnection, uri: string): void;
  onStderr(line: string): void;
  onUnattributed(method: string, reason: string, message: string): void;
  onWarning(message: string): void;
  onInvalid(kind: ListKind | 'result', reasons: string[]): void;
  onEscaped(error: unknown): void;
  describeFailure(e: unknown, conn?: McpConnection): string;
}

/** One client connection to the backend, with the requests it is currently forwarding. */
export class McpConnection {
  client?: Client;
  transport?: McpTransport;
  info: UpstreamInfo = {};
  readonly inFlight = new Map<string, CallContext>();
  onClosed?: (why: string) => void;
  private readonly stderr: StderrTail;
  private closing = false;
  private listChangedListen?: McpSubscription;
  /** Resource subscriptions on this connection, counted per URI across the sessions sharing it. */
  private readonly resourceSubs = new Map<string, { count: number; listen?: McpSubscription }>();
  /** Ids of responses seen recently, so a dropped SSE stream fails only calls still unanswered. */
  private readonly answered = new Set<string | number>();

  constructor(
    private readonly owner: ConnectionOwner,
    readonly sessionKey: string | undefined,
  ) {
    this.stderr = new StderrTail({ onLine: (line) => owner.onStderr(line) });
  }

  stderrTail(): string {
    return this.stderr.recent();
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
    const transport = await this.owner.createTransport(kind, { onSseEnded: (ids, why) => this.failUnanswered(ids, why) });
    this.transport = transport;
    if (this.owner.config.type === 'stdio') {
      const limit = this.owner.maxMessageBytes;
      const name = this.owner.name;
      installBoundedFraming(
        transport,
        new BoundedReadBuffer(
          limit,
          (m) => `Backend "${name}" sent a ${mib(m.bytes)} message, over its maxMessageBytes limit of ${mib(limit)}; this call failed, the backend keeps serving. Raise maxMessageBytes on the backend if results this large are expected.`,
          (m) => this.owner.onWarning(`sent a ${mib(m.bytes)} message over maxMessageBytes (${mib(limit)}); ${m.id === undefined ? 'it was not a response, so it was dropped' : 'the call it answered failed'}`),
        ),
      );
    }
    const client = new Client(GATEWAY_CLIENT_INFO, {
      capabilities: GATEWAY_CLIENT_CAPABILITIES,
      versionNegotiation: { mode: negotiationMode(this.owner.config.protocol), probe: { timeoutMs: 5_000 } },
      inputRequired: { autoFulfill: false },
      defaultCacheTtlMs: 0,
    } as never);
    this.client = client;
    this.installHandlers(client);
    const stderr = transport.stderr;
    if (stderr) {
      stderr.on('data', (chunk: Buffer) => this.stderr.write(chunk));
      stderr.on('end', () => this.stderr.end());
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
    try {
      await client.connect(transport, { timeout, ...(prior ? { prior } : {}) } as never);
    } catch (e) {
      // A stdio child that exits during the era probe failed to start; its era stays unknown.
      throw this.owner.config.type === 'stdio' ? probeExitError(e, this.owner.name) : e;
    }
    this.owner.rememberEra(client);
    this.preserveOrder(transport);
    const server = client.getServerVersion();
    if (client.getProtocolEra() === 'modern') await this.listenForListChanges(client);
    this.info = {
      serverName: typeof server?.name === 'string' ? server.name : undefined,
      serverVersion: typeof server?.version === 'string' ? server.version : undefined,
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
      if (call) return void call.onNotification?.({ method: 'notifications/message', params: n.params as Record<string, unknown> });
      const reason = this.inFlight.size === 0 ? 'no call in flight' : `${this.inFlight.size} calls in flight on a shared connection`;
      this.owner.onUnattributed('notifications/message', reason, summarizeLog(n.params));
    });
    for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const) {
      client.setRequestHandler(method, async (req) => {
        const call = this.attribute();
        if (!call) {
          if (method === 'roots/list' && this.inFlight.size === 0) return { roots: [] } as never;
          this.owner.onUnattributed(method, `${this.inFlight.size} calls in flight on a shared connection`, '');
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
      this.owner.onWarning(`could not listen for list changes (${errorMessage(e)}); falling back to periodic re-listing`);
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

  /** `headers`: per-request HTTP headers (Mcp-Param-*), sent only to a 2026-07-28 HTTP backend. */
  async forward(method: string, params: Record<string, unknown>, ctx: CallContext, headers?: Record<string, string>): Promise<Record<string, unknown>> {
    const client = this.client!;
    const outParams: Record<string, unknown> = { ...params };
    const meta: Record<string, unknown> = { ...(ctx.meta ?? {}) };
    if (ctx.logLevel && this.info.era === 'modern') meta[LOG_LEVEL_META_KEY] = ctx.logLevel;
    if (ctx.tasks && this.info.era === 'modern') withTasksCapability(meta, GATEWAY_CLIENT_CAPABILITIES);
    // A traced call carries the gateway's span, not the client's: SEP-414 keys, unprefixed.
    if (ctx.trace) {
      delete meta.traceparent;
      delete meta.tracestate;
      Object.assign(meta, ctx.trace);
    }
    if (Object.keys(meta).length) outParams._meta = meta;
    else delete outParams._meta;
    this.inFlight.set(ctx.callId, ctx);
    // The SDK derives Mcp-Method and Mcp-Name from the body it sends (native names), and drops any override of them.
    const perRequest = headers && this.info.era === 'modern' && this.owner.config.type === 'http' ? { headers } : {};
    let result: Record<string, unknown>;
    try {
      const send = () =>
        client.request({ method, params: outParams } as never, passthroughSchema, {
          signal: ctx.signal,
          timeout: ctx.timeoutMs,
          resetTimeoutOnProgress: true,
          onprogress: ctx.onProgress ? (p: { progress: number; total?: number; message?: string }) => void ctx.onProgress!(p) : undefined,
          allowInputRequired: true,
          ...perRequest,
        } as never);
      // HTTP backends also get it as headers, which the backend's fetch reads (transports.ts).
      result = await (ctx.trace && this.owner.config.type === 'http' ? withTraceHeaders(ctx.trace, send) : send());
    } catch (e) {
      const lost = this.connectionLost(e);
      if (lost) this.markLost(lost);
      throw mapCallError(e, method, ctx, { name: this.owner.name, stopping: this.owner.stopping, stderrTail: () => this.stderrTail(), describe: (err) => this.owner.describeFailure(err, this) });
    } finally {
      this.inFlight.delete(ctx.callId);
    }
    const task = carriedTaskResult(result);
    const invalid = task ? taskInvalid(task, ctx) : checkResult(method, result);
    if (invalid) {
      this.owner.onInvalid('result', [`${method}: ${invalid}`]);
      throw new UpstreamError(`Backend "${this.owner.name}" returned an invalid ${method} result: ${invalid}.`, ErrorCodes.InternalError, this.owner.name);
    }
    return task ?? result;
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

  async listAll(timeoutMs: number): Promise<UpstreamCatalog> {
    return listAll(this.client!, this.info.capabilities, this.owner, timeoutMs);
  }

  /** One kind of list, every page, checked (re-listing after the backend's list_changed). */
  list<K extends ListKind>(kind: K, opts?: { timeout?: number }): Promise<UpstreamCatalog[K]> {
    return listKind(this.client!, this.owner, kind, opts);
  }

  /** Fails the calls whose SSE response stream ended before their answer arrived. */
  private failUnanswered(ids: Array<string | number>, why: string): void {
    const deliver = this.transport?.onmessage;
    if (!deliver || this.closing) return;
    for (const id of ids) {
      if (this.answered.delete(id)) continue;
      const message = `Backend "${this.owner.name}" failed the call: ${why}.`;
      deliver.call(this.transport, { jsonrpc: '2.0', id, error: { code: ErrorCodes.BackendUnavailable, message } } as JSONRPCMessage);
    }
  }

  /**
   * The SDK dispatches notifications on a microtask but settles responses synchronously, so a
   * progress notification that arrives in the same read as its response would be dropped (its
   * handler is gone by then). Deferring responses by one microtask lets earlier notifications run
   * first, which keeps the backend's order on the relay path. Response ids are noted for the SSE guard.
   */
  private preserveOrder(transport: Transport): void {
    const deliver = transport.onmessage;
    if (!deliver) return;
    const track = this.owner.config.type === 'http';
    transport.onmessage = (message, extra) => {
      if ('id' in message && !('method' in message)) {
        const response = carryTaskResult(message) as typeof message;
        if (track && message.id !== undefined && message.id !== null) {
          this.answered.add(message.id as string | number);
          if (this.answered.size > 1024) this.answered.delete(this.answered.values().next().value as string | number);
        }
        queueMicrotask(() => deliver.call(transport, response, extra));
      } else deliver.call(transport, message, extra);
    };
    // A message that makes handling throw fails this backend's connection, never the gateway.
    const ordered = transport.onmessage;
    transport.onmessage = (message, extra) => {
      try {
        ordered(message, extra);
      } catch (e) {
        this.owner.onEscaped(e);
      }
    };
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

/** Why a CreateTaskResult cannot go to this call's client: not asked for, or no task id and status. */
function taskInvalid(task: Record<string, unknown>, ctx: CallContext): string | undefined {
  if (!ctx.tasks) return 'it is a task, which the client did not ask for (it did not declare the Tasks extension)';
  return typeof task.taskId === 'string' && typeof task.status === 'string' ? undefined : 'the task has no taskId or status';
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
