// Token-bucket math with an injected clock: no timers, no sleeps.
import { describe, expect, it } from 'vitest';
import { MemoryBucketStore, msUntilToken, refilled, type BucketSpec } from '../../../src/server/ratelimit/bucket.js';

const spec = (key: string, capacity: number, perSecond: number): BucketSpec => ({ key, capacity, refillPerMs: perSecond / 1000 });

function clock(start = 1_000) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => (c.t += ms) };
  return c;
}

describe('token bucket math', () => {
  it('refills linearly up to the capacity, never beyond, and not backwards', () => {
    const s = spec('a', 10, 1);
    expect(refilled(0, 0, 500, s)).toBeCloseTo(0.5);
    expect(refilled(3, 0, 2_000, s)).toBeCloseTo(5);
    expect(refilled(9, 0, 60_000, s)).toBe(10);
    expect(refilled(4, 1_000, 500, s)).toBe(4);
  });

  it('says how long until one whole token, rounded up to the millisecond', () => {
    const s = spec('a', 10, 2); // one token every 500 ms
    expect(msUntilToken(0, s)).toBe(500);
    expect(msUntilToken(0.5, s)).toBe(250);
    expect(msUntilToken(1, s)).toBe(0);
    expect(msUntilToken(0.999_999_999_99, s)).toBe(0);
  });
});

describe('MemoryBucketStore', () => {
  it('allows a burst, then one call per refill interval', () => {
    const c = clock();
    const store = new MemoryBucketStore(c.now);
    const s = [spec('k', 3, 1)];
    expect([store.take(s), store.take(s), store.take(s)].every((r) => r.ok)).toBe(true);
    expect(store.take(s)).toEqual({ ok: false, index: 0, retryAfterMs: 1_000 });
    c.advance(400);
    expect(store.take(s)).toEqual({ ok: false, index: 0, retryAfterMs: 600 });
    c.advance(600);
    expect(store.take(s).ok).toBe(true);
    expect(store.take(s).ok).toBe(false);
    // A long pause refills to the burst, not more.
    c.advance(3_600_000);
    expect([store.take(s), store.take(s), store.take(s)].every((r) => r.ok)).toBe(true);
    expect(store.take(s).ok).toBe(false);
  });

  it('takes from every bucket or from none, and names the first empty one', () => {
    const c = clock();
    const store = new MemoryBucketStore(c.now);
    const wide = spec('wide', 5, 1);
    const narrow = spec('narrow', 1, 0.1);
    expect(store.take([wide, narrow]).ok).toBe(true);
    const refused = store.take([wide, narrow]);
    expect(refused).toEqual({ ok: false, index: 1, retryAfterMs: 10_000 });
    // The refused call did not spend a token of the wide bucket: four are left of five.
    for (let i = 0; i < 4; i++) expect(store.take([wide]).ok).toBe(true);
    expect(store.take([wide])).toMatchObject({ ok: false, index: 0 });
  });

  it('keeps buckets apart by key', () => {
    const store = new MemoryBucketStore(clock().now);
    expect(store.take([spec('alice', 1, 1)]).ok).toBe(true);
    expect(store.take([spec('alice', 1, 1)]).ok).toBe(false);
    expect(store.take([spec('bob', 1, 1)]).ok).toBe(true);
  });

  it('forgets refilled buckets once it grows past its bound, and keeps partly used ones', () => {
    const c = clock();
    const store = new MemoryBucketStore(c.now, 100);
    for (let i = 0; i < 100; i++) store.take([spec(`old-${i}`, 2, 1)]);
    c.advance(5_000); // every old bucket is full again
    store.take([spec('slow', 2, 1 / 3_600)]);
    expect(store.take([spec('trigger', 2, 1)]).ok).toBe(true); // 102 buckets: the sweep runs
    expect(store.size).toBe(2); // "slow" (not yet refilled) and "trigger" (just used)
    // The slow bucket kept its state: one token left, then empty.
    expect(store.take([spec('slow', 2, 1 / 3_600)]).ok).toBe(true);
    expect(store.take([spec('slow', 2, 1 / 3_600)]).ok).toBe(false);
  });

  it('caps a stored level at a lowered capacity', () => {
    const store = new MemoryBucketStore(clock().now);
    store.take([spec('k', 10, 1)]); // 9 left
    const smaller = spec('k', 2, 1);
    expect(store.take([smaller]).ok).toBe(true);
    expect(store.take([smaller]).ok).toBe(true);
    expect(store.take([smaller]).ok).toBe(false);
  });
});
