import type { Redis } from 'ioredis';
import { TAKEN, type BucketSpec, type BucketStore, type TakeResult } from './bucket.js';

/** Bounds that keep a dead or stalled Redis from holding a call (documented in docs/rate-limits.md). */
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** Longest wait between reconnect attempts. */
export const REDIS_RETRY_MAX_MS = 2_000;

/** Keys share one hash tag, so the multi-key script also runs on a Redis Cluster. */
const KEY_PREFIX = 'gatehouse:rl:{gatehouse}:';

/**
 * One atomic check of every bucket a call draws from. The clock is Redis's own (TIME), so gateways
 * with skewed clocks agree. KEYS are the buckets; ARGV holds capacity and refill per ms for each.
 * A bucket is a hash {t: tokens, ts: ms}; a missing one is full. Either every bucket gives a token or
 * none does. Returns {1} or {0, index (1-based), ms until a token}.
 */
const TAKE_SCRIPT = `
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + tonumber(now_parts[2]) / 1000
local levels = {}
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 't', 'ts')
  local tokens = tonumber(state[1])
  local at = tonumber(state[2])
  if tokens == nil or at == nil then
    tokens = cap
  else
    if tokens > cap then tokens = cap end
    if now > at then tokens = math.min(cap, tokens + (now - at) * rate) end
  end
  if tokens + 1e-9 < 1 then
    return {0, i, math.ceil((1 - tokens - 1e-9) / rate)}
  end
  levels[i] = tokens
end
for i = 1, #KEYS do
  local cap = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  redis.call('HSET', KEYS[i], 't', tostring(levels[i] - 1), 'ts', tostring(now))
  redis.call('PEXPIRE', KEYS[i], math.ceil(cap / rate) + 1000)
end
return {1}
`;

type TakeCommand = (numKeys: number, ...args: Array<string | number>) => Promise<number[]>;

/** Buckets in Redis, shared by every gateway that points at it. */
export class RedisBucketStore implements BucketStore {
  readonly kind = 'redis';
  /** The last connection error, to say why Redis is not connected. */
  private lastError?: string;

  constructor(
    private readonly redis: Redis,
    /** host:port, for messages (never the URL: it can carry a password). */
    readonly endpoint: string,
  ) {
    // Failures reach the limiter through the commands; without a listener ioredis prints them itself.
    redis.on('error', (e: Error) => {
      this.lastError = e.message;
    });
    redis.on('ready', () => {
      this.lastError = undefined;
    });
  }

  async take(specs: readonly BucketSpec[]): Promise<TakeResult> {
    // Refused at once while disconnected (no offline queue); say why in words, not ioredis's.
    if (this.redis.status !== 'ready') throw this.notConnected();
    const args: Array<string | number> = [];
    for (const s of specs) args.push(KEY_PREFIX + s.key);
    for (const s of specs) args.push(s.capacity, s.refillPerMs);
    let reply: number[];
    try {
      reply = await (this.redis as unknown as { gatehouseTake: TakeCommand }).gatehouseTake(specs.length, ...args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      if (/timed out/i.test(message)) throw new Error(`Redis at ${this.endpoint} did not answer within ${REDIS_COMMAND_TIMEOUT_MS} ms (command timed out)`);
      // The connection dropped between the status check and the write, or under the command.
      if (this.redis.status !== 'ready' || /Stream isn't writeable|Connection is closed/i.test(message)) throw this.notConnected('the connection closed');
      throw new Error(`Redis at ${this.endpoint} failed: ${message}`);
    }
    if (reply[0] === 1) return TAKEN;
    return { ok: false, index: Number(reply[1]) - 1, retryAfterMs: Number(reply[2]) };
  }

  private notConnected(fallback?: string): Error {
    const why = this.lastError ?? fallback;
    return new Error(`Redis at ${this.endpoint} is not connected${why ? ` (${why})` : ''}`);
  }

  /** Whether the connection is up now (commands are refused at once while it is not). */
  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  async close(): Promise<void> {
    this.redis.disconnect(false);
  }
}

/**
 * Connects to Redis (ioredis, loaded only here). It waits for the connection at most the connect
 * timeout; an unreachable Redis still gives a store, whose checks fail at once (no offline queue)
 * while it reconnects in the background.
 */
export async function openRedisStore(url: string): Promise<RedisBucketStore> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(100 * times, REDIS_RETRY_MAX_MS),
  });
  redis.defineCommand('gatehouseTake', { lua: TAKE_SCRIPT });
  const store = new RedisBucketStore(redis, endpointOf(url));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    redis.connect().catch(() => undefined),
    new Promise((r) => {
      timer = setTimeout(r, REDIS_CONNECT_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  return store;
}

/** host:port of a redis:// URL, without user or password. */
export function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'redis';
  }
}
