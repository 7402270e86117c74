import type { JSONRPCMessage, Server, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import { EventBus } from '../../core/events.js';
import { anonymousIdentity } from '../../core/identity.js';
import { listenResourceUris, type Router } from '../router.js';
import { SessionRegistry, type Session } from '../sessions.js';
import { callTracker, serverPeer, type CallTracker } from './session-transport.js';

/** The one session a `serve --stdio` client has, whatever its era. */
export const STDIO_SESSION = 'stdio';

export interface StdioInbound {
  close(): Promise<void>;
  /** list_changed to the client (2025: a notification; 2026-07-28: on its subscriptions/listen stream). */
  notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): void;
  /** A backend resource update; a 2025 client gets it only for URIs it subscribed to. */
  notifyResourceUpdated(uri: string, sessionKey?: string): void;
  trackSubscription(sessionKey: string, uri: string, subscribed: boolean): void;
}

/**
 * `serve --stdio`: one client that launched us speaks MCP on stdin/stdout, in either era (the SDK's
 * serveStdio binds the era from the first message and pins one server instance for the connection).
 * Logs must go to stderr.
 */
export async function serveStdioInbound(router: Router, registry: SessionRegistry = new SessionRegistry(new EventBus()), server?: string): Promise<StdioInbound> {
  const { serveStdio, StdioServerTransport } = await import('@modelcontextprotocol/server/stdio');
  // The pinned instance of either era: notifications sent on a 2026-07-28 instance reach the client's
  // subscriptions/listen streams that asked for them.
  const servers = new Set<Server>();
  let era: 'legacy' | 'modern' | undefined;
  const transport = new StdioServerTransport();
  const send = transport.send.bind(transport) as (m: JSONRPCMessage, o?: TransportSendOptions) => Promise<void>;
  const tracker = callTracker(registry, STDIO_SESSION, send);
  transport.send = (message: JSONRPCMessage) => {
    tracker.toClient(message);
    return send(message);
  };
  // The one client that launched us holds its pipe open for the whole run: never idle, never evicted.
  const session: Session = registry.open({ id: STDIO_SESSION, era: 'legacy', transport: 'stdio', identity: anonymousIdentity('stdio-client', 'stdio'), peer: serverPeer(() => servers, tracker) });
  const endPipe = registry.openStream(STDIO_SESSION);
  const listens = watchListens(transport, router, tracker, server);
  let announced = false;
  const handle = serveStdio(
    (ctx) => {
      const instance = router.createServer({ era: ctx.era, transport: 'stdio', sessionId: STDIO_SESSION, identity: session.identity, ...(server ? { server } : {}) });
      era = ctx.era;
      session.era = ctx.era;
      servers.add(instance);
      instance.oninitialized = () => {
        const name = instance.getClientVersion()?.name;
        if (name) registry.rename(STDIO_SESSION, name);
      };
      if (!announced) {
        announced = true;
        queueMicrotask(() => registry.announce(session));
      }
      return instance;
    },
    { transport },
  );
  return {
    close: async () => {
      await listens.releaseAll();
      await tracker.failPending();
      endPipe();
      await handle.close();
      registry.close(STDIO_SESSION, 'disconnected');
    },
    notifyListChanged(kind) {
      session.peer?.notifyListChanged(kind);
    },
    notifyResourceUpdated(uri, sessionKey) {
      if (sessionKey && sessionKey !== STDIO_SESSION) return;
      if (era === 'legacy' && !session.subscriptions.has(uri)) return;
      session.peer?.notifyResourceUpdated(uri);
    },
    trackSubscription(sessionKey, uri, subscribed) {
      if (sessionKey !== STDIO_SESSION) return;
      if (subscribed) session.subscriptions.add(uri);
      else session.subscriptions.delete(uri);
    },
  };
}

/**
 * The SDK serves a 2026-07-28 client's `subscriptions/listen` without telling the server; watch the
 * client's messages so the backends owning the URIs it asks about are subscribed while the stream is
 * open (until its notifications/cancelled). A listen is delivered only once the backends are
 * subscribed, and later messages wait behind it, so order is kept and no early update is missed.
 */
function watchListens(transport: Transport, router: Router, tracker: CallTracker, server?: string): { releaseAll(): Promise<void> } {
  const releases = new Map<string | number, Promise<(() => Promise<void>) | undefined>>();
  let deliver: Transport['onmessage'];
  let queue: Promise<void> | undefined;
  const release = (id: string | number) => {
    const r = releases.get(id);
    releases.delete(id);
    return r?.then((fn) => fn?.());
  };
  const onMessage = (message: JSONRPCMessage, extra?: unknown) => {
    const m = message as { id?: string | number; method?: string; params?: { requestId?: string | number } };
    // A listen is a stream, not a call in flight: a final shutdown error is for calls.
    if (m.method !== 'subscriptions/listen') tracker.fromClient(message);
    if (m.method === 'notifications/cancelled' && m.params?.requestId !== undefined) void release(m.params.requestId);
    const uris = m.id !== undefined ? listenResourceUris(message) : [];
    const pass = () => (deliver as (msg: JSONRPCMessage, extra?: unknown) => void | undefined)?.(message, extra);
    if (!uris.length && !queue) return pass();
    const next = (queue ?? Promise.resolve()).then(async () => {
      if (uris.length) {
        const r = router.listenResources(uris, STDIO_SESSION, server ? { server } : undefined);
        releases.set(m.id!, r);
        await r;
      }
      pass();
    });
    queue = next;
    void next.finally(() => {
      if (queue === next) queue = undefined;
    });
  };
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () => deliver && onMessage,
    set: (h: Transport['onmessage']) => {
      deliver = h;
    },
  });
  return {
    releaseAll: async () => {
      await Promise.allSettled([...releases.keys()].map(release));
    },
  };
}
