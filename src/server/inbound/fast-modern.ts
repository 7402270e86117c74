import type { IncomingMessage, ServerResponse } from 'node:http';
import { anonymousIdentity, type Identity } from '../../core/identity.js';
import { encodeError, encodeModernResult } from '../era/modern-encode.js';
import { newCall, newLocalCall, type CallMethod, type LocalMethod, type RelaySinks, type Result } from '../pipeline/index.js';
import { inboundTraceHeaders } from '../tracing/outbound.js';
import { inboundParamHeaders } from '../upstream/param-headers.js';
import type { ReverseRequest } from '../upstream/types.js';
import { streamBound, type InboundContext } from './context.js';
import { LOG_LEVELS, MODERN_REVISION, type FastRequest } from './fast-request.js';
import { SHUTDOWN_ERROR_CODE } from './session-transport.js';
import { openStatelessEntry } from './stateless.js';
import { FastReply, nodeHeaders } from './fast-reply.js';


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
  openStatelessEntry(ctx, res, identity, async (text) => (reply.final({ jsonrpc: '2.0', id: fast.id, error: { code: SHUTDOWN_ERROR_CODE, message: text } }) ? 1 : 0));
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) abort.abort();
    reply.stop();
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
  router.fastServed++;
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
              paramHeaders: fast.method === 'tools/call' ? inboundParamHeaders(nodeHeaders(req)) : undefined,
            }),
          );
    // A client that went away gets nothing (as on the SDK's path).
    if (abort.signal.aborted) return;
    answer = { result: encodeModernResult(fast.method, result as Result, router.serverInfo, fast.clientCapabilities), jsonrpc: '2.0', id: fast.id };
  } catch (error) {
    if (abort.signal.aborted) return;
    answer = { jsonrpc: '2.0', id: fast.id, error: encodeError(error) };
  }
  reply.final(answer);
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
    if (this.level === undefined || LOG_LEVELS.indexOf(m.level) < LOG_LEVELS.indexOf(this.level)) return;
    await this.notify({ method: 'notifications/message', params: { level: m.level, data: m.data, logger: m.logger } });
  }

  request(r: ReverseRequest): Promise<Result> {
    return Promise.reject(new Error(`Server-to-client requests are not available on protocol revision ${MODERN_REVISION}: '${r.method}' cannot be sent; the call answers with input_required instead.`));
  }
}

