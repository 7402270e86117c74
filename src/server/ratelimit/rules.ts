import { createHash } from 'node:crypto';
import { durationSeconds, type GatehouseConfig, type RateLimitConfig, type RateLimitRuleConfig } from '../../core/config/schema.js';
import type { BucketSpec } from './bucket.js';

/** What a rule can match a tool call on. */
export interface CallFacts {
  /** The identity's client name. */
  client: string;
  roles: readonly string[];
  backend: string;
  /** The exposed tool name (aliases resolved to their target). */
  tool: string;
  /** The backend's own tool name. */
  native: string;
}

type Field = 'client' | 'role' | 'backend' | 'tool';
const FIELDS: readonly Field[] = ['client', 'role', 'backend', 'tool'];

/** One configured limit, ready to match. */
export interface Limit {
  /** Where it is configured: `gateway.rateLimits[0]`, `backends.gh.rateLimit`, `backends.gh.toolRateLimits.search`. */
  source: string;
  /** The rule in short, from configured text only (event payloads and metric labels stay bounded). */
  description: string;
  rate: number;
  /** The window, in seconds. */
  perSeconds: number;
  /** How it was written in config (60, '1m'). */
  perText: string;
  burst: number;
  capacity: number;
  refillPerMs: number;
  matches(facts: CallFacts): boolean;
  /** The values this call's bucket is kept for, by field (only fields whose match is a glob). */
  keyedBy(facts: CallFacts): Array<[Field, string]>;
  keyPrefix: string;
}

/** A limit that applies to a call, with its bucket. */
export interface Applicable {
  limit: Limit;
  spec: BucketSpec;
  values: Array<[Field, string]>;
}

/**
 * Every limit in a config, compiled once per (re)load: the gateway's rules in order, then each
 * backend's own limit and its per-tool limits. All that match a call apply; the first that is empty
 * refuses it.
 */
export class LimitSet {
  private readonly gateway: Limit[];
  private readonly byBackend = new Map<string, { backend?: Limit; tools: Map<string, Limit> }>();

  constructor(config: GatehouseConfig) {
    this.gateway = (config.gateway?.rateLimits ?? []).map((r, i) => gatewayLimit(r, i));
    for (const [name, bc] of Object.entries(config.backends)) {
      if (!bc.rateLimit && !bc.toolRateLimits) continue;
      const tools = new Map<string, Limit>();
      for (const [tool, rl] of Object.entries(bc.toolRateLimits ?? {})) tools.set(tool, fixedLimit(`backends.${name}.toolRateLimits.${tool}`, `t:${name}:${tool}`, rl));
      this.byBackend.set(name, { backend: bc.rateLimit ? fixedLimit(`backends.${name}.rateLimit`, `b:${name}`, bc.rateLimit) : undefined, tools });
    }
  }

  get empty(): boolean {
    return this.gateway.length === 0 && this.byBackend.size === 0;
  }

  get size(): number {
    let n = this.gateway.length;
    for (const b of this.byBackend.values()) n += (b.backend ? 1 : 0) + b.tools.size;
    return n;
  }

  /** The limits that apply to a call, in order, each with the bucket it draws from. */
  applicable(facts: CallFacts): Applicable[] {
    const out: Applicable[] = [];
    for (const limit of this.gateway) if (limit.matches(facts)) out.push(withBucket(limit, facts));
    const own = this.byBackend.get(facts.backend);
    if (own?.backend) out.push(withBucket(own.backend, facts));
    const tool = own?.tools.get(facts.native);
    if (tool) out.push(withBucket(tool, facts));
    return out;
  }
}

function withBucket(limit: Limit, facts: CallFacts): Applicable {
  const values = limit.keyedBy(facts);
  let key = limit.keyPrefix;
  for (const [f, v] of values) key += `|${f}=${encodeURIComponent(v)}`;
  // Client names can be long (and chosen by unauthenticated clients): keep keys bounded.
  if (key.length > 200) key = `${limit.keyPrefix}|#${createHash('sha256').update(key).digest('hex')}`;
  return { limit, values, spec: { key, capacity: limit.capacity, refillPerMs: limit.refillPerMs } };
}

function numbers(rl: RateLimitConfig): Pick<Limit, 'rate' | 'perSeconds' | 'perText' | 'burst' | 'capacity' | 'refillPerMs'> {
  const perSeconds = durationSeconds(rl.per);
  const burst = rl.burst ?? Math.max(1, Math.ceil(rl.rate));
  return { rate: rl.rate, perSeconds, perText: typeof rl.per === 'number' ? `${rl.per}s` : rl.per, burst, capacity: burst, refillPerMs: rl.rate / (perSeconds * 1000) };
}

function rateText(n: ReturnType<typeof numbers>): string {
  return `${n.rate} per ${n.perText}, burst ${n.burst}`;
}

/** A backend's or a tool's own limit: one bucket, shared by every client. */
function fixedLimit(source: string, id: string, rl: RateLimitConfig): Limit {
  const n = numbers(rl);
  return { source, description: `${source}: ${rateText(n)}`, ...n, keyPrefix: `${id}:${n.rate}/${n.perSeconds}`, matches: () => true, keyedBy: () => [] };
}

type Matcher = (value: string) => boolean;

function matcher(pattern: string): { test: Matcher; glob: boolean } {
  if (!/[*?]/.test(pattern)) return { test: (v) => v === pattern, glob: false };
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return { test: (v) => re.test(v), glob: true };
}

/**
 * A gateway rule. Each field `match` names must match; a field named with a glob keeps one bucket
 * per value (`client: "*"` gives every client its own), a literal one bucket for that value.
 */
function gatewayLimit(rule: RateLimitRuleConfig, index: number): Limit {
  const n = numbers(rule);
  const match = rule.match ?? {};
  const source = `gateway.rateLimits[${index}]`;
  const compiled = FIELDS.filter((f) => match[f] !== undefined).map((f) => ({ field: f, ...matcher(match[f]!) }));
  const shown = compiled.map((c) => `${c.field}=${match[c.field]}`).join(' ');
  const valueOf = (f: Field, facts: CallFacts, test: Matcher): string | undefined => {
    if (f === 'role') return facts.roles.find(test);
    const v = facts[f];
    return test(v) ? v : undefined;
  };
  return {
    source,
    description: `${source}${shown ? ` {${shown}}` : ''}: ${rateText(n)}`,
    ...n,
    keyPrefix: `g:${JSON.stringify(compiled.map((c) => [c.field, match[c.field]]))}:${n.rate}/${n.perSeconds}`,
    matches(facts) {
      for (const c of compiled) if (valueOf(c.field, facts, c.test) === undefined) return false;
      return true;
    },
    keyedBy(facts) {
      const out: Array<[Field, string]> = [];
      for (const c of compiled) if (c.glob) out.push([c.field, valueOf(c.field, facts, c.test)!]);
      return out;
    },
  };
}
