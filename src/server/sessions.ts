import { randomUUID } from 'node:crypto';
import type { EventBus, GatewayEvents } from '../core/events.js';
import type { AdminSession } from '../core/admin/contract.js';
import type { Identity } from '../core/identity.js';

export const SESSION_DEFAULTS = { idleTimeout: 1_800, max: 1_000, maxPerClient: 100 };

export type SessionTransport = 'streamable-http' | 'sse' | 'stdio' | 'stateless';
export type SessionEra = 'legacy' | 'modern';
export type SessionCloseReason = NonNullable<GatewayEvents['session.closed']['reason']>;

export interface SessionLimits {
  /** Seconds without traffic before an idle session expires. */
  idleTimeout?: number;
  max?: number;
  maxPerClient?: number;
}

/**
 * One client session, whatever carries it. Adapters own the transport; the registry owns the
 * bookkeeping and decides when a session ends (expiry, eviction), then calls `end` so the adapter
 * tears its transport down.
 */
export interface Session {
  readonly id: string;
  era: SessionEra;
  readonly transport: SessionTransport;
  identity: Identity;
  readonly subscriptions: Set<string>;
  readonly createdAt: number;
  lastActivity: number;
  /** Client requests not yet answered. */
  inFlight: number;
  /** Open server-to-client streams (a 2025 GET stream, a listen stream, a stdio pipe). */
  streams: number;
  peer?: SessionPeer;
}

/** How the gateway reaches a session's client; the adapter that carries the session provides it. */
export interface SessionPeer {
  notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): void;
  notifyResourceUpdated(uri: string): void;
  /** Answers every request still in flight with a final JSON-RPC error; resolves to how many. */
  failPending(message?: string): Promise<number>;
}

/** What the dashboard, admin API and status read: a plain copy, no handles (the admin contract's shape). */
export interface SessionSnapshot extends AdminSession {
  era: SessionEra;
  transport: SessionTransport;
  via: Identity['via'];
}

export interface OpenSession {
  id?: string;
  era: SessionEra;
  transport: SessionTransport;
  identity: Identity;
  peer?: SessionPeer;
  /** Tears the adapter's side down; called once when the registry ends the session. */
  end?: (reason: SessionCloseReason) => void;
}

/** A refusal the adapter turns into 503 + Retry-After. */
export interface Refusal {
  limit: 'max' | 'maxPerClient';
  cap: number;
  retryAfterSec: number;
  message: string;
}

interface Entry {
  session: Session;
  end?: (reason: SessionCloseReason) => void;
}

const RETRY_AFTER_SEC = 5;

/**
 * The one place that knows every client session. Sessions are kept in least-recently-used order
 * (a Map re-inserted on activity), so eviction takes the first idle entry it meets. Stateless
 * requests are listed for the dashboard but never count against the caps: they end with their
 * request, and the connection limits bound them.
 */
