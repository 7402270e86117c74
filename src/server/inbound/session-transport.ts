import type { JSONRPCMessage, Server, Transport, TransportSendOptions } from '@modelcontextprotocol/server';
import type { SessionPeer, SessionRegistry } from '../sessions.js';

type RequestId = string | number;
type Send = (message: JSONRPCMessage, options?: TransportSendOptions) => Promise<void>;

/** The code of the final error a call gets when the gateway stops under it (server-defined range). */
export const SHUTDOWN_ERROR_CODE = -32000;
export const SHUTDOWN_MESSAGE = 'The gateway is shutting down; this call did not finish. Call it again when the gateway is back.';

export interface CallTracker {
  /** Every client message is activity; a request is in flight until answered or cancelled. */
  fromClient(message: JSONRPCMessage): void;
  /** A response going out settles its request. */
  toClient(message: JSONRPCMessage): void;
  failPending(message?: string): Promise<number>;
}

/** Counts one session's unanswered client requests in the registry, and can answer them all at shutdown. */
export function callTracker(registry: SessionRegistry, sessionId: string, send: Send): CallTracker {
  const pending = new Map<RequestId, () => void>();
  const settle = (id: RequestId | undefined) => {
    if (id === undefined) return;
    pending.get(id)?.();
    pending.delete(id);
  };
  return {
    fromClient(message) {
      registry.touch(sessionId);
      const m = message as { id?: RequestId; method?: string; params?: { requestId?: RequestId } };
      if (m.method !== undefined && m.id !== undefined && !pending.has(m.id)) pending.set(m.id, registry.beginCall(sessionId));
      else if (m.method === 'notifications/cancelled') settle(m.params?.requestId);
    },
    toClient(message) {
      const m = message as { id?: RequestId; method?: string };
      if (m.method === undefined) settle(m.id);
    },
    async failPending(text = SHUTDOWN_MESSAGE) {
      const ids = [...pending.keys()];
      await Promise.allSettled(
        ids.map((id) => {
          settle(id);
          return send({ jsonrpc: '2.0', id, error: { code: SHUTDOWN_ERROR_CODE, message: text } } as JSONRPCMessage, { relatedRequestId: id });
        }),
      );
      return ids.length;
    },
  };
}

/**
 * Watches a session's transport for the registry. Set before server.connect(): the SDK chains
 * the onmessage handler it finds on the transport, and sends through the (wrapped) send.
 */
export function trackSessionTransport(transport: Transport, server: Server, registry: SessionRegistry, sessionId: string): SessionPeer {
  const send = transport.send.bind(transport) as Send;
  const tracker = callTracker(registry, sessionId, send);
  transport.onmessage = (message: JSONRPCMessage) => tracker.fromClient(message);
  transport.send = (message, options) => {
    tracker.toClient(message);
    return send(message, options);
  };
  return serverPeer(server, tracker);
}

export function serverPeer(server: Server | (() => Iterable<Server>), tracker: CallTracker): SessionPeer {
  const each = (fn: (s: Server) => Promise<void> | void) => {
    for (const s of typeof server === 'function' ? server() : [server]) void Promise.resolve(fn(s)).catch(() => undefined);
  };
  return {
    notifyListChanged(kind) {
      each((s) => (kind === 'tools' ? s.sendToolListChanged() : kind === 'prompts' ? s.sendPromptListChanged() : s.sendResourceListChanged()));
    },
    notifyResourceUpdated(uri) {
      each((s) => s.sendResourceUpdated({ uri }));
    },
    failPending: (text) => tracker.failPending(text),
  };
}
