import { APPLY_TOOL } from '../approvals/service.js';
import { CallDenied, classifyFailure } from '../pipeline/errors.js';
import type { CallContext, CallMethod, Handler, Result, Step } from '../pipeline/types.js';
import { METHODS, observe, type CallSeriesStore, type Series } from './call-series.js';
import type { MetricSet } from './definitions.js';
import { errorType, NO_BACKEND, UNKNOWN } from './labels.js';

/** The outcome label: the observe step's outcomes, plus `denied` for a refusal by a pipeline step. */
export type MetricOutcome = 'ok' | 'tool-error' | 'error' | 'timeout' | 'cancelled' | 'denied';

const METHOD_INDEX = new Map<string, number>(METHODS.map((m, i) => [m, i]));

/**
 * Per-call metrics as a pipeline step. It runs first, so requests a later step refuses (an unknown
 * tool, a deep argument, a rate limit) are counted too; their labels only ever carry names from the
 * catalog or the config, never what the client typed (`_unknown`).
 */
export class CallMetrics {
  private store?: CallSeriesStore;

  /** Metrics on (a set) or off (undefined); the step passes calls straight through when off. */
  use(set: MetricSet | undefined): void {
    this.store = set?.calls;
  }

  get enabled(): boolean {
    return this.store !== undefined;
  }

  readonly step: Step = {
    name: 'metrics',
    handle: (call, next) => (this.store ? this.measure(this.store, call, next) : next(call)),
  };

  private async measure(store: CallSeriesStore, call: CallContext, next: Handler): Promise<Result> {
    const started = performance.now();
    const applying = call.method === 'tools/call' && call.params.name === APPLY_TOOL;
    const slot = METHOD_INDEX.get(call.method) ?? 0;
    store.inFlight[slot]!++;
    try {
      const result = await next(call);
      const s = seriesOf(store, call, applying);
      const seconds = (performance.now() - started) / 1000;
      if (result.isError === true) store.record(s, 'tool-error', 'tool_error', seconds);
      else {
        observe(s.ok, seconds);
        s.okCount.value++;
      }
      return result;
    } catch (e) {
      store.record(seriesOf(store, call, applying), e instanceof CallDenied ? 'denied' : classifyFailure(e, call), errorType(e), (performance.now() - started) / 1000);
      throw e;
    } finally {
      store.inFlight[slot]!--;
    }
  }

  /** A tool or prompt left the catalog: its series go (a backend that renames tools cannot grow them). */
  forget(method: CallMethod, name: string): void {
    this.store?.forget(method, name);
  }
}

/** The bounded labels of a call, from what resolve (or the apply step) set, never from the params. */
function seriesOf(store: CallSeriesStore, call: CallContext, applying: boolean): Series {
  const backend = call.route?.upstream.name ?? NO_BACKEND;
  let name = '';
  if (call.method === 'tools/call') name = applying ? APPLY_TOOL : call.route && call.exposedName !== undefined ? call.exposedName : UNKNOWN;
  else if (call.method === 'prompts/get') name = call.route && call.exposedName !== undefined ? call.exposedName : UNKNOWN;
  return store.get(call.method, backend, name);
}
