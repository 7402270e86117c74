import type * as Prom from 'prom-client';
import type { BackendState } from '../../core/events.js';

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

/** The OpenTelemetry MCP conventions' advisory buckets for mcp.server.operation.duration, in seconds. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

export const CALL_LABELS = ['mcp_method_name', 'gen_ai_tool_name', 'gen_ai_prompt_name', 'backend'] as const;

/** Every metric the gateway serves; docs/operations.md has the same table. */
export interface MetricSet {
  registry: Prom.Registry;
  duration: Prom.Histogram<(typeof CALL_LABELS)[number] | 'error_type'>;
  calls: Prom.Counter<(typeof CALL_LABELS)[number] | 'outcome'>;
  inFlight: Prom.Gauge<'mcp_method_name'>;
  restarts: Prom.Counter<'backend' | 'reason'>;
  rateLimited: Prom.Counter<'backend' | 'gen_ai_tool_name'>;
  planTransitions: Prom.Counter<'state'>;
  authFailures: Prom.Counter<'mode' | 'reason'>;
  requestBytes: Prom.Counter<'backend'>;
  responseBytes: Prom.Counter<'backend'>;
}

export function defineMetrics(prom: typeof Prom, sources: MetricSources): MetricSet {
  const registry = new prom.Registry();
  const registers = [registry];
  prom.collectDefaultMetrics({ register: registry });

  const set: MetricSet = {
    registry,
    duration: new prom.Histogram({
      name: 'mcp_server_operation_duration_seconds',
      help: 'MCP request duration as observed by the gateway, from the request entering the call pipeline until its result or error (OpenTelemetry mcp.server.operation.duration).',
      labelNames: [...CALL_LABELS, 'error_type'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    calls: new prom.Counter({
      name: 'gatehouse_calls_total',
      help: 'Requests through the call pipeline (tools/call, prompts/get, resources/read, completion/complete) by backend, tool and outcome.',
      labelNames: [...CALL_LABELS, 'outcome'],
      registers,
    }),
    inFlight: new prom.Gauge({ name: 'gatehouse_calls_in_flight', help: 'Requests in the call pipeline now.', labelNames: ['mcp_method_name'], registers }),
    restarts: new prom.Counter({
      name: 'gatehouse_backend_restarts_total',
      help: 'Backend restarts: after a failure (supervised, with backoff) or because a reload changed its config.',
      labelNames: ['backend', 'reason'],
      registers,
    }),
    rateLimited: new prom.Counter({ name: 'gatehouse_ratelimited_calls_total', help: 'Calls refused by a rate limit.', labelNames: ['backend', 'gen_ai_tool_name'], registers }),
    planTransitions: new prom.Counter({ name: 'gatehouse_plan_transitions_total', help: 'Guarded-write plans entering each state.', labelNames: ['state'], registers }),
    authFailures: new prom.Counter({ name: 'gatehouse_auth_failures_total', help: 'Inbound requests refused by authentication, by auth mode and reason.', labelNames: ['mode', 'reason'], registers }),
    requestBytes: new prom.Counter({ name: 'gatehouse_call_request_bytes_total', help: 'Approximate size of call requests sent to each backend (JSON text, estimated).', labelNames: ['backend'], registers }),
    responseBytes: new prom.Counter({ name: 'gatehouse_call_response_bytes_total', help: 'Approximate size of call results returned by each backend (JSON text, estimated).', labelNames: ['backend'], registers }),
  };

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
