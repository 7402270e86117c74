import type { CallMethod } from '../pipeline/types.js';

/** The labels every call metric carries (OpenTelemetry MCP names where the conventions have one). */
export interface CallLabels {
  mcp_method_name: string;
  gen_ai_tool_name: string;
  gen_ai_prompt_name: string;
  backend: string;
}

/** One histogram series: bucket counts (not cumulative), sum and count, as plain numbers. */
export interface Durations {
  readonly labels: CallLabels & { error_type: string };
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** One counter series. */
export interface Count {
  readonly labels: CallLabels & { outcome: string };
  value: number;
}

/** Everything counted for one (method, backend, name): the success path is bound up front. */
export interface Series {
  readonly labels: CallLabels;
  readonly ok: Durations;
  readonly okCount: Count;
  /** Other error types and outcomes, made on first use. */
  readonly durations: Map<string, Durations>;
  readonly counts: Map<string, Count>;
}

/** The OpenTelemetry MCP conventions' advisory buckets for mcp.server.operation.duration, in seconds. */
export const DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const BOUNDS = DURATION_BUCKETS;

/** Adds one duration (seconds) to a histogram series: a short scan of 14 bounds, no allocation. */
export function observe(d: Durations, seconds: number): void {
  let i = 0;
  while (i < BOUNDS.length && seconds > BOUNDS[i]!) i++;
  d.buckets[i]!++;
  d.sum += seconds;
  d.count++;
}

function durations(labels: CallLabels, errorType: string): Durations {
  return { labels: { ...labels, error_type: errorType }, buckets: new Float64Array(BOUNDS.length + 1), sum: 0, count: 0 };
}

/** The shape of one value prom-client's registry formats (name_bucket/_sum/_count for histograms). */
interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry needs of a metric: a name, a type, values on demand, and reset. */
export interface RegistryMetric {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  get(): Promise<{ name: string; help: string; type: string; values: Value[]; aggregator: 'sum' }>;
  reset(): void;
}

export const METHODS: readonly CallMethod[] = ['tools/call', 'prompts/get', 'resources/read', 'completion/complete'];

/**
 * The per-call metrics, kept as plain numbers. prom-client's own label children hash and validate
 * their labels on every observation; this store does that work once per series and formats at
 * scrape time, so a call costs map lookups and additions only.
 */
export class CallSeriesStore {
  /** method → backend → name → series. */
  private series = new Map<string, Map<string, Map<string, Series>>>();
  /** Requests in the pipeline now, per method (index in METHODS). */
  readonly inFlight = new Float64Array(METHODS.length);

  get(method: CallMethod, backend: string, name: string): Series {
    let byBackend = this.series.get(method);
    if (!byBackend) this.series.set(method, (byBackend = new Map()));
    let byName = byBackend.get(backend);
    if (!byName) byBackend.set(backend, (byName = new Map()));
    let s = byName.get(name);
    if (!s) {
      const labels: CallLabels = {
        mcp_method_name: method,
        gen_ai_tool_name: method === 'tools/call' ? name : '',
        gen_ai_prompt_name: method === 'prompts/get' ? name : '',
        backend,
      };
      s = { labels, ok: durations(labels, ''), okCount: { labels: { ...labels, outcome: 'ok' }, value: 0 }, durations: new Map(), counts: new Map() };
      byName.set(name, s);
    }
    return s;
  }

  /** Records a call that did not succeed plainly (a tool error, a failure, a refusal). */
  record(s: Series, outcome: string, errorType: string, seconds: number): void {
    let d = s.durations.get(errorType);
    if (!d) s.durations.set(errorType, (d = durations(s.labels, errorType)));
    observe(d, seconds);
    let c = s.counts.get(outcome);
    if (!c) s.counts.set(outcome, (c = { labels: { ...s.labels, outcome }, value: 0 }));
    c.value++;
  }

  /** A tool or prompt left the catalog: its series go with it. */
  forget(method: CallMethod, name: string): void {
    for (const byName of this.series.get(method)?.values() ?? []) byName.delete(name);
  }

  private *all(): IterableIterator<Series> {
    for (const byBackend of this.series.values()) for (const byName of byBackend.values()) yield* byName.values();
  }

  /** The three metrics, in the registry's shape. */
  metrics(): RegistryMetric[] {
    const store = this;
    const metric = (name: string, help: string, type: RegistryMetric['type'], values: () => Value[]): RegistryMetric => ({
      name,
      help,
      type,
      get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
      reset: () => store.reset(),
    });
    return [
      metric(
        'mcp_server_operation_duration_seconds',
        'MCP request duration as observed by the gateway, from the request entering the call pipeline until its result or error (OpenTelemetry mcp.server.operation.duration).',
        'histogram',
        () => {
          const out: Value[] = [];
          for (const s of store.all()) for (const d of [s.ok, ...s.durations.values()]) if (d.count > 0) histogramValues(d, out);
          return out;
        },
      ),
      metric('gatehouse_calls_total', 'Requests through the call pipeline (tools/call, prompts/get, resources/read, completion/complete) by backend, tool and outcome.', 'counter', () => {
        const out: Value[] = [];
        for (const s of store.all()) for (const c of [s.okCount, ...s.counts.values()]) if (c.value > 0) out.push({ labels: c.labels as unknown as Record<string, string>, value: c.value });
        return out;
      }),
      metric('gatehouse_calls_in_flight', 'Requests in the call pipeline now.', 'gauge', () => METHODS.map((m, i) => ({ labels: { mcp_method_name: m }, value: store.inFlight[i]! }))),
    ];
  }

  reset(): void {
    this.series = new Map();
  }
}

function histogramValues(d: Durations, out: Value[]): void {
  const labels = d.labels as unknown as Record<string, string>;
  let cumulative = 0;
  for (let i = 0; i < BOUNDS.length; i++) {
    cumulative += d.buckets[i]!;
    out.push({ labels: { ...labels, le: BOUNDS[i]! }, value: cumulative, metricName: 'mcp_server_operation_duration_seconds_bucket' });
  }
  out.push({ labels: { ...labels, le: '+Inf' }, value: d.count, metricName: 'mcp_server_operation_duration_seconds_bucket' });
  out.push({ labels, value: d.sum, metricName: 'mcp_server_operation_duration_seconds_sum' });
  out.push({ labels, value: d.count, metricName: 'mcp_server_operation_duration_seconds_count' });
}
