// Memory stays bounded under 10,000 abandoned 2025 sessions (initialize, never DELETE) with
// gateway.sessions.max 1000. Loops are bounded in count (10,000) and in time (a deadline).
//
// - A real `gatehouse serve` process ends with exactly 1000 sessions, answers every initialize, and
//   its RSS ends within 60 MB of its idle RSS (issue 8's target). That holds because serve runs V8
//   with --optimize-for-size once it holds 200 sessions (src/server/memory.ts): with V8's default heap growth the same churn left
//   it about 150 MiB above idle, all of it garbage awaiting a major collection.
// - In process, the V8 heap after a full GC is measured at the cap and after all 10,000: the 8,000
//   sessions opened past the cap (each evicting one) add nothing, and 1000 live sessions cost well
//   under 60 MB of heap.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { GatewayState } from '../../../src/server/gateway.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, ROOT, stopChild, tempDir, until, writeConfig, type TempDir } from '../helpers.js';
import { initializeBody, rpc } from './helpers.js';
import { runStatePath } from '../../../src/core/config/run-state.js';

const TOTAL = 10_000;
const CONCURRENCY = 16;
const MAX = 1_000;

let child: ChildProcess | undefined;
let dir: TempDir | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});
afterAll(async () => {
  if (child) await stopChild(child);
  dir?.remove();
});

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** Opens `count` abandoned sessions, CONCURRENCY at a time; returns how many initialize calls failed. */
async function abandon(url: string, count: number, deadline: number, onProgress?: (done: number) => void): Promise<{ sent: number; failures: number }> {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      onProgress?.(i);
      const r = await rpc(url, initializeBody(`abandoned-${i % 50}`)).catch(() => undefined);
      if (r?.status !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent: next, failures };
}

describe('session memory', () => {
  it(`a real serve process holds ${MAX} of ${TOTAL} abandoned sessions`, async () => {
    dir = tempDir();
    const configFile = writeConfig(dir.path, {}, { sessions: { max: MAX } });
    child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', configFile, '--port', '0', '--no-tui', '--log-level', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir.path, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4_000)));
    const stateFile = runStatePath(dir.path, child.pid!);
    await until(() => existsSync(stateFile), 30_000, `the run-state file (stderr: ${err})`);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
    await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 30_000, 'readiness');
    const idle = rssMiB(child.pid!);
    const { sent, failures } = await abandon(state.url, TOTAL, Date.now() + 200_000);
    expect(sent).toBe(TOTAL);
    expect(failures).toBe(0);
    const status = (await (await fetch(`${state.adminUrl}/status`, { headers: { authorization: `Bearer ${state.adminToken}` } })).json()) as { sessions: number };
    expect(status.sessions).toBe(MAX);
    const after = rssMiB(child.pid!);
    const msg = `serve RSS: idle ${idle.toFixed(1)} MiB, after ${TOTAL} abandoned sessions ${after.toFixed(1)} MiB`;
    console.log(msg);
    expect(after - idle, msg).toBeLessThan(60);
  }, 300_000);

  it('keeps the heap bounded: nothing grows past the cap, and 1000 sessions cost under 60 MB', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const heap = () => {
      gc();
      gc();
      return process.memoryUsage().heapUsed / 1_048_576;
    };
    gw = await startGateway({ gateway: { sessions: { max: MAX } }, backends: {} });
    const deadline = Date.now() + 200_000;
    await abandon(gw.url, 20, deadline);
    const idle = heap();
    expect((await abandon(gw.url, 2 * MAX, deadline)).failures).toBe(0);
    const atCap = heap();
    expect(gw.gateway.sessions.size).toBe(MAX);
    expect((await abandon(gw.url, TOTAL - 2 * MAX, deadline)).failures).toBe(0);
    const after = heap();
    expect(gw.gateway.sessions.size).toBe(MAX);
    const msg = `heap idle ${idle.toFixed(1)} MiB, at the cap ${atCap.toFixed(1)} MiB, after ${TOTAL} ${after.toFixed(1)} MiB`;
    expect(atCap - idle, msg).toBeLessThan(60);
    expect(after - atCap, msg).toBeLessThan(10);
  }, 300_000);
});
