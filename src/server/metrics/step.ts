import type * as Prom from 'prom-client';
import { APPLY_TOOL } from '../approvals/service.js';
import { CallDenied } from '../pipeline/errors.js';
import { classifyFailure } from '../pipeline/errors.js';
import type { CallContext, CallMethod, Handler, Result, Step } from '../pipeline/types.js';
import type { MetricSet } from './definitions.js';
import { errorType, NO_BACKEND, UNKNOWN } from './labels.js';

/** The outcome label: the observe step's outcomes, plus `denied` for a refusal by a pipeline step. */
export type MetricOutcome = 'ok' | 'tool-error' | 'error' | 'timeout' | 'cancelled' | 'denied';

/**
 * The label children of one (method, backend, name) series, bound once and reused by every later
 * call: the common path (a success) costs two map lookups and two increments, no label work.
 */
interface Series {
  labels: { mcp_method_name: string; gen_ai_tool_name: string; gen_ai_prompt_name: string; backend: string };
  okDuration: Prom.Histogram.Internal<string>;
  okCalls: Prom.Counter.Internal;
  /** Other outcomes and error types, bound on first use. */
  other: Map<string, Prom.Histogram.Internal<string> | Prom.Counter.Internal>;
  /** Every label set bound, so a tool that leaves the catalog takes its series with it. */
  bound: Array<Record<string, string>>;
}

const METHODS: readonly CallMethod[] = ['tools/call', 'prompts/get', 'resources/read', 'completion/complete'];

/**
 * Per-call metrics as a pipeline step. It runs first, so requests a later step refuses (an unknown
 * tool, a deep argument, a rate limit) are counted too; their labels only ever carry names from the
 * catalog or the config, never what the client typed (`_unknown`).
 */
export class CallMetrics {
  private set?: MetricSet;
  /** method → backend → name → series. */
  private series = new Map<string, Map<string, Map<string, Series>>>();
  private inFlight = new Map<string, Prom.Gauge.Internal<string>>();

  /** Metrics on (a set) or off (undefined); the step passes calls straight through when off. */
  use(set: MetricSet | undefined): void {
    this.set = set;
    this.series = new Map();
    this.inFlight = new Map();
    if (set) for (const m of METHODS) this.inFlight.set(m, set.inFlight.labels({ mcp_method_name: m }));
  }

  get enabled(): boolean {
    return this.set !== undefined;
  }

  readonly step: Step = {
    name: 'metrics',
    handle: (call, next) => (this.set ? this.measure(call, next) : next(call)),
  };

  private async measure(call: CallContext, next: Handler): Promise<Result> {
    const started = performance.now();
    const applying = call.method === 'tools/call' && call.params.name === APPLY_TOOL;
    const gauge = this.inFlight.get(call.method);
    gauge?.inc();
    try {
      const result = await next(call);
      const s = this.seriesOf(call, applying);
      if (s) {
        if (result.isError === true) this.record(s, 'tool-error', 'tool_error', started);
        else {
          s.okDuration.observe((performance.now() - started) / 1000);
          s.okCalls.inc();
        }
      }
      return result;
    } catch (e) {
      const s = this.seriesOf(call, applying);
      if (s) this.record(s, e instanceof CallDenied ? 'denied' : classifyFailure(e, call), errorType(e), started);
      throw e;
    } finally {
      gauge?.dec();
    }
  }

  private record(s: Series, outcome: MetricOutcome, error: string, started: number): void {
    const set = this.set;
    if (!set) return;
    const dKey = `d${error}`;
    let d = s.other.get(dKey) as Prom.Histogram.Internal<string> | undefined;
    if (!d) {
      const labels = { ...s.labels, error_type: error };
      d = set.duration.labels(labels);
      s.other.set(dKey, d);
      s.bound.push(labels);
    }
    d.observe((performance.now() - started) / 1000);
    const cKey = `c${outcome}`;
    let c = s.other.get(cKey) as Prom.Counter.Internal | undefined;
    if (!c) {
      const labels = { ...s.labels, outcome };
      c = set.calls.labels(labels);
      s.other.set(cKey, c);
      s.bound.push(labels);
    }
    c.inc();
  }

  /** The bounded labels of a call, from what resolve (or the apply step) set, never from the params. */
  private seriesOf(call: CallContext, applying: boolean): Series | undefined {
    const set = this.set;
    if (!set) return undefined;
    const backend = call.route?.upstream.name ?? NO_BACKEND;
    let name = '';
    if (call.method === 'tools/call') name = applying ? APPLY_TOOL : call.route && call.exposedName !== undefined ? call.exposedName : UNKNOWN;
    else if (call.method === 'prompts/get') name = call.route && call.exposedName !== undefined ? call.exposedName : UNKNOWN;
    let byBackend = this.series.get(call.method);
    if (!byBackend) this.series.set(call.method, (byBackend = new Map()));
    let byName = byBackend.get(backend);
    if (!byName) byBackend.set(backend, (byName = new Map()));
    let s = byName.get(name);
    if (!s) {
      const labels = {
        mcp_method_name: call.method,
        gen_ai_tool_name: call.method === 'tools/call' ? name : '',
        gen_ai_prompt_name: call.method === 'prompts/get' ? name : '',
        backend,
      };
      const ok = { ...labels, error_type: '' };
      const okCount = { ...labels, outcome: 'ok' };
      s = { labels, okDuration: set.duration.labels(ok), okCalls: set.calls.labels(okCount), other: new Map(), bound: [ok, okCount] };
      byName.set(name, s);
    }
    return s;
  }

  /** A tool or prompt left the catalog: its series go (a backend that renames tools cannot grow them). */
  forget(method: 'tools/call' | 'prompts/get', name: string): void {
    const set = this.set;
    const byBackend = this.series.get(method);
    if (!set || !byBackend) return;
    for (const byName of byBackend.values()) {
      const s = byName.get(name);
      if (!s) continue;
      byName.delete(name);
      for (const labels of s.bound) {
        if ('outcome' in labels) set.calls.remove(labels);
        else set.duration.remove(labels);
      }
    }
  }
}
