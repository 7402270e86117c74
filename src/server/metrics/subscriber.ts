import type { BackendState, EventBus } from '../../core/events.js';
import type { MetricSet } from './definitions.js';
import type { CallMetrics } from './step.js';
import { authLabels, NO_BACKEND, planState, UNKNOWN } from './labels.js';

export interface SubscriberDeps {
  bus: EventBus;
  calls: CallMetrics;
  /** Whether a backend name is configured now (event payloads from other modules are checked, not trusted). */
  isBackend(name: string): boolean;
  /** Whether a tool name is one the catalog or a backend lists. */
  isTool(name: string): boolean;
  /** Each backend's state now: metrics may come up after the backends started (a failure then counts its restart). */
  states?(): Iterable<[string, BackendState]>;
}

/**
 * The metrics that events already carry: restarts, rate limits, plans, auth failures and bytes.
 * Listeners only increment; nothing here can slow the emitter down.
 */
export function subscribeMetrics(set: MetricSet, deps: SubscriberDeps): () => void {
  const { bus } = deps;
  const backend = (name: string | undefined) => (name === undefined ? NO_BACKEND : deps.isBackend(name) ? name : UNKNOWN);
  const last = new Map<string, BackendState>(deps.states?.() ?? []);
  // Touched on every call, so plain numbers (the counters read them at scrape time).
  const bytesOf = (name: string | undefined) => {
    const b = backend(name);
    let c = set.bytes.get(b);
    if (!c) set.bytes.set(b, (c = { request: 0, response: 0 }));
    return c;
  };
  const offs = [
    bus.on('backend.state', (e) => {
      const before = last.get(e.backend);
      last.set(e.backend, e.state);
      // A start after a failure is a supervised restart (the backoff timer, or a refresh of a failed
      // backend). A reload stops the old upstream first (stopped), so its restart counts once, as reload.
      if (e.state === 'starting' && before === 'failed') set.restarts.inc({ backend: backend(e.backend), reason: 'failure' });
    }),
    bus.on('config.reloaded', (e) => {
      for (const name of e.restarted) set.restarts.inc({ backend: backend(name), reason: 'reload' });
      for (const name of e.removed) {
        last.delete(name);
        set.bytes.delete(name);
      }
    }),
    bus.on('ratelimit.limited', (e) => {
      set.rateLimited.inc({ backend: backend(e.backend), gen_ai_tool_name: deps.isTool(e.tool) ? e.tool : UNKNOWN });
    }),
    bus.on('approval.changed', (e) => set.planTransitions.inc({ state: planState(e.state) })),
    bus.on('catalog.pin_held', (e) => set.pinHeld.inc({ backend: backend(e.backend), reason: e.reason === 'new' ? 'new' : 'changed' })),
    bus.on('auth.failed', (e) => set.authFailures.inc(authLabels(e.reason))),
    bus.on('call.started', (e) => void (bytesOf(e.backend).request += e.requestBytes)),
    bus.on('call.finished', (e) => void (bytesOf(e.backend).response += e.responseBytes)),
    bus.on('catalog.changed', (e) => {
      if (e.kind !== 'tools' && e.kind !== 'prompts') return;
      const method = e.kind === 'tools' ? 'tools/call' : 'prompts/get';
      for (const name of e.diff.removed) deps.calls.forget(method, name);
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
