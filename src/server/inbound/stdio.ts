import type { JSONRPCMessage, Server, Transport } from '@modelcontextprotocol/server';
import { listenResourceUris, type Router } from '../router.js';

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
export async function serveStdioInbound(router: Router): Promise<StdioInbound> {
  const { serveStdio, StdioServerTransport } = await import('@modelcontextprotocol/server/stdio');
  // The pinned instance of either era: notifications sent on a 2026-07-28 instance reach the client's
  // subscriptions/listen streams that asked for them.
  const servers = new Set<Server>();
  const subscriptions = new Set<string>();
  let era: 'legacy' | 'modern' | undefined;
  const transport = new StdioServerTransport();
  const listens = watchListens(transport, router);
  const handle = serveStdio(
    (ctx) => {
      const server = router.createServer({ era: ctx.era, transport: 'stdio', sessionId: STDIO_SESSION });
      era = ctx.era;
      servers.add(server);
      return server;
    },
    { transport },
  );
  const send = (fn: (s: Server) => Promise<void> | void) => {
    for (const s of servers) void Promise.resolve(fn(s)).catch(() => undefined);
  };
  return {
    close: async () => {
      await listens.releaseAll();
      await handle.close();
    },
    notifyListChanged(kind) {
      send((s) => (kind === 'tools' ? s.sendToolListChanged() : kind === 'prompts' ? s.sendPromptListChanged() : s.sendResourceListChanged()));
    },
    notifyResourceUpdated(uri, sessionKey) {
      if (sessionKey && sessionKey !== STDIO_SESSION) return;
      if (era === 'legacy' && !subscriptions.has(uri)) return;
      send((s) => s.sendResourceUpdated({ uri }));
    },
    trackSubscription(sessionKey, uri, subscribed) {
      if (sessionKey !== STDIO_SESSION) return;
      if (subscribed) subscriptions.add(uri);
      else subscriptions.delete(uri);
    },
  };
}

/**
 * The SDK serves a 2026-07-28 client's `subscriptions/listen` without telling the server; watch the
 * client's messages so the backends owning the URIs it asks about are subscribed while the stream is
 * open (until its notifications/cancelled). A listen is delivered only once the backends are
 * subscribed, and later messages wait behind it, so order is kept and no early update is missed.
 */
function watchListens(transport: Transport, router: Router): { releaseAll(): Promise<void> } {
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
    if (m.method === 'notifications/cancelled' && m.params?.requestId !== undefined) void release(m.params.requestId);
    const uris = m.id !== undefined ? listenResourceUris(message) : [];
    const pass = () => (deliver as (msg: JSONRPCMessage, extra?: unknown) => void | undefined)?.(message, extra);
    if (!uris.length && !queue) return pass();
    const next = (queue ?? Promise.resolve()).then(async () => {
      if (uris.length) {
        const r = router.listenResources(uris, STDIO_SESSION);
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
