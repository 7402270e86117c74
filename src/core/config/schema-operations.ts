/**
 * Config schema for operations (issues 11 and 15): rate limits, the cluster, tool pinning, metrics and log files. schema.ts composes it.
 */
import { z } from 'zod';

// --- Rate limits (issue 11): token buckets per client, role, backend and tool (src/server/ratelimit/).
/** A duration in config: seconds, or a number with a unit (`500ms`, `60s`, `5m`, `1h`, `1d`). */
export const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
export const DURATION_UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400 } as const;
/** Seconds in a config duration (a number of seconds, or `500ms`, `60s`, `5m`, `1h`, `1d`); NaN when it is neither. */
export function durationSeconds(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = DURATION_RE.exec(v);
  return m ? Number(m[1]) * DURATION_UNIT_SECONDS[m[2] as keyof typeof DURATION_UNIT_SECONDS] : Number.NaN;
}
export const MAX_DURATION_SECONDS = 30 * 86_400;
export const durationField = z.union([
  z.number().positive().max(MAX_DURATION_SECONDS),
  z
    .string()
    .regex(DURATION_RE, 'use seconds (60) or a duration such as 60s, 5m, 1h')
    .refine((v) => durationSeconds(v) > 0 && durationSeconds(v) <= MAX_DURATION_SECONDS, 'must be more than 0 and at most 30d'),
]);
/** `rate` calls every `per`, with up to `burst` at once (default: rate, at least 1). */
export const rateLimitSchema = z.strictObject({
  rate: z.number().positive().max(1_000_000_000),
  per: durationField,
  burst: z.number().int().min(1).max(1_000_000_000).optional(),
});
export const rateLimitMatchValue = z.string().min(1).max(256);
/** A gateway-wide limit: one bucket for each distinct value of the fields `match` names (see docs/rate-limits.md). */
export const rateLimitRuleSchema = rateLimitSchema.extend({
  match: z
    .strictObject({
      /** The identity's client name, or a glob (`*`, `?`): with a glob, each client gets its own bucket. */
      client: rateLimitMatchValue.optional(),
      /** A role the identity carries (or a glob). */
      role: rateLimitMatchValue.optional(),
      /** A backend name (or a glob). */
      backend: rateLimitMatchValue.optional(),
      /** An exposed tool name (or a glob). */
      tool: rateLimitMatchValue.optional(),
    })
    .optional(),
});
export const rateLimitFields = {
  /** One bucket for every tool call to this backend, shared by all clients. */
  rateLimit: rateLimitSchema.optional(),
  /** Per native tool name: one bucket for calls to that tool, shared by all clients. */
  toolRateLimits: z.record(z.string(), rateLimitSchema).optional(),
};
/** Several gateways sharing state (the Redis URL may be an env: or secret: reference). */
export const clusterSchema = z.strictObject({
  redis: z
    .string()
    .refine((v) => /^(secret|env|file):.+$/.test(v) || /^rediss?:\/\/[^\s]+$/.test(v), 'use redis://host:port (or rediss://), or an env:/secret: reference')
    .optional(),
  /** When Redis cannot be reached: `open` (default) lets calls through unlimited, `closed` refuses them. */
  redisFailure: z.enum(['open', 'closed']).optional(),
  /** The cluster key that seals state clients carry back (requestState, plan handles); a reference (secret:, env:, file:). */
  secret: z.string().optional(),
  /**
   * The URL other replicas reach this one at, for requests forwarded to a session's owner, or an
   * env:/file: reference holding it (default http://<host>:<port>; a wildcard bind uses this host's first non-loopback IPv4 address, a pod's IP).
   */
  advertise: z
    .string()
    .refine((v) => /^(env|file):.+$/.test(v) || /^https?:\/\/[^\s/]+\/?$/.test(v), 'use http://host:port (no path), the address other replicas reach this one at, or an env:/file: reference holding it')
    .optional(),
});
// --- end rate limits

// --- tool pinning (issue 15)
/** `true`, or how tools a pinned backend adds later are treated (default accept). */
export const pinSchema = z.union([z.boolean(), z.strictObject({ newTools: z.enum(['accept', 'hold']).optional() })]);
export type PinSetting = z.infer<typeof pinSchema>;
// --- end tool pinning

// --- Metrics and log files (issue 11): /metrics in Prometheus text format, JSON log lines to a file.
/** `host:port` (IPv6 in brackets): where the unauthenticated metrics listener binds. */
export const LISTEN_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
export const metricsSchema = z.strictObject({
  /** Serve /metrics (default true); prom-client is loaded only when on. */
  enabled: z.boolean().optional(),
  /** A separate listener for cluster scraping, unauthenticated, serving only /metrics: `host:port`. */
  listen: z
    .string()
    .regex(LISTEN_RE, 'use host:port, e.g. 0.0.0.0:9464 or [::1]:9464')
    .refine((v) => Number(v.slice(v.lastIndexOf(':') + 1)) <= 65_535, 'the port must be 0-65535')
    .optional(),
});
export const logSchema = z.strictObject({
  /** JSON lines of every event, also while the dashboard is on (relative to the config file). */
  file: z.string().min(1).optional(),
  /** Size in bytes at which the file is rotated (default 10 MiB). */
  maxBytes: z.number().int().min(1024).max(1024 ** 4).optional(),
  /** Rotated files kept beside it (file.1 … file.N; default 5; 0 truncates instead). */
  files: z.number().int().min(0).max(100).optional(),
});
// --- end metrics and log files