export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly perClient = new Map<string, number>();
  private counted = 0;
  private sweeper?: NodeJS.Timeout;
  private limits: Required<SessionLimits>;
  /** Called after a session ended (the gateway releases per-session backend connections). */
  onEnded?: (session: Session, reason: SessionCloseReason) => void;

  constructor(
    private readonly bus: EventBus,
    limits: SessionLimits = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...SESSION_DEFAULTS, ...stripUndefined(limits) };
    this.schedule();
  }

  /** New limits apply to the next admission and sweep; sessions already open stay open. */
  configure(limits: SessionLimits): void {
    this.limits = { ...SESSION_DEFAULTS, ...stripUndefined(limits) };
    this.schedule();
  }

  get size(): number {
    return this.counted;
  }

  get(id: string): Session | undefined {
    return this.entries.get(id)?.session;
  }

  /**
   * Makes room for one more session of this identity, evicting the least recently used idle
   * session when a cap is reached. Returns a refusal when every session under the cap is busy.
   */
  admit(identity: Identity): Refusal | undefined {
    const key = clientKey(identity);
    if ((this.perClient.get(key) ?? 0) >= this.limits.maxPerClient) {
      const victim = this.lruIdle((s) => clientKey(s.identity) === key);
      if (!victim) return this.refuse(identity, 'maxPerClient', this.limits.maxPerClient);
      this.close(victim.id, 'evicted');
    }
    if (this.counted >= this.limits.max) {
      const victim = this.lruIdle();
      if (!victim) return this.refuse(identity, 'max', this.limits.max);
      this.close(victim.id, 'evicted');
    }
    return undefined;
  }

  /** Registers a session; call admit() first for anything that counts against the caps. */
  open(o: OpenSession): Session {
    const at = this.now();
    const session: Session = {
      id: o.id ?? randomUUID(),
      era: o.era,
      transport: o.transport,
      identity: o.identity,
      subscriptions: new Set(),
      createdAt: at,
      lastActivity: at,
      inFlight: 0,
      streams: 0,
      ...(o.peer ? { peer: o.peer } : {}),
    };
    this.entries.set(session.id, { session, end: o.end });
    if (counts(session)) {
      this.counted++;
      const key = clientKey(session.identity);
      this.perClient.set(key, (this.perClient.get(key) ?? 0) + 1);
    }
    return session;
  }

  /** Emits session.opened; adapters call it once the client's name is known. */
  announce(session: Session): void {
    if (!this.entries.has(session.id)) return;
    this.bus.emit('session.opened', { sessionId: session.id, client: session.identity.client, era: session.era, transport: session.transport });
  }

  /** Traffic on a session: it moves to the most recently used end. */
  touch(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.session.lastActivity = this.now();
    this.entries.delete(id);
    this.entries.set(id, e);
  }

  /** A client request started; the returned function marks it answered (idempotent). */
  beginCall(id: string): () => void {
    return this.hold(id, 'inFlight');
  }

  /** A stream opened; the returned function marks it closed (idempotent). */
  openStream(id: string): () => void {
    return this.hold(id, 'streams');
  }

  /** A stdio client whose identity the first message names. */
  rename(id: string, client: string): void {
    const e = this.entries.get(id);
    if (!e || e.session.identity.client === client) return;
    const before = clientKey(e.session.identity);
    e.session.identity = { ...e.session.identity, client };
    if (counts(e.session)) {
      this.decrementClient(before);
      const key = clientKey(e.session.identity);
      this.perClient.set(key, (this.perClient.get(key) ?? 0) + 1);
    }
  }

  /** Ends a session; the adapter's `end` runs, then session.closed and onEnded. */
  close(id: string, reason: SessionCloseReason): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    this.entries.delete(id);
    if (counts(e.session)) {
      this.counted--;
      this.decrementClient(clientKey(e.session.identity));
    }
    try {
      e.end?.(reason);
    } catch {
      // A transport that fails to close must not keep the session in the registry.
    }
    if (e.session.transport !== 'stateless') this.bus.emit('session.closed', { sessionId: id, client: e.session.identity.client, reason });
    this.onEnded?.(e.session, reason);
    return true;
  }

  /** Ends idle sessions whose last traffic is older than the idle timeout; returns how many. */
  sweep(): number {
    const cutoff = this.now() - this.limits.idleTimeout * 1000;
    const expired: string[] = [];
    // LRU order: the oldest activity comes first, so the scan stops at the first recent entry.
    for (const { session } of this.entries.values()) {
      if (session.lastActivity > cutoff) break;
      if (isIdle(session)) expired.push(session.id);
    }
    for (const id of expired) this.close(id, 'expired');
    return expired.length;
  }

  list(): SessionSnapshot[] {
    return [...this.entries.values()].map(({ session: s }) => ({
      id: s.id,
      era: s.era,
      transport: s.transport,
      client: s.identity.client,
      ...(s.identity.subject ? { subject: s.identity.subject } : {}),
      via: s.identity.via,
      roles: [...s.identity.roles],
      subscriptions: [...s.subscriptions],
      createdAt: new Date(s.createdAt).toISOString(),
      lastActivity: new Date(s.lastActivity).toISOString(),
      inFlight: s.inFlight,
      streams: s.streams,
    }));
  }

  /** Every session, most recently used last (adapters broadcast list_changed over them). */
  *sessions(): IterableIterator<Session> {
    for (const e of this.entries.values()) yield e.session;
  }

  /** Every request still unanswered, in every session, gets a final error (the drain is over). */
  async failPending(message?: string): Promise<number> {
    const counts = await Promise.all([...this.entries.values()].map((e) => e.session.peer?.failPending(message).catch(() => 0) ?? 0));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Ends every session (the gateway is stopping) and stops the sweeper. */
  closeAll(reason: SessionCloseReason = 'shutdown'): void {
    for (const id of [...this.entries.keys()]) this.close(id, reason);
  }

  dispose(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private hold(id: string, field: 'inFlight' | 'streams'): () => void {
    const e = this.entries.get(id);
    if (!e) return () => undefined;
    e.session[field]++;
    this.touch(id);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      e.session[field] = Math.max(0, e.session[field] - 1);
      // The end of a call or stream is activity too: idle time counts from when it went quiet.
      this.touch(id);
    };
  }

  private lruIdle(pred: (s: Session) => boolean = () => true): Session | undefined {
    for (const { session } of this.entries.values()) if (counts(session) && isIdle(session) && pred(session)) return session;
    return undefined;
  }

  private refuse(identity: Identity, limit: Refusal['limit'], cap: number): Refusal {
    this.bus.emit('session.refused', { client: identity.client, limit, cap });
    const what = limit === 'max' ? `gateway.sessions.max (${cap})` : `gateway.sessions.maxPerClient (${cap}) for client "${identity.client}"`;
    return {
      limit,
      cap,
      retryAfterSec: RETRY_AFTER_SEC,
      message: `Session limit reached: ${what}, and every session is busy. Retry later, close unused sessions, or raise the limit in gatehouse.yaml.`,
    };
  }

  private decrementClient(key: string): void {
    const n = (this.perClient.get(key) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(key);
    else this.perClient.set(key, n);
  }

  private schedule(): void {
    clearInterval(this.sweeper);
    // Often enough that a session outlives its timeout by at most a quarter of it (and 30 s).
    const every = Math.max(50, Math.min(30_000, (this.limits.idleTimeout * 1000) / 4));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }
}

function counts(s: Session): boolean {
  return s.transport !== 'stateless';
}

function isIdle(s: Session): boolean {
  return s.inFlight === 0 && s.streams === 0;
}

/** Sessions are counted per credential when there is one, so two tokens for one name are two clients. */
function clientKey(identity: Identity): string {
  return identity.credentialId ? `cred:${identity.credentialId}` : `name:${identity.client}`;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
