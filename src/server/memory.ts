import { setFlagsFromString } from 'node:v8';
import type { EventBus } from '../core/events.js';

/** Sessions held at once from which the gateway favours memory over speed, and below which it stops. */
export const LEAN_FROM_SESSIONS = 200;
export const SPEED_BELOW_SESSIONS = 100;

/**
 * How a serving gateway trades memory for speed. Most of a gateway's garbage under a session flood
 * is session state that lived long enough to be promoted (an abandoned 2025 session lives until it
 * expires or is evicted), so with V8's default heap growth the old generation balloons before a
 * major collection: 10,000 abandoned sessions with `sessions.max: 1000` left the process 150 MiB
 * above idle. V8's `--optimize-for-size` (which, unlike the heap limits, can be set at run time)
 * keeps the heap close to what is live: the same churn ends about 30 MiB above idle. It costs
 * collector time on every call, though (about 10% CPU per call in the benchmark), so it is on only
 * while many sessions are held: from LEAN_FROM_SESSIONS, off again below SPEED_BELOW_SESSIONS.
 *
 * `GATEHOUSE_MEMORY_PROFILE=speed` never turns it on, `lean` keeps it on. Returns a stop function.
 */
export function adaptMemoryProfile(opts: { bus: EventBus; sessions: () => number; env?: NodeJS.ProcessEnv }): () => void {
  const mode = (opts.env ?? process.env).GATEHOUSE_MEMORY_PROFILE;
  if (mode === 'speed') return () => undefined;
  if (mode === 'lean') {
    setFlagsFromString('--optimize-for-size');
    return () => undefined;
  }
  let lean = false;
  const check = () => {
    const n = opts.sessions();
    if (!lean && n >= LEAN_FROM_SESSIONS) {
      lean = true;
      setFlagsFromString('--optimize-for-size');
    } else if (lean && n < SPEED_BELOW_SESSIONS) {
      lean = false;
      setFlagsFromString('--no-optimize-for-size');
    }
  };
  const offs = [opts.bus.on('session.opened', check), opts.bus.on('session.closed', check)];
  return () => {
    for (const off of offs) off();
  };
}
