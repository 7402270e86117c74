import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { anonymousIdentity, type Identity } from '../../core/identity.js';
import type { Session } from '../sessions.js';
import { FORWARDED_HEADER, sameCaller, streamBound, type InboundContext, type SavedSession } from './context.js';
import { exemptFromTimeouts, header, readBody, rpcError, sendJson, sendTooLarge } from './guards.js';
import { SessionFastPath } from './fast-session.js';
import { SHUTDOWN_ERROR_CODE, SHUTDOWN_MESSAGE, trackSessionTransport } from './session-transport.js';
import { replaySession } from './session-replay.js';
import { toWebRequest, writeWebResponse } from './web.js';

const transports = new WeakMap<Session, WebStandardStreamableHTTPServerTransport>();
/** The virtual server a session was opened on: its id is good only at that path. */
const servedAt = new WeakMap<Session, string | undefined>();
/** A session's part of the message-level fast path (its calls, and the client's answers to them). */
const fastPaths = new WeakMap<Session, SessionFastPath>();

const NOT_FOUND = 'Session not found (it expired, was evicted, or the gateway restarted); initialize again.';

type Body = { text: string; json: unknown };

/**
 * 2025-era sessions over streamable HTTP. The SDK's stateless legacy fallback cannot send a client
 * server-to-client requests, so these clients get real sessions, held in the registry. With a
 * cluster, a session another replica owns is forwarded to it, or taken over when the owner is gone.
 */
export async function handleSessionRequest(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, sessionId: string, caller?: Identity, server?: string): Promise<void> {
  const session = ctx.registry.get(sessionId);
  if (!session && ctx.cluster) return clusterSession(ctx, req, res, sessionId, caller, server);
  const transport = session && transports.get(session);
  if (!session || !transport || !sameCaller(session, caller) || servedAt.get(session) !== server) return sendJson(res, 404, rpcError(-32001, NOT_FOUND));
  let body: Body | undefined;
  if (req.method === 'POST') {
    const read = await readBody(req);
    if ('tooLarge' in read) return sendTooLarge(req, res);
    body = { text: read.text, json: read.json };
  }
  return serveSession(ctx, req, res, session, transport, body);
}

async function serveSession(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, session: Session, transport: WebStandardStreamableHTTPServerTransport, body?: Body): Promise<void> {
  const sessionId = session.id;
  ctx.registry.touch(sessionId);
  if (body?.json !== undefined) ctx.cluster?.observe(sessionId, body.json);
  const fast = body ? fastPaths.get(session) : undefined;
  if (fast?.take(body!.json)) {
    res.writeHead(202, { 'mcp-session-id': sessionId });
    return void res.end();
  }
  if (fast && ctx.fastPath && fast.matches(req, body!.json)) return fast.serve(ctx, req, res, body!.json);
  // A GET is the session's standalone stream: the session is busy (never evicted) while it is open.
  if (req.method === 'GET') {
    exemptFromTimeouts(req);
    ctx.answering.delete(res);
    res.once('close', ctx.registry.openStream(sessionId));
  }
  const request = toWebRequest(req, res, body?.text);
  const response = await transport.handleRequest(request, body?.json !== undefined ? { parsedBody: body.json } : undefined);
  return writeWebResponse(res, response, streamBound(ctx, session.identity.client, sessionId));
}

