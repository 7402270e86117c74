/**
 * The cluster's Redis side (issue 12): a pub/sub channel every replica hears (reloads, catalog
 * changes, token revocations, alias counts), a heartbeat key per replica with a short TTL (so a
 * replica can tell that a session's owner is gone), and the stored initialize params of each 2025
 * session (so a replica taking a session over can re-create it). ioredis is loaded only here.
 */
import type { Redis } from 'ioredis';
import type { ReplicaIdentity } from './replica.js';

export const CLUSTER_CHANNEL = 'gatehouse:cluster';
export type ClusterMessageKind = 'config.reloaded' | 'catalog.changed' | 'token.revoked' | 'alias.used';

export interface ClusterMessage {
  kind: ClusterMessageKind;
  /** The replica that published it; a replica ignores its own. */
  from: string;
  data?: Record<string, unknown>;
}

export interface ClusterBusOptions {
  /** Heartbeat TTL (default 6 s); renewed every third of it. */
  heartbeatTtlMs?: number;
  /** How long a session's stored initialize params live without a touch (default 1 h). */
  sessionTtlMs?: number;
}

const heartbeatKey = (id: string) => `gatehouse:replica:${id}`;
const sessionKey = (sealed: string) => `gatehouse:session:${sealed}`;
const takeoverKey = (sealed: string, deadOwner: string) => `gatehouse:takeover:${sealed}:${deadOwner}`;

export class ClusterBus {
  private readonly handlers = new Set<(m: ClusterMessage) => void>();
  private beat: NodeJS.Timeout | undefined;
  private readonly ttl: number;
  private readonly sessionTtl: number;

  constructor(
    readonly replica: ReplicaIdentity,
    private readonly cmd: Redis,
    private readonly sub: Redis,
    opts: ClusterBusOptions = {},
  ) {
    this.ttl = opts.heartbeatTtlMs ?? 6_000;
    this.sessionTtl = opts.sessionTtlMs ?? 3_600_000;
    sub.on('message', (channel: string, raw: string) => {
      if (channel !== CLUSTER_CHANNEL) return;
      let m: ClusterMessage;
      try {
        m = JSON.parse(raw) as ClusterMessage;
      } catch {
        return;
      }
      if (!m || typeof m.kind !== 'string' || typeof m.from !== 'string' || m.from === replica.id) return;
      for (const h of this.handlers) h(m);
    });
  }

  /** Calls `handler` for every message another replica publishes; returns the unsubscribe. */
  onMessage(handler: (m: ClusterMessage) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async publish(kind: ClusterMessageKind, data?: Record<string, unknown>): Promise<void> {
    await this.cmd.publish(CLUSTER_CHANNEL, JSON.stringify({ kind, from: this.replica.id, data } satisfies ClusterMessage));
  }

  /** Writes the heartbeat now and renews it until close(). */
  async startHeartbeat(): Promise<void> {
    const write = () => this.cmd.set(heartbeatKey(this.replica.id), this.replica.where ?? '', 'PX', this.ttl);
    await write().catch(() => undefined);
    this.beat = setInterval(() => void write().catch(() => undefined), Math.max(100, Math.floor(this.ttl / 3)));
    this.beat.unref();
  }

  /** Stops renewing without removing the key (what a crash amounts to): it lapses after the TTL. */
  stopHeartbeat(): void {
    clearInterval(this.beat);
    this.beat = undefined;
  }

  async isAlive(replicaId: string): Promise<boolean> {
    return (await this.cmd.exists(heartbeatKey(replicaId))) === 1;
  }

  /** The address a live replica advertises in its heartbeat; undefined when it is gone (or advertised none). */
  async addressOf(replicaId: string): Promise<string | undefined> {
    return (await this.cmd.get(heartbeatKey(replicaId))) || undefined;
  }

  /**
   * Claims a dead replica's session for this one (SET NX): true for exactly one claimant. The
   * claim names the new owner, so the others forward to it; it lives as long as a stored session.
   */
  async claimSession(sealedId: string, deadOwner: string): Promise<boolean> {
    return (await this.cmd.set(takeoverKey(sealedId, deadOwner), this.replica.id, 'PX', this.sessionTtl, 'NX')) === 'OK';
  }

  /** Gives a claim back (the takeover failed), so another replica may try. */
  async releaseClaim(sealedId: string, deadOwner: string): Promise<void> {
    await this.cmd.del(takeoverKey(sealedId, deadOwner));
  }

  /** Which replica claimed a dead owner's session, if any. */
  async claimant(sealedId: string, deadOwner: string): Promise<string | undefined> {
    return (await this.cmd.get(takeoverKey(sealedId, deadOwner))) ?? undefined;
  }

  /** Renews a stored session (and its claim) while the session is in use. */
  async touchSession(sealedId: string, owner: string): Promise<void> {
    await this.cmd.pexpire(sessionKey(sealedId), this.sessionTtl);
    await this.cmd.pexpire(takeoverKey(sealedId, owner), this.sessionTtl);
  }

  /** Keeps what a session needs to be re-created elsewhere: its initialize params (client capabilities, info, version). */
  async saveSession(sealedId: string, init: Record<string, unknown>): Promise<void> {
    await this.cmd.set(sessionKey(sealedId), JSON.stringify(init), 'PX', this.sessionTtl);
  }

  async loadSession(sealedId: string): Promise<Record<string, unknown> | undefined> {
    const raw = await this.cmd.get(sessionKey(sealedId));
    return raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
  }

  async dropSession(sealedId: string): Promise<void> {
    await this.cmd.del(sessionKey(sealedId));
  }

  /** Stops the heartbeat and removes it (a clean stop: others take over at once), then disconnects. */
  async close(): Promise<void> {
    clearInterval(this.beat);
    await this.cmd.del(heartbeatKey(this.replica.id)).catch(() => undefined);
    this.sub.disconnect(false);
    this.cmd.disconnect(false);
  }
}

/** Connects both connections (a subscriber cannot send commands) and subscribes to the channel. */
export async function openClusterBus(url: string, replica: ReplicaIdentity, opts?: ClusterBusOptions): Promise<ClusterBus> {
  const { Redis } = await import('ioredis');
  const make = () => new Redis(url, { lazyConnect: true, connectTimeout: 2_000, commandTimeout: 2_000, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(100 * n, 2_000) });
  const cmd = make();
  const sub = make();
  // A Redis that is down at start must not stop the gateway (rate limits fail open the same way):
  // ioredis reconnects in the background, and the subscription is made again when it is back.
  for (const r of [cmd, sub]) r.on('error', () => undefined);
  await Promise.all([cmd.connect().catch(() => undefined), sub.connect().catch(() => undefined)]);
  void sub.subscribe(CLUSTER_CHANNEL).catch(() => undefined);
  return new ClusterBus(replica, cmd, sub, opts);
}
