import type { GatehouseConfig } from '../../core/config/schema.js';
import { UserError, errorMessage } from '../../core/errors.js';
import type { EventBus } from '../../core/events.js';
import { redactString } from '../../core/log/redact.js';
import { resolveValue, type SecretStore } from '../../core/secrets/resolve.js';
import { MemoryBucketStore, type BucketStore } from './bucket.js';
import { LimitSet, type Applicable, type CallFacts } from './rules.js';
import { REDIS_RETRY_MAX_MS } from './redis-store.js';

/** What the limiter says about one call. */
export type Verdict =
  | { ok: true }
  | { ok: false; kind: 'limited'; hit: Applicable; retryAfterSeconds: number }
  | { ok: false; kind: 'unavailable'; reason: string; retryAfterSeconds: number };

const ALLOW: Verdict = Object.freeze({ ok: true });

/** At most one `ratelimit.degraded` event this often while the shared store keeps failing. */
const DEGRADED_EVERY_MS = 5_000;

/** A configuration's limits and the store it needs, built before a (re)load commits to it. */
export interface PreparedLimits {
  limits: LimitSet;
  /** The resolved Redis URL, when limits are shared. */
  redisUrl?: string;
  failOpen: boolean;
  /** A store this configuration opened (a new Redis URL). */
  opened?: BucketStore;
}

export interface RateLimiterOptions {
  bus: EventBus;
  secrets?: SecretStore;
  /** The in-process store's clock (tests inject one). */
  now?: () => number;
}

/**
 * The gateway's rate limits: the compiled rules of the config being served, and where the buckets
 * live (this process, or Redis when `gateway.cluster.redis` is set). A reload swaps both in place.
 */
export class RateLimiter {
  private limits = new LimitSet({ version: 1, backends: {} });
  private readonly memory: MemoryBucketStore;
  private shared?: { url: string; store: BucketStore };
  private failOpen = true;
  private degradedAt = Number.NEGATIVE_INFINITY;
  private failing = false;
  private closed = false;

  constructor(private readonly opts: RateLimiterOptions) {
    this.memory = new MemoryBucketStore(opts.now);
  }

  /** Whether any limit is configured (without one, the step passes calls through untouched). */
  get active(): boolean {
    return !this.limits.empty;
  }

  get storeKind(): 'memory' | 'redis' {
    return this.shared ? 'redis' : 'memory';
  }

  /**
   * Everything that can fail about a new config, done before it is applied: its rules, the Redis
   * reference and a connection to a new Redis. A config without limits opens no connection.
   */
  async prepare(config: GatehouseConfig): Promise<PreparedLimits> {
    const limits = new LimitSet(config);
    const cluster = config.gateway?.cluster;
    const failOpen = cluster?.redisFailure !== 'closed';
    if (!cluster?.redis || limits.empty) return { limits, failOpen };
    const url = await resolveValue(cluster.redis, { store: this.opts.secrets });
    if (!/^rediss?:\/\/\S+$/.test(url)) {
      throw new UserError(`gateway.cluster.redis is not a Redis URL (${redactString(cluster.redis)} resolved to something else).`, {
        code: 'config_invalid',
        hint: 'Set it to redis://host:port (or rediss:// for TLS), or to an env:/secret: reference holding one.',
      });
    }
    if (this.shared?.url === url) return { limits, redisUrl: url, failOpen };
    const { openRedisStore } = await import('./redis-store.js');
    return { limits, redisUrl: url, failOpen, opened: await openRedisStore(url) };
  }

  /** Serves a prepared configuration from now on. In-process buckets carry over. */
  apply(next: PreparedLimits): void {
    const old = this.shared;
    if (next.opened && next.redisUrl) this.shared = { url: next.redisUrl, store: next.opened };
    else if (!next.redisUrl) this.shared = undefined;
    if (old && old !== this.shared) void old.store.close().catch(() => undefined);
    this.limits = next.limits;
    this.failOpen = next.failOpen;
  }

  /** Takes a token from every limit that applies to the call, or says which one is empty. */
  async check(facts: CallFacts): Promise<Verdict> {
    const applicable = this.limits.applicable(facts);
    if (applicable.length === 0) return ALLOW;
    const specs = applicable.map((a) => a.spec);
    const shared = this.shared;
    let result;
    try {
      result = await (shared ?? { store: this.memory }).store.take(specs);
    } catch (e) {
      return this.unavailable(shared?.store, e);
    }
    if (shared && this.failing) this.failing = false;
    if (result.ok) return ALLOW;
    return { ok: false, kind: 'limited', hit: applicable[result.index]!, retryAfterSeconds: Math.max(1, Math.ceil(result.retryAfterMs / 1000)) };
  }

  private unavailable(store: BucketStore | undefined, e: unknown): Verdict {
    const reason = redactString(`${store?.kind === 'redis' ? '' : 'The rate-limit store failed: '}${errorMessage(e)}`);
    const now = Date.now();
    if (!this.failing || now - this.degradedAt >= DEGRADED_EVERY_MS) {
      this.degradedAt = now;
      this.opts.bus.emit('ratelimit.degraded', { reason, failOpen: this.failOpen });
    }
    this.failing = true;
    if (this.failOpen) return ALLOW;
    return { ok: false, kind: 'unavailable', reason, retryAfterSeconds: Math.ceil(REDIS_RETRY_MAX_MS / 1000) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.shared?.store.close();
    await this.memory.close();
  }
}
