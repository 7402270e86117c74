import type { CallOutcome } from '../core/events.js';
import type { RingBuffer } from './ring-buffer.js';
import type { BackendView, CallCounters } from './snapshot.js';

/** The dashboard model's immutable pieces: call counters after one more outcome, a backend's frozen view. */
export function count(c: CallCounters, outcome: CallOutcome): CallCounters {
  return Object.freeze({
    total: c.total + 1,
    ok: c.ok + (outcome === 'ok' ? 1 : 0),
    toolError: c.toolError + (outcome === 'tool-error' ? 1 : 0),
    error: c.error + (outcome === 'error' ? 1 : 0),
    timeout: c.timeout + (outcome === 'timeout' ? 1 : 0),
    cancelled: c.cancelled + (outcome === 'cancelled' ? 1 : 0),
  });
}

export function freezeView(b: Omit<BackendView, 'stderrTail' | 'history'> & { view?: BackendView; stderrTail: RingBuffer<string>; history: RingBuffer<BackendView['history'][number]> }): BackendView {
  const { view: _view, stderrTail, history, ...rest } = b;
  return Object.freeze({ ...rest, stderrTail: Object.freeze(stderrTail.toArray()), history: Object.freeze(history.toArray()) });
}
