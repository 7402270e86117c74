/**
 * 2025 sessions across replicas (issue 12): sealed ids that name their owner, the owner found by its
 * heartbeat, and a takeover when it is gone. Loaded only with gateway.cluster.redis and .secret.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { EventBus } from '../../core/events.js';
import type { ClusterInbound, ClusterRoute, SavedSession } from '../inbound/context.js';
import type { ClusterBus } from './bus.js';
import { handleHeld } from './held.js';
import { forwardRequest } from './proxy.js';
import { openSessionId, sealSessionId } from './replica.js';

/** How often a session in use renews its stored copy in Redis (its TTL is the bus's sessionTtl). */
const TOUCH_EVERY_MS = 60_000;

export class ClusterSessions implements ClusterInbound {
  /** This replica's own copy of what it stored for each session it serves. */
  private readonly saved = new Map<string, { state: SavedSession; touched: number }>();
  /** Sessions being located or taken over here: a second request for one waits for the first. */
  private readonly resolving = new Map<string, Promise<ClusterRoute>>();

  constructor(
    private readonly bus: ClusterBus,
    private readonly key: Buffer,
    private readonly events: EventBus,
    /** Seals held calls' requestState (cluster/held.ts). */
    private readonly heldKey?: Buffer,
  ) {}

  get replicaId(): string {
    return this.bus.replica.id;
  }

  newSessionId(): string {
    return sealSessionId(this.key, this.replicaId, randomBytes(16).toString('base64url'));
  }

  route(sessionId: string, o: Parameters<ClusterInbound['route']>[1]): Promise<ClusterRoute> {
    // Requests for one session that arrive together here share one answer (a takeover starts once).
    const pending = this.resolving.get(sessionId);
    if (pending) return pending;
    const run = this.resolve(sessionId, o).finally(() => this.resolving.delete(sessionId));
    this.resolving.set(sessionId, run);
    return run;
  }

  private async resolve(sessionId: string, o: Parameters<ClusterInbound['route']>[1]): Promise<ClusterRoute> {
    const opened = openSessionId(this.key, sessionId);
    // A forged or foreign id is an unknown session, like any other id nobody holds.
    if (!opened) return { kind: 'unknown' };
    // Ours but not held: it ended here. A forwarded request is never sent on again (no loops).
    if (opened.owner === this.replicaId || o.forwarded) return { kind: 'unknown' };
    const at = await this.bus.addressOf(opened.owner).catch(() => undefined);
    if (at) return { kind: 'forward', url: at, owner: opened.owner };
    for (let attempt = 0; attempt < 2; attempt++) {
      const claimed = await this.bus.claimant(sessionId, opened.owner).catch(() => undefined);
      if (claimed) {
        if (claimed === this.replicaId) return { kind: 'unknown' };
        const there = await this.bus.addressOf(claimed).catch(() => undefined);
        return there ? { kind: 'forward', url: there, owner: claimed } : { kind: 'unknown' };
      }
      const saved = (await this.bus.loadSession(sessionId).catch(() => undefined)) as SavedSession | undefined;
      if (!saved || !o.accept(saved)) return { kind: 'unknown' };
      if (!(await this.bus.claimSession(sessionId, opened.owner).catch(() => false))) continue;
      const ok = await o.recreate(saved).catch(() => false);
      if (!ok) await this.bus.releaseClaim(sessionId, opened.owner).catch(() => undefined);
      if (ok) this.events.emit('session.taken_over', { sessionId, client: saved.identity.client, from: opened.owner, by: this.replicaId });
      return ok ? { kind: 'local' } : { kind: 'unknown' };
    }
    return { kind: 'unknown' };
  }

  remember(sessionId: string, state: SavedSession): void {
    this.saved.set(sessionId, { state, touched: Date.now() });
    void this.bus.saveSession(sessionId, state as unknown as Record<string, unknown>).catch(() => undefined);
  }

  observe(sessionId: string, message: unknown): void {
    const entry = this.saved.get(sessionId);
    if (!entry) return;
    let changed = false;
    for (const m of Array.isArray(message) ? message : [message]) {
      const r = m as { method?: unknown; params?: { level?: unknown; uri?: unknown } } | null;
      if (!r || typeof r.method !== 'string') continue;
      if (r.method === 'logging/setLevel' && typeof r.params?.level === 'string') {
        entry.state.logLevel = r.params.level;
        changed = true;
      } else if ((r.method === 'resources/subscribe' || r.method === 'resources/unsubscribe') && typeof r.params?.uri === 'string') {
        const subs = new Set(entry.state.subscriptions);
        if (r.method === 'resources/subscribe') subs.add(r.params.uri);
        else subs.delete(r.params.uri);
        entry.state.subscriptions = [...subs];
        changed = true;
      }
    }
    if (changed) return this.remember(sessionId, entry.state);
    if (Date.now() - entry.touched < TOUCH_EVERY_MS) return;
    entry.touched = Date.now();
    const owner = openSessionId(this.key, sessionId)?.owner;
    if (owner) void this.bus.touchSession(sessionId, owner).catch(() => undefined);
  }

  /** A session that ended for good (the client deleted it, it expired or was evicted): others must not revive it. */
  forget(sessionId: string, drop: boolean): void {
    this.saved.delete(sessionId);
    if (drop) void this.bus.dropSession(sessionId).catch(() => undefined);
  }

  handleHeld(req: IncomingMessage, res: ServerResponse, body: { text: string; json: unknown }): Promise<boolean> {
    return this.heldKey ? handleHeld(this.bus, this.heldKey, req, res, body) : Promise.resolve(false);
  }

  forward(url: string, owner: string, req: IncomingMessage, res: ServerResponse, body?: { text: string; json: unknown }): Promise<void> {
    return forwardRequest({ url, owner, self: this.replicaId }, req, res, body);
  }
}
