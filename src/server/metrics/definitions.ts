import type * as Prom from 'prom-client';
import type { BackendState } from '../../core/events.js';
import { CallSeriesStore } from './call-series.js';

/** What the scrape-time gauges read; nothing is counted for them on the request path. */
export interface MetricSources {
  /** Every registered session (stateless requests in flight included). */
  sessions(): Iterable<{ era: string; transport: string }>;
  upstreams(): ReadonlyArray<{ name: string; state: BackendState }>;
  catalog(): { tools: number; resources: number; resourceTemplates: number; prompts: number };
  /** Plans by state, or undefined while the plan store is not open (nothing is loaded for a scrape). */
  plans?(): Promise<Record<string, number> | undefined>;
}

export const BACKEND_STATES: readonly BackendState[] = ['disabled', 'starting', 'ready', 'degraded', 'failed', 'stopped'];

/** Every metric the gateway serves; docs/operations.md has the same table. */
export interface MetricSet {
  registry: Prom.Registry;
  /** The duration histogram, calls by outcome and in-flight calls: counted per call, formatted per scrape. */
  calls: CallSeriesStore;
  restarts: Prom.Counter<'backend' | 'reason'>;
  rateLimited: Prom.Counter<'backend' | 'gen_ai_tool_name'>;
  planTransitions: Prom.Counter<'state'>;
  pinHeld: Prom.Counter<'backend' | 'reason'>;
  authFailures: Prom.Counter<'mode' | 'reason'>;
  /** Bytes per backend label, added per call as plain numbers and read by the two counters at scrape time. */
  bytes: Map<string, { request: number; response: number }>;
}

export function defineMetrics(prom: typeof Prom, sources: MetricSources): MetricSet {
  const registry = new prom.Registry();
  const registers = [registry];

  processMetrics(prom, registers);
  const calls = new CallSeriesStore();
  for (const m of calls.metrics()) registry.registerMetric(m as unknown as Prom.Metric);
  const set: MetricSet = {
    registry,
    calls,
    restarts: new prom.Counter({
      name: 'gatehouse_backend_restarts_total',
      help: 'Backend restarts: after a failure (supervised, with backoff) or because a reload changed its config.',
      labelNames: ['backend', 'reason'],
      registers,
    }),
    rateLimited: new prom.Counter({ name: 'gatehouse_ratelimited_calls_total', help: 'Calls refused by a rate limit.', labelNames: ['backend', 'gen_ai_tool_name'], registers }),
    planTransitions: new prom.Counter({ name: 'gatehouse_plan_transitions_total', help: 'Guarded-write plans entering each state.', labelNames: ['state'], registers }),
    pinHeld: new prom.Counter({ name: 'gatehouse_tool_pin_held_total', help: 'Tool changes of pinned backends withheld until a person accepts them (reason: changed or new).', labelNames: ['backend', 'reason'], registers }),
    authFailures: new prom.Counter({ name: 'gatehouse_auth_failures_total', help: 'Inbound requests refused by authentication, by auth mode and reason.', labelNames: ['mode', 'reason'], registers }),
    bytes: new Map(),
  };
  for (const [name, field, what] of [
    ['gatehouse_call_request_bytes_total', 'request', 'call requests sent to'],
    ['gatehouse_call_response_bytes_total', 'response', 'call results returned by'],
  ] as const) {
    new prom.Counter({
      name,
      help: `Approximate size of ${what} each backend (JSON text, estimated).`,
      labelNames: ['backend'],
      registers,
      collect() {
        this.reset();
        for (const [backend, b] of set.bytes) if (b[field] > 0) this.inc({ backend }, b[field]);
      },
    });
  }

  new prom.Gauge({
    name: 'gatehouse_sessions',
    help: 'Client sessions open now, by protocol era and transport (stateless: 2026-07-28 requests in flight).',
    labelNames: ['era', 'transport'],
    registers,
    collect() {
      this.reset();
      const counts = new Map<string, { era: string; transport: string; n: number }>();
      for (const s of sources.sessions()) {
        const key = `${s.era}\0${s.transport}`;
        const c = counts.get(key);
        if (c) c.n++;
        else counts.set(key, { era: s.era, transport: s.transport, n: 1 });
      }
      for (const c of counts.values()) this.set({ era: c.era, transport: c.transport }, c.n);
    },
  });
  new prom.Gauge({
    name: 'gatehouse_backend_state',
    help: 'Backend state: 1 for the state each configured backend is in, 0 for the others.',
    labelNames: ['backend', 'state'],
    registers,
    collect() {
      this.reset();
      for (const u of sources.upstreams()) for (const state of BACKEND_STATES) this.set({ backend: u.name, state }, u.state === state ? 1 : 0);
    },
  });
  new prom.Gauge({
    name: 'gatehouse_catalog_items',
    help: 'Items in the merged catalog clients see, by kind.',
    labelNames: ['kind'],
    registers,
    collect() {
      const c = sources.catalog();
      for (const kind of ['tools', 'resources', 'resourceTemplates', 'prompts'] as const) this.set({ kind }, c[kind]);
    },
  });
  if (sources.plans) {
    const plans = sources.plans;
    new prom.Gauge({
      name: 'gatehouse_plans',
      help: 'Guarded-write plans in the plan store, by state (absent until the store is first opened).',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await plans().catch(() => undefined);
        this.reset();
        if (counts) for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }
  return set;
}

const START_SECONDS = Math.round(Date.now() / 1000 - process.uptime());

/**
 * The usual process metrics under prom-client's names, read at scrape time. Not its
 * collectDefaultMetrics: that one observes every GC and samples the event loop on a timer, for the
 * life of the process, which cost about 3% CPU on an allocation-heavy loop before a single scrape.
 */
function processMetrics(prom: typeof Prom, registers: Prom.Registry[]): void {
  new prom.Counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent, in seconds.',
    registers,
    collect() {
      const u = process.cpuUsage();
      this.reset();
      this.inc((u.user + u.system) / 1e6);
    },
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new prom.Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => process.memoryUsage.rss());
  gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch, in seconds.', () => START_SECONDS);
  gauge('nodejs_heap_size_used_bytes', 'V8 heap used, in bytes.', () => process.memoryUsage().heapUsed);
  gauge('nodejs_heap_size_total_bytes', 'V8 heap committed, in bytes.', () => process.memoryUsage().heapTotal);
  gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript objects, in bytes.', () => process.memoryUsage().external);
}
