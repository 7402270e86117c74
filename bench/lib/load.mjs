// Closed-loop load: `concurrency` workers, each bound to one session with one call in flight,
// share a fixed budget of calls. Every response is checked against what its caller sent.
import { randomBytes } from 'node:crypto';
import { resultText } from './mcp-http.mjs';

/**
 * What a scenario calls and how a response is judged.
 * @typedef {{ tool: string | ((worker: number, seq: number) => string), args: (worker: number, seq: number) => Record<string, unknown>,
 *   expect: (args: Record<string, unknown>) => string }} Workload
 */

let stopped = false;
/** Ends every load loop at its next call (Ctrl-C). */
export function stopLoad() {
  stopped = true;
}

const nonce = () => randomBytes(6).toString('hex');

/** echo with a payload unique to the worker and the call: a response meant for another caller cannot match. */
export const echoWorkload = (tool = 'echo') => ({
  tool,
  args: (w, seq) => ({ text: `w${w}-c${seq}-${nonce()}` }),
  expect: (args) => args.text,
});

export const blobWorkload = (tool, blobText) => ({
  tool,
  args: () => ({}),
  expect: () => blobText,
});

/**
 * Runs `calls` calls of `workload` with `concurrency` workers over `sessions` (worker i uses
 * sessions[i % sessions.length]). Returns per-call latencies (ms), wall time, and counts of
 * errors and of responses whose payload was not the caller's own.
 */
export async function runLoad({ sessions, concurrency, calls, workload, maxErrors = 20 }) {
  const latencies = new Float64Array(calls);
  let next = 0;
  let done = 0;
  let errors = 0;
  let wrong = 0;
  const errorSamples = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  async function worker(w) {
    const session = sessions[w % sessions.length];
    let seq = 0;
    while (next < calls && !stopped) {
      const i = next++;
      const args = workload.args(w, seq++);
      const start = performance.now();
      try {
        const tool = typeof workload.tool === 'function' ? workload.tool(w, seq) : workload.tool;
        const result = await session.callTool(tool, args);
        const text = resultText(result);
        latencies[i] = performance.now() - start;
        if (text !== workload.expect(args)) wrong++;
      } catch (e) {
        latencies[i] = performance.now() - start;
        errors++;
        if (errorSamples.length < 3) errorSamples.push(String(e?.message ?? e));
        if (errors >= maxErrors) {
          next = calls; // stop early: the target is broken, and the report says so
        }
      }
      done++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { latencies: latencies.subarray(0, done), calls: done, elapsedMs, errors, wrong, errorSamples, clientCpuMs: (cpu.user + cpu.system) / 1000 };
}
