import type { ServerResponse } from 'node:http';
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
export function sameCaller(session: Session, caller: Identity | undefined): boolean {
  if (!caller) return session.identity.via === 'none' || session.identity.via === 'stdio';
  if (session.identity.credentialId || caller.credentialId) return session.identity.credentialId === caller.credentialId;
  return session.identity.client === caller.client && session.identity.via === caller.via;
}
