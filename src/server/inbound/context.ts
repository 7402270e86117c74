import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBus } from '../../core/events.js';
import type { Identity } from '../../core/identity.js';
import type { Router } from '../router.js';
import type { SessionRegistry, Session } from '../sessions.js';
import type { InboundLimits } from './guards.js';
import type { StreamBound } from './web.js';

/** What every inbound adapter shares: the router it serves, the one session registry, the bus, the limits. */
export interface InboundContext {
  router: Router;
  registry: SessionRegistry;
  bus: EventBus;
  limits: InboundLimits;
  /** POSTs whose answer is still being written; close() lets them finish. */
  answering: Set<ServerResponse>;
  /** Whether the message-level fast path serves the requests it can (fast-modern.ts, fast-session.ts). */
  fastPath: boolean;
  /** Several replicas (issue 12): set once the gateway joined its cluster with sealed session ids. */
  cluster?: ClusterInbound;
}

/** Marks a request one replica sent another (cluster forwarding): it is never forwarded again. */
export const FORWARDED_HEADER = 'x-gatehouse-forwarded';

/** What a 2025 session needs to be re-created on another replica (cluster/sessions.ts stores it in Redis). */
export interface SavedSession {
  /** The client's initialize params, replayed as they were. */
  init: Record<string, unknown>;
  identity: Pick<Identity, 'client' | 'via' | 'roles' | 'credentialId' | 'subject'>;
  /** The virtual server it was opened on. */
  server?: string;
  logLevel?: string;
  subscriptions: string[];
}

export type ClusterRoute = { kind: 'local' } | { kind: 'forward'; url: string; owner: string } | { kind: 'unknown' };

/** The inbound side of the cluster: sealed ids, where a session lives, and re-creating one whose owner is gone. */
export interface ClusterInbound {
  readonly replicaId: string;
  newSessionId(): string;
  /** A session id this replica does not hold: forward it, take it over (recreate), or it is unknown. */
  route(sessionId: string, o: { forwarded: boolean; accept: (saved: SavedSession) => boolean; recreate: (saved: SavedSession) => Promise<boolean> }): Promise<ClusterRoute>;
  /** Stores (or updates) what a session this replica owns needs elsewhere. */
  remember(sessionId: string, saved: SavedSession): void;
  /** A client message on a session: keeps its log level and subscriptions, and its stored copy alive. */
  observe(sessionId: string, message: unknown): void;
  /**
   * A modern request that continues a held call (an input_required round's requestState) another
   * replica holds: forwards it, or answers that the holder is gone. False: not such a request.
   */
  handleHeld(req: IncomingMessage, res: ServerResponse, body: { text: string; json: unknown }): Promise<boolean>;
  /** Proxies one request to the replica at `url` (its body already read); answers a clear error if it fails. */
  forward(url: string, owner: string, req: IncomingMessage, res: ServerResponse, body?: { text: string; json: unknown }): Promise<void>;
}

/** The back-pressure bound for one response stream, reporting a drop on the bus. */
export function streamBound(ctx: InboundContext, client: string, sessionId?: string): StreamBound {
  return {
    limitBytes: ctx.limits.maxStreamBufferBytes,
    keepAliveMs: ctx.limits.keepAliveInterval * 1000,
    onDropped: (bufferedBytes) => {
      // The session's name may have been learnt after the stream opened (an SSE client's initialize).
      const name = (sessionId && ctx.registry.get(sessionId)?.identity.client) || client;
      ctx.bus.emit('stream.dropped', { ...(sessionId ? { sessionId } : {}), client: name, bufferedBytes, limitBytes: ctx.limits.maxStreamBufferBytes });
    },
  };
}

/**
 * A later request belongs to the session only when it carries the credential that opened it; the
 * client name alone is not enough (a revoked and re-created token keeps the name).
 */
export function sameCaller(session: Pick<Session, 'identity'>, caller: Identity | undefined): boolean {
  if (!caller) return session.identity.via === 'none' || session.identity.via === 'stdio';
  if (session.identity.credentialId || caller.credentialId) return session.identity.credentialId === caller.credentialId;
  return session.identity.client === caller.client && session.identity.via === caller.via;
}
