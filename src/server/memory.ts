import { setFlagsFromString } from 'node:v8';
import type { EventBus } from '../core/events.js';

/** Sessions held at once from which the gateway favours memory over speed, and below which it stops. */
export const LEAN_FROM_SESSIONS = 200;
export const SPEED_BELOW_SESSIONS = 100;
/** Without a call for this long (or before the first), the gateway is idle and favours memory. */
export const IDLE_AFTER_MS = 10_000;

/**
 * How a serving gateway trades memory for speed, with V8's `--optimize-for-size` (which, unlike the
 * heap limits, can be set at run time). It keeps the heap close to what is live, and costs collector
 * time on every call (about 10% CPU per call in the benchmark). So it is on when memory is what counts:
 *
 * - While many sessions are held (from LEAN_FROM_SESSIONS, off again below SPEED_BELOW_SESSIONS). Most
 *   of a gateway's garbage under a session flood is session state that lived long enough to be
 *   promoted (an abandoned 2025 session lives until it expires or is evicted), so with V8's default
 *   heap growth the old generation balloons before a major collection: 10,000 abandoned sessions with
 *   `sessions.max: 1000` left the process 150 MiB above idle; with the flag, about 30 MiB.
 * - While idle: from start until the first call, and again IDLE_AFTER_MS after the last one started.
 *   The start-up burst (every backend's lists parsed, validated and merged) grows the young generation
 *   to its 32 MiB maximum, and an idle process never gives it back: ten backends of 200 tools idled at
 *   about 118 MiB RSS, and at about 86 MiB with the flag. The first call turns it off, before it runs.
 *
 * `GATEHOUSE_MEMORY_PROFILE=speed` never turns it on, `lean` keeps it on. `onChange` hears every
 * switch (tests, logs). Returns a stop function.
 */
export function adaptMemoryProfile(opts: {
  bus: EventBus;
  sessions: () => number;
  env?: NodeJS.ProcessEnv;
  idleAfterMs?: number;
  onChange?: (lean: boolean, why: 'sessions' | 'idle' | 'busy' | 'stopped') => void;
}): () => void {
  const mode = (opts.env ?? process.env).GATEHOUSE_MEMORY_PROFILE;
  if (mode === 'speed') return () => undefined;
  if (mode === 'lean') {
    setFlagsFromString('--optimize-for-size');
    return () => undefined;
  }
  const idleAfterMs = opts.idleAfterMs ?? IDLE_AFTER_MS;
  let manySessions = false;
  let idle = true;
  let lastCall = -Infinity;
  let applied = false;
  const apply = (why: 'sessions' | 'idle' | 'busy' | 'stopped') => {
    const want = manySessions || idle;
    if (want === applied) return;
    applied = want;
    setFlagsFromString(want ? '--optimize-for-size' : '--no-optimize-for-size');
    opts.onChange?.(want, why);
  };
  const checkSessions = () => {
    const n = opts.sessions();
    if (!manySessions && n >= LEAN_FROM_SESSIONS) manySessions = true;
    else if (manySessions && n < SPEED_BELOW_SESSIONS) manySessions = false;
    else return;
    apply('sessions');
  };
  // One comparison per call; the switch itself happens at most once per idle period.
  const onCall = () => {
    lastCall = performance.now();
    if (!idle) return;
    idle = false;
    apply('busy');
  };
  const timer = setInterval(() => {
    if (idle || performance.now() - lastCall < idleAfterMs) return;
    idle = true;
    apply('idle');
  }, Math.min(1_000, idleAfterMs));
  timer.unref();
  apply('idle');
  const offs = [opts.bus.on('session.opened', checkSessions), opts.bus.on('session.closed', checkSessions), opts.bus.on('call.started', onCall)];
  return () => {
    clearInterval(timer);
    for (const off of offs) off();
    manySessions = idle = false;
    apply('stopped');
  };
}
