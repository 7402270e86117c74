import type { IncomingMessage, ServerResponse } from 'node:http';
import { anonymousIdentity, type Identity } from '../../core/identity.js';
import type { Session } from '../sessions.js';
import { sameCaller, streamBound, type InboundContext } from './context.js';
import { exemptFromTimeouts, header, readBody, rpcError, sendJson, sendTooLarge } from './guards.js';
import { inboundTraceHeaders } from '../tracing/outbound.js';
import { validateMessages } from './jsonrpc.js';
import { trackSessionTransport } from './session-transport.js';
import { SseServerTransport } from './sse.js';

const transports = new WeakMap<Session, SseServerTransport>();
/** The virtual server a session was opened on: its messages go to that server's /messages only. */
const servedAt = new WeakMap<Session, string | undefined>();

/**
 * Legacy HTTP+SSE sessions (GET /sse, POST /messages). The stream is the session itself, not an
 * extra stream on it, so an SSE session follows the same rules as any other: busy while a call is
 * in flight, otherwise idle, and so subject to expiry and to eviction at the caps (its stream is
 * then closed and the next POST gets 404).
 */
export async function openSseSession(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, caller?: Identity, virtualServer?: string): Promise<void> {
  const identity = caller ?? anonymousIdentity('sse-client');
  const refusal = ctx.registry.admit(identity);
  if (refusal) return sendJson(res, 503, { error: 'session_limit', message: refusal.message }, { 'Retry-After': String(refusal.retryAfterSec) });
  exemptFromTimeouts(req);
  let id = '';
  const transport = new SseServerTransport(res, virtualServer ? `/servers/${virtualServer}/messages` : '/messages', { keepAliveMs: ctx.limits.keepAliveInterval * 1000, bound: { ...streamBound(ctx, identity.client), onDropped: (n) => streamBound(ctx, identity.client, id).onDropped(n) } });
  id = transport.sessionId;
  // An SSE client names itself only in its initialize, after the stream is open: read the identity
  // through the registry so calls carry the name the session was renamed to.
  const server = ctx.router.createServer({
    era: 'legacy',
    transport: 'sse',
    sessionId: id,
    ...(caller ? { client: caller.client } : {}),
    ...(virtualServer ? { server: virtualServer } : {}),
    get identity() {
      return ctx.registry.get(id)?.identity ?? identity;
    },
  });
  const peer = trackSessionTransport(transport, server, ctx.registry, id);
  const session = ctx.registry.open({ id, era: 'legacy', transport: 'sse', identity, peer, end: () => void server.close().catch(() => undefined) });
  transports.set(session, transport);
  servedAt.set(session, virtualServer);
  transport.onclose = () => void ctx.registry.close(id, 'disconnected');
  await server.connect(transport);
  server.oninitialized = () => {
    const name = server.getClientVersion()?.name;
    if (!caller && name) ctx.registry.rename(id, name);
    ctx.registry.announce(session);
  };
}

export async function postSseMessages(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, url: URL, caller?: Identity, virtualServer?: string): Promise<void> {
  const id = url.searchParams.get('sessionId') ?? '';
  const session = ctx.registry.get(id);
  const transport = session && transports.get(session);
  if (!session || !transport || !sameCaller(session, caller) || servedAt.get(session) !== virtualServer) return sendJson(res, 404, { error: 'session_not_found', message: 'Unknown sessionId (it expired, was evicted, or the gateway restarted); open /sse again.' });
  const body = await readBody(req);
  if ('tooLarge' in body) return sendTooLarge(req, res);
  if (body.parseError) return sendJson(res, 400, rpcError(-32700, 'Parse error: the body is not valid JSON.'));
  const checked = validateMessages(body.json);
  if (!checked.ok) return sendJson(res, 400, rpcError(-32600, checked.message));
  res.writeHead(202).end('Accepted');
  const trace = inboundTraceHeaders({ get: (name) => header(req, name) ?? null });
  for (const m of checked.messages) transport.receive(m, trace);
}
