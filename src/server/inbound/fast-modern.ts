import type { IncomingMessage, ServerResponse } from 'node:http';
import { anonymousIdentity, type Identity } from '../../core/identity.js';
import { encodeModernError, encodeModernResult } from '../era/modern-encode.js';
import { newCall, newLocalCall, type CallMethod, type LocalMethod, type RelaySinks, type Result } from '../pipeline/index.js';
import { inboundTraceHeaders } from '../tracing/outbound.js';
import type { ReverseRequest } from '../upstream/types.js';
import { streamBound, type InboundContext } from './context.js';
import { MODERN_REVISION, type FastRequest } from './fast-request.js';
import { SHUTDOWN_ERROR_CODE, SHUTDOWN_MESSAGE } from './session-transport.js';
import { STREAM_HEADERS, type StreamBound } from './web.js';

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

/**
 * Serves one 2026-07-28 request on the message-level fast path: the parsed message goes to the
 * call pipeline as it is (every step runs: identity, access, resolve, policy, rate limits,
 * approvals, tracing, metrics, observe), and the answer is written to the socket as one JSON body,
 * or as an event stream once the call sends progress or log messages or runs past one keep-alive
 * interval. No SDK server, transport, web Request or Response is built for it.
 */
export async function serveFastModern(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, fast: FastRequest, caller: Identity | undefined, server?: string): Promise<void> {
  const reply = new FastReply(req, res, fast.id, streamBound(ctx, caller?.client ?? fast.clientName ?? 'client'));
  const identity = caller ?? anonymousIdentity(fast.clientName?.slice(0, 200) || 'client');
  const session = ctx.registry.open({
    era: 'modern',
    transport: 'stateless',
    identity,
    peer: {
      notifyListChanged: () => undefined,
      notifyResourceUpdated: () => undefined,
      failPending: async (text = SHUTDOWN_MESSAGE) => (reply.final({ jsonrpc: '2.0', id: fast.id, error: { code: SHUTDOWN_ERROR_CODE, message: text } }) ? 1 : 0),
    },
  });
  const done = ctx.registry.beginCall(session.id);
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) abort.abort();
    reply.stop();
    done();
    ctx.registry.close(session.id, 'disconnected');
  });
  const common = {
    era: 'modern' as const,
    transport: 'streamable-http' as const,
    sessionKey: 'stateless',
    identity: caller,
    authClient: caller?.client,
    announcedClient: fast.clientName,
    ...(server ? { server } : {}),
  };
  const router = ctx.router;
  let answer: Record<string, unknown>;
  try {
    const result =
      fast.kind === 'local'
        ? await router.pipeline.handleLocal(newLocalCall({ ...common, method: fast.method as LocalMethod, params: fast.params }))
        : await router.pipeline.handle(
            newCall({
              ...common,
              method: fast.method as CallMethod,
              params: fast.params,
              signal: abort.signal,
              meta: fast.meta,
              clientCapabilities: fast.clientCapabilities,
              logLevel: fast.logLevel,
              sinks: new FastSinks(reply, fast.logLevel),
              requestId: fast.id,
              protocolVersion: MODERN_REVISION,
              httpTrace: inboundTraceHeaders(nodeHeaders(req)),
            }),
          );
    // A client that went away gets nothing (as on the SDK's path).
    if (abort.signal.aborted) return;
    answer = { result: encodeModernResult(fast.method, result as Result, router.serverInfo, fast.clientCapabilities), jsonrpc: '2.0', id: fast.id };
  } catch (error) {
    if (abort.signal.aborted) return;
    answer = { jsonrpc: '2.0', id: fast.id, error: encodeModernError(error) };
  }
  reply.final(answer);
}

/** Node's header object read the way the web Headers are (one value; repeated ones joined). */
function nodeHeaders(req: IncomingMessage): { get(name: string): string | null } {
  return {
    get: (name) => {
      const v = req.headers[name];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** What the call sends the client while it runs, in the fast path's reply. */
class FastSinks implements RelaySinks {
  constructor(
    private readonly reply: FastReply,
    private readonly level: string | undefined,
  ) {}

  async notify(n: { method: string; params?: Record<string, unknown> }): Promise<void> {
    this.reply.event({ jsonrpc: '2.0', method: n.method, ...(n.params !== undefined ? { params: n.params } : {}) });
  }

  async log(m: { level: string; data: unknown; logger?: string }): Promise<void> {
    // On this revision a request gets log messages only at or above the level it asked for.
    if (this.level === undefined || LEVELS.indexOf(m.level) < LEVELS.indexOf(this.level)) return;
    await this.notify({ method: 'notifications/message', params: { level: m.level, data: m.data, logger: m.logger } });
  }

  request(r: ReverseRequest): Promise<Result> {
    return Promise.reject(new Error(`Server-to-client requests are not available on protocol revision ${MODERN_REVISION}: '${r.method}' cannot be sent; the call answers with input_required instead.`));
  }
}

/**
 * The response of one fast-path request: plain JSON when the answer is all there is; an event
 * stream (with the proxy-safe headers and keep-alive comments) once a related message has to go
 * first, or once the call has run one keep-alive interval without an answer and the client accepts
 * streams. Back-pressure is bounded as on every other stream.
 */
class FastReply {
  private streaming = false;
  private early: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly acceptsStream: boolean;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly id: string | number,
    private readonly bound: StreamBound,
  ) {
    this.acceptsStream = String(req.headers.accept ?? '').includes('text/event-stream');
    const ms = bound.keepAliveMs ?? 0;
    if (ms && this.acceptsStream) {
      this.early = setTimeout(() => this.startStream(), ms);
      this.early.unref();
    }
  }

  event(message: Record<string, unknown>): void {
    if (this.closed()) return;
    if (!this.streaming) this.startStream();
    this.frame(message);
  }

  /** The answer; false when the response had already ended. */
  final(message: Record<string, unknown>): boolean {
    this.stop();
    if (this.closed()) return false;
    if (this.streaming) {
      this.frame(message);
      this.res.end();
      return true;
    }
    const body = JSON.stringify(message);
    // A missing client capability (-32021) is answered 400, as the SDK answers it; every other
    // handler error is in-band, 200.
    const status = (message.error as { code?: number } | undefined)?.code === -32021 ? 400 : 200;
    this.res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
    return true;
  }

  stop(): void {
    clearTimeout(this.early);
    clearInterval(this.keepAlive);
  }

  private closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  private startStream(): void {
    if (this.streaming || this.closed()) return;
    this.streaming = true;
    clearTimeout(this.early);
    this.res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'keep-alive', ...STREAM_HEADERS });
    this.res.flushHeaders();
    const ms = this.bound.keepAliveMs ?? 0;
    if (ms) {
      this.keepAlive = setInterval(() => {
        if (!this.closed()) this.res.write(': keep-alive\n\n');
      }, ms);
      this.keepAlive.unref();
    }
  }

  private frame(message: Record<string, unknown>): void {
    if (this.res.writableLength > this.bound.limitBytes) {
      this.bound.onDropped(this.res.writableLength);
      this.res.destroy();
      return;
    }
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }
}
