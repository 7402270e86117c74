import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProtocolError, isJsonContentType, type Server } from '@modelcontextprotocol/server';
import type { Identity } from '../../core/identity.js';
import { encodeLegacyResult, fulfilInputRequired } from '../era/legacy-input.js';
import { encodeError } from '../era/modern-encode.js';
import { newCall, type CallContext, type CallMethod, type RelaySinks, type Result } from '../pipeline/index.js';
import type { Session } from '../sessions.js';
import { inboundTraceHeaders } from '../tracing/outbound.js';
import { inboundParamHeaders } from '../upstream/param-headers.js';
import type { ReverseRequest } from '../upstream/types.js';
import { streamBound, type InboundContext } from './context.js';
import { FastReply, nodeHeaders } from './fast-reply.js';
import { LOG_LEVELS, isObject, one, paramsFit, validId } from './fast-request.js';

const CALL_METHODS = new Set<string>(['tools/call', 'prompts/get', 'resources/read']);
/** How long the client has to answer a request the backend made of it (as on the SDK's path). */
const REVERSE_TIMEOUT_MS = 600_000;
const REVERSE_CAPABILITY: Record<string, string> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };

interface Waiting {
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

/**
 * The message-level fast path inside a 2025 session (streamable HTTP): a plain `tools/call`,
 * `prompts/get` or `resources/read` goes from the parsed body to the pipeline with what the session
 * knows (its identity, the capabilities and name from its initialize, its log level), and is
 * answered as JSON, or as an event stream when progress, logs or the backend's own requests to the
 * client (sampling, elicitation, roots) come first. The session's SDK server still owns the
 * handshake and everything else; the fast path only owns its own calls and the client's answers
 * and cancellations for them, which it takes before the SDK sees them.
 */
export class SessionFastPath {
  private seq = 0;
  private readonly waiting = new Map<string, Waiting>();
  private readonly calls = new Map<string | number, { abort: AbortController; reply: FastReply }>();
  /** The level the client set with logging/setLevel (none: every message). */
  private level: string | undefined;

  constructor(
    readonly server: Server,
    readonly session: Session,
    private readonly caller: Identity | undefined,
    private readonly virtualServer: string | undefined,
  ) {}

  /**
   * A client message the fast path owns: the answer to a request it sent, or the cancellation of
   * one of its calls. True when taken (the caller answers 202); a setLevel is noted and passed on.
   */
  take(body: unknown): boolean {
    if (!isObject(body)) return false;
    if (body.method === undefined && (typeof body.id === 'string' || typeof body.id === 'number')) {
      const w = this.waiting.get(String(body.id));
      if (!w || typeof body.id !== 'string') return false;
      this.waiting.delete(body.id);
      const error = body.error as { code?: number; message?: string; data?: unknown } | undefined;
      if (isObject(error)) w.reject(new ProtocolError(typeof error.code === 'number' ? error.code : -32603, String(error.message ?? 'error'), error.data));
      else w.resolve((body.result ?? {}) as Result);
      return true;
    }
    if (body.method === 'notifications/cancelled' && isObject(body.params)) {
      const call = this.calls.get(body.params.requestId as string | number);
      if (!call) return false;
      call.abort.abort(body.params.reason);
      return true;
    }
    if (body.method === 'logging/setLevel' && isObject(body.params) && LOG_LEVELS.includes(body.params.level as string)) this.level = body.params.level as string;
    return false;
  }

  /** A request the fast path can serve here: one plain call, headers as the SDK's session transport wants them. */
  matches(req: IncomingMessage, body: unknown): body is { id: string | number; method: CallMethod; params: Record<string, unknown> } {
    if (!isObject(body) || body.jsonrpc !== '2.0' || !validId(body.id) || typeof body.method !== 'string' || !CALL_METHODS.has(body.method)) return false;
    if (Object.keys(body).length !== 4 || !isObject(body.params) || !paramsFit(body.method, body.params)) return false;
    const meta = body.params._meta;
    if (meta !== undefined && !(isObject(meta) && (meta.progressToken === undefined || typeof meta.progressToken === 'string' || Number.isInteger(meta.progressToken)))) return false;
    if (this.calls.has(body.id as string | number)) return false;
    const h = req.headers;
    const accept = String(h.accept ?? '');
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) return false;
    if (!isJsonContentType(one(h['content-type']))) return false;
    const version = one(h['mcp-protocol-version']);
    return version === undefined || version === this.server.getNegotiatedProtocolVersion();
  }

