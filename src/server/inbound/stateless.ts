import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLIENT_INFO_META_KEY, createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import { anonymousIdentity, type Identity } from '../../core/identity.js';
import { listenResourceUris, type Router } from '../router.js';
import { streamBound, type InboundContext } from './context.js';
import { exemptFromTimeouts, sendJson } from './guards.js';
import { requestIds } from './jsonrpc.js';
import { SHUTDOWN_ERROR_CODE, SHUTDOWN_MESSAGE } from './session-transport.js';
import { writeWhenReady } from './early-stream.js';
import { writeWebResponse } from './web.js';

/**
 * The SDK handler for stateless requests (2026-07-28, and 2025 requests outside a session). The
 * caller's identity rides in authInfo.extra so the per-request server gets it.
 */
export function createStatelessHandler(router: Router, server?: string): McpHttpHandler {
  return createMcpHandler(
    (c) => {
      const identity = (c.authInfo?.extra as { identity?: Identity } | undefined)?.identity;
      return router.createServer({ era: c.era, transport: 'streamable-http', ...(identity ? { client: identity.client, identity } : {}), ...(server ? { server } : {}) });
    },
    { legacy: 'stateless', onerror: () => undefined },
  );
}

/**
 * One stateless request: listed in the registry for as long as it runs (never counted against the
 * session caps, since it ends with its request), and answered with a final error if the gateway
 * stops under it.
 */
export async function handleStateless(ctx: InboundContext, handler: McpHttpHandler, req: IncomingMessage, res: ServerResponse, request: Request, body: unknown, caller?: Identity, server?: string): Promise<void> {
  const method = (body as { method?: unknown } | undefined)?.method;
  const isListen = method === 'subscriptions/listen';
  const identity = caller ?? anonymousIdentity(clientNameFromEnvelope(body) ?? 'client');
  const ids = isListen ? [] : requestIds(body);
  openStatelessEntry(ctx, res, identity, async (text) => finalError(res, body, ids, text), isListen ? 'stream' : 'call');
  if (isListen) {
    // A listen stream only ends when the client or close() ends it.
    ctx.answering.delete(res);
    exemptFromTimeouts(req);
  }
  // A listen stream asking for resource updates: subscribe the owning backends while it is open.
  const uris = listenResourceUris(body);
  if (uris.length) {
    const release = await ctx.router.listenResources(uris, 'stateless', { ...(server ? { server } : {}), identity: caller });
    if (release) res.once('close', () => void release());
  }
  const authInfo = caller ? { token: '', clientId: caller.client, scopes: [...caller.roles], extra: { identity: caller } } : undefined;
  const answer = handler.fetch(request, { parsedBody: body, ...(authInfo ? { authInfo } : {}) });
  // A listen stream is a stream from its first byte; a call becomes one if it runs long (early-stream.ts).
  if (isListen) return writeWebResponse(res, await answer, streamBound(ctx, identity.client));
  return writeWhenReady(req, res, answer, streamBound(ctx, identity.client));
}

/**
 * A stateless request's entry in the session registry, for as long as its response is open: a call
 * (or a listen stream), answered with `failPending`'s final error if the gateway stops under it.
 */
export function openStatelessEntry(ctx: InboundContext, res: ServerResponse, identity: Identity, failPending: (text: string) => Promise<number>, kind: 'call' | 'stream' = 'call'): void {
  const session = ctx.registry.open({
    era: 'modern',
    transport: 'stateless',
    identity,
    peer: {
      notifyListChanged: () => undefined,
      notifyResourceUpdated: () => undefined,
      failPending: (text = SHUTDOWN_MESSAGE) => failPending(text),
    },
  });
  const done = kind === 'stream' ? ctx.registry.openStream(session.id) : ctx.registry.beginCall(session.id);
  res.once('close', () => {
    done();
    ctx.registry.close(session.id, 'disconnected');
  });
}

/** Writes the final JSON-RPC error in whatever shape the response already has; returns how many calls it answered. */
function finalError(res: ServerResponse, body: unknown, ids: Array<string | number>, text: string): number {
  if (!ids.length || res.writableEnded || res.destroyed) return 0;
  const errors = ids.map((id) => ({ jsonrpc: '2.0', id, error: { code: SHUTDOWN_ERROR_CODE, message: text } }));
  if (!res.headersSent) {
    sendJson(res, 200, Array.isArray(body) ? errors : errors[0]);
  } else if (String(res.getHeader('content-type') ?? '').includes('text/event-stream')) {
    for (const e of errors) res.write(`event: message\ndata: ${JSON.stringify(e)}\n\n`);
    res.end();
  } else {
    res.end();
  }
  return ids.length;
}

function clientNameFromEnvelope(body: unknown): string | undefined {
  const meta = (body as { params?: { _meta?: Record<string, unknown> } } | undefined)?.params?._meta;
  const info = meta?.[CLIENT_INFO_META_KEY] as { name?: unknown } | undefined;
  return typeof info?.name === 'string' && info.name ? info.name.slice(0, 200) : undefined;
}
