import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { anonymousIdentity, type Identity } from '../../core/identity.js';
import type { Session } from '../sessions.js';
import { sameCaller, streamBound, type InboundContext } from './context.js';
import { exemptFromTimeouts, readBody, rpcError, sendJson, sendTooLarge } from './guards.js';
import { SessionFastPath } from './fast-session.js';
import { SHUTDOWN_ERROR_CODE, SHUTDOWN_MESSAGE, trackSessionTransport } from './session-transport.js';
import { toWebRequest, writeWebResponse } from './web.js';

const transports = new WeakMap<Session, WebStandardStreamableHTTPServerTransport>();
/** The virtual server a session was opened on: its id is good only at that path. */
const servedAt = new WeakMap<Session, string | undefined>();
/** A session's part of the message-level fast path (its calls, and the client's answers to them). */
const fastPaths = new WeakMap<Session, SessionFastPath>();

const NOT_FOUND = 'Session not found (it expired, was evicted, or the gateway restarted); initialize again.';

/**
 * 2025-era sessions over streamable HTTP. The SDK's stateless legacy fallback cannot send a client
 * server-to-client requests, so these clients get real sessions, held in the registry.
 */
export async function handleSessionRequest(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, sessionId: string, caller?: Identity, server?: string): Promise<void> {
  const session = ctx.registry.get(sessionId);
  const transport = session && transports.get(session);
  if (!session || !transport || !sameCaller(session, caller) || servedAt.get(session) !== server) return sendJson(res, 404, rpcError(-32001, NOT_FOUND));
  let parsedBody: unknown;
  let text: string | undefined;
  if (req.method === 'POST') {
    const body = await readBody(req);
    if ('tooLarge' in body) return sendTooLarge(req, res);
    text = body.text;
    parsedBody = body.json;
  }
  ctx.registry.touch(sessionId);
  const fast = req.method === 'POST' ? fastPaths.get(session) : undefined;
  if (fast?.take(parsedBody)) {
    res.writeHead(202, { 'mcp-session-id': sessionId });
    return void res.end();
  }
  if (fast && ctx.fastPath && fast.matches(req, parsedBody)) return fast.serve(ctx, req, res, parsedBody);
  // A GET is the session's standalone stream: the session is busy (never evicted) while it is open.
  if (req.method === 'GET') {
    exemptFromTimeouts(req);
    ctx.answering.delete(res);
    res.once('close', ctx.registry.openStream(sessionId));
  }
  const request = toWebRequest(req, res, text);
  const response = await transport.handleRequest(request, parsedBody !== undefined ? { parsedBody } : undefined);
  return writeWebResponse(res, response, streamBound(ctx, session.identity.client, sessionId));
}

/** An initialize without a session id: admit it under the caps, then open a session. */
export async function startSession(ctx: InboundContext, res: ServerResponse, request: Request, parsedBody: unknown, caller?: Identity, virtualServer?: string): Promise<void> {
  const identity = caller ?? anonymousIdentity(clientNameFromInitialize(parsedBody) ?? 'client');
  const refusal = ctx.registry.admit(identity);
  if (refusal) return sendJson(res, 503, rpcError(-32000, refusal.message, requestId(parsedBody)), { 'Retry-After': String(refusal.retryAfterSec) });
  const id = randomUUID();
  const server = ctx.router.createServer({ era: 'legacy', transport: 'streamable-http', sessionId: id, ...(caller ? { client: caller.client } : {}), identity, ...(virtualServer ? { server: virtualServer } : {}) });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: () => id,
    onsessionclosed: () => void ctx.registry.close(id, 'deleted'),
  });
  const tracked = trackSessionTransport(transport, server, ctx.registry, id);
  let fast: SessionFastPath | undefined;
  const peer = { ...tracked, failPending: async (text = SHUTDOWN_MESSAGE) => (await tracked.failPending(text)) + (fast?.failPending(text, SHUTDOWN_ERROR_CODE) ?? 0) };
  const session = ctx.registry.open({ id, era: 'legacy', transport: 'streamable-http', identity, peer, end: () => void server.close().catch(() => undefined) });
  fast = new SessionFastPath(server, session, caller, virtualServer);
  fastPaths.set(session, fast);
  transports.set(session, transport);
  servedAt.set(session, virtualServer);
  transport.onclose = () => void ctx.registry.close(id, 'disconnected');
  await server.connect(transport);
  ctx.registry.announce(session);
  const response = await transport.handleRequest(request, { parsedBody });
  if (!response.headers.get('mcp-session-id')) ctx.registry.close(id, 'disconnected');
  return writeWebResponse(res, response, streamBound(ctx, identity.client, id));
}

export function isInitialize(body: unknown): boolean {
  const one = Array.isArray(body) ? body[0] : body;
  return Boolean(one && typeof one === 'object' && (one as { method?: string }).method === 'initialize');
}

function clientNameFromInitialize(body: unknown): string | undefined {
  const one = (Array.isArray(body) ? body[0] : body) as { params?: { clientInfo?: { name?: unknown } } } | undefined;
  const name = one?.params?.clientInfo?.name;
  return typeof name === 'string' && name ? name.slice(0, 200) : undefined;
}

function requestId(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}