  async serve(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, msg: { id: string | number; method: CallMethod; params: Record<string, unknown> }): Promise<void> {
    const session = this.session;
    const reply = new FastReply(req, res, msg.id, streamBound(ctx, session.identity.client, session.id), { 'mcp-session-id': session.id });
    const abort = new AbortController();
    this.calls.set(msg.id, { abort, reply });
    const done = ctx.registry.beginCall(session.id);
    res.once('close', () => {
      if (!res.writableEnded) abort.abort();
      reply.stop();
    });
    ctx.router.fastServed++;
    const server = this.server;
    const capabilities = server.getClientCapabilities() as Record<string, unknown> | undefined;
    const sinks = new SessionSinks(this, reply, capabilities, abort.signal);
    const base: Omit<CallContext, 'decisions' | 'reverseGuards'> = {
      method: msg.method,
      params: msg.params,
      era: 'legacy',
      transport: 'streamable-http',
      sessionId: session.id,
      sessionKey: session.id,
      identity: session.identity,
      authClient: this.caller?.client,
      announcedClient: server.getClientVersion()?.name,
      signal: abort.signal,
      meta: msg.params._meta as Record<string, unknown> | undefined,
      clientCapabilities: capabilities,
      sinks,
      requestId: msg.id,
      protocolVersion: server.getNegotiatedProtocolVersion(),
      httpTrace: inboundTraceHeaders(nodeHeaders(req)),
      paramHeaders: msg.method === 'tools/call' ? inboundParamHeaders(nodeHeaders(req)) : undefined,
      ...(this.virtualServer ? { server: this.virtualServer } : {}),
    };
    let answer: Record<string, unknown> | undefined;
    try {
      const run = (more: Partial<CallContext>) => ctx.router.pipeline.handle(newCall({ ...base, ...more }));
      const first = await run({});
      const result = await fulfilInputRequired(msg.method, first, { capabilities, signal: abort.signal, send: (r) => sinks.request(r), retry: (inputResponses, requestState) => run({ inputResponses, ...(requestState !== undefined ? { requestState } : {}) }) });
      if (!abort.signal.aborted) answer = { result: encodeLegacyResult(msg.method, result), jsonrpc: '2.0', id: msg.id };
    } catch (error) {
      if (!abort.signal.aborted) answer = { jsonrpc: '2.0', id: msg.id, error: encodeError(error) };
    } finally {
      this.calls.delete(msg.id);
      done();
    }
    // A cancelled call gets no answer (as on the SDK's path); its response just ends.
    if (answer) reply.final(answer);
    else reply.end();
  }

  /** Sends the client a request on this call's response, and waits for its answer (posted separately). */
  ask(reply: FastReply, r: ReverseRequest, signal: AbortSignal): Promise<Result> {
    const id = `gatehouse-${++this.seq}`;
    return new Promise<Result>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiting.delete(id);
      };
      const onAbort = () => {
        finish();
        reject(new ProtocolError(-32800, 'The call was cancelled'));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new ProtocolError(-32001, `The client did not answer ${r.method} within ${REVERSE_TIMEOUT_MS / 1000} s`));
      }, REVERSE_TIMEOUT_MS);
      timer.unref();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, {
        resolve: (v) => (finish(), resolve(v)),
        reject: (e) => (finish(), reject(e)),
      });
      reply.event({ jsonrpc: '2.0', id, method: r.method, ...(r.params !== undefined ? { params: r.params } : {}) });
    });
  }

  logAllowed(level: string): boolean {
    return this.level === undefined || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }

  /** At shutdown: the final error for every fast call still running here. */
  failPending(text: string, code: number): number {
    let n = 0;
    for (const [id, call] of this.calls) if (call.reply.final({ jsonrpc: '2.0', id, error: { code, message: text } })) n++;
    return n;
  }
}

class SessionSinks implements RelaySinks {
  constructor(
    private readonly path: SessionFastPath,
    private readonly reply: FastReply,
    private readonly capabilities: Record<string, unknown> | undefined,
    private readonly signal: AbortSignal,
  ) {}

  async notify(n: { method: string; params?: Record<string, unknown> }): Promise<void> {
    this.reply.event({ jsonrpc: '2.0', method: n.method, ...(n.params !== undefined ? { params: n.params } : {}) });
  }

  async log(m: { level: string; data: unknown; logger?: string }): Promise<void> {
    if (!this.path.logAllowed(m.level)) return;
    await this.notify({ method: 'notifications/message', params: { level: m.level, data: m.data, logger: m.logger } });
  }

  request(r: ReverseRequest): Promise<Result> {
    const needed = REVERSE_CAPABILITY[r.method];
    if (needed && this.capabilities?.[needed] === undefined) {
      return Promise.reject(new Error(`Client does not support ${needed} (required for ${r.method})`));
    }
    return this.path.ask(this.reply, r, this.signal);
  }
}