/** A session id this replica does not hold: forward it to its owner, take it over, or 404. */
async function clusterSession(ctx: InboundContext, req: IncomingMessage, res: ServerResponse, sessionId: string, caller: Identity | undefined, server: string | undefined): Promise<void> {
  const cluster = ctx.cluster!;
  let body: Body | undefined;
  if (req.method === 'POST') {
    const read = await readBody(req);
    if ('tooLarge' in read) return sendTooLarge(req, res);
    body = { text: read.text, json: read.json };
  }
  const route = await cluster.route(sessionId, {
    forwarded: header(req, FORWARDED_HEADER) !== undefined,
    accept: (saved) => sameCaller({ identity: { ...saved.identity, roles: saved.identity.roles ?? [] } as Identity }, caller) && saved.server === server,
    recreate: (saved) => recreateSession(ctx, sessionId, saved, caller),
  });
  if (route.kind === 'forward') return cluster.forward(route.url, route.owner, req, res, body);
  const session = route.kind === 'local' ? ctx.registry.get(sessionId) : undefined;
  const transport = session && transports.get(session);
  if (!session || !transport || !sameCaller(session, caller) || servedAt.get(session) !== server) return sendJson(res, 404, rpcError(-32001, NOT_FOUND));
  return serveSession(ctx, req, res, session, transport, body);
}

/** One session's server and transport, registered under `id` (not yet initialized). */
async function openSessionServer(ctx: InboundContext, id: string, identity: Identity, caller: Identity | undefined, virtualServer: string | undefined): Promise<{ session: Session; transport: WebStandardStreamableHTTPServerTransport }> {
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
  return { session, transport };
}

/** An initialize without a session id: admit it under the caps, then open a session. */
export async function startSession(ctx: InboundContext, res: ServerResponse, request: Request, parsedBody: unknown, caller?: Identity, virtualServer?: string): Promise<void> {
  const identity = caller ?? anonymousIdentity(clientNameFromInitialize(parsedBody) ?? 'client');
  const refusal = ctx.registry.admit(identity);
  if (refusal) return sendJson(res, 503, rpcError(-32000, refusal.message, requestId(parsedBody)), { 'Retry-After': String(refusal.retryAfterSec) });
  const id = ctx.cluster?.newSessionId() ?? randomUUID();
  const { session, transport } = await openSessionServer(ctx, id, identity, caller, virtualServer);
  ctx.registry.announce(session);
  const response = await transport.handleRequest(request, { parsedBody });
  if (!response.headers.get('mcp-session-id')) ctx.registry.close(id, 'disconnected');
  else if (ctx.cluster) ctx.cluster.remember(id, savedOf(parsedBody, identity, virtualServer));
  return writeWebResponse(res, response, streamBound(ctx, identity.client, id));
}

/**
 * Takeover: the session's owner is gone and this replica claimed it. A new server under the same id
 * is initialized with the client's own initialize params, then its log level and subscriptions are
 * set again, so the backends see what they saw before.
 */
async function recreateSession(ctx: InboundContext, id: string, saved: SavedSession, caller: Identity | undefined): Promise<boolean> {
  const identity: Identity = caller ?? ({ ...saved.identity, roles: saved.identity.roles ?? [] } as Identity);
  if (ctx.registry.admit(identity)) return false;
  const { session, transport } = await openSessionServer(ctx, id, identity, caller, saved.server);
  const ok = await replaySession(transport, id, saved).catch(() => false);
  if (!ok) {
    ctx.registry.close(id, 'disconnected');
    return false;
  }
  for (const uri of saved.subscriptions) session.subscriptions.add(uri);
  // The replayed setLevel went to the SDK server; the session's fast path filters by it too.
  if (saved.logLevel) fastPaths.get(session)?.take({ jsonrpc: '2.0', id: 'replay', method: 'logging/setLevel', params: { level: saved.logLevel } });
  ctx.registry.announce(session);
  ctx.cluster?.remember(id, saved);
  return true;
}

function savedOf(body: unknown, identity: Identity, server: string | undefined): SavedSession {
  const one = (Array.isArray(body) ? body[0] : body) as { params?: Record<string, unknown> } | undefined;
  const { client, via, roles, credentialId, subject } = identity;
  return { init: one?.params ?? {}, identity: { client, via, roles: [...roles], ...(credentialId ? { credentialId } : {}), ...(subject ? { subject } : {}) }, ...(server ? { server } : {}), subscriptions: [] };
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
