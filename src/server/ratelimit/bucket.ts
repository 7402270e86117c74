/**
 * Token buckets: each holds up to `capacity` tokens and gains `refillPerMs` per millisecond; a call
 * takes one. A bucket nobody has touched is full, so only partly used buckets need storing.
 */
export interface BucketSpec {
  /** Identifies the bucket in its store (rule and the values it is kept for). */
  key: string;
  capacity: number;
  refillPerMs: number;
}

/** A take succeeds for every bucket or for none; `index` is the first bucket that was empty. */
export type TakeResult = { ok: true } | { ok: false; index: number; retryAfterMs: number };

export const TAKEN: TakeResult = Object.freeze({ ok: true });

/** Where bucket state lives: this process, or Redis shared by several gateways. */
export interface BucketStore {
  readonly kind: 'memory' | 'redis';
  /** Takes one token from every bucket, or none when one of them is empty. May throw (Redis down). */
  take(specs: readonly BucketSpec[]): TakeResult | Promise<TakeResult>;
  close(): Promise<void>;
}

/** Floating-point slack: a bucket refilled to 0.9999999999 by rounding holds a whole token. */
const EPSILON = 1e-9;

/** The tokens a bucket holds at `now`, given what it held at `at`. */
export function refilled(tokens: number, at: number, now: number, spec: BucketSpec): number {
  if (now <= at) return tokens;
  return Math.min(spec.capacity, tokens + (now - at) * spec.refillPerMs);
}

/** Milliseconds until a bucket holding `tokens` holds one whole token again (0 when it does). */
export function msUntilToken(tokens: number, spec: BucketSpec): number {
  const missing = 1 - tokens - EPSILON;
  return missing <= 0 ? 0 : Math.ceil(missing / spec.refillPerMs);
}

export function hasToken(tokens: number): boolean {
  return tokens + EPSILON >= 1;
}

interface BucketState {
  tokens: number;
  at: number;
  /** The spec it was last used with, so a sweep can tell when it is full again. */
  spec: BucketSpec;
}

/**
 * Buckets in this process. Full buckets are dropped when the map grows past a bound, so per-client
 * buckets of clients long gone do not accumulate.
 */
export class MemoryBucketStore implements BucketStore {
  readonly kind = 'memory';
  private readonly buckets = new Map<string, BucketState>();
  private sweepAt: number;
  private readonly levels: number[] = [];

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly sweepThreshold = 10_000,
  ) {
    this.sweepAt = sweepThreshold;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(specs: readonly BucketSpec[]): TakeResult {
    const now = this.now();
    const levels = this.levels;
    levels.length = specs.length;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const state = this.buckets.get(spec.key);
      const tokens = state ? refilled(Math.min(state.tokens, spec.capacity), state.at, now, spec) : spec.capacity;
      if (!hasToken(tokens)) return { ok: false, index: i, retryAfterMs: msUntilToken(tokens, spec) };
      levels[i] = tokens;
    }
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const state = this.buckets.get(spec.key);
      if (state) {
        state.tokens = levels[i]! - 1;
        state.at = now;
        state.spec = spec;
      } else {
        this.buckets.set(spec.key, { tokens: levels[i]! - 1, at: now, spec });
      }
    }
    if (this.buckets.size > this.sweepAt) this.sweep(now);
    return TAKEN;
  }

  /** Forgets buckets that have refilled (a missing bucket is a full one). */
  private sweep(now: number): void {
    for (const [key, state] of this.buckets) {
      if (refilled(state.tokens, state.at, now, state.spec) + EPSILON >= state.spec.capacity) this.buckets.delete(key);
    }
    // Still large: those buckets are in use; sweep again only after the map has doubled.
    this.sweepAt = Math.max(this.sweepThreshold, this.buckets.size * 2);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}
