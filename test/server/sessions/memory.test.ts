// Memory stays bounded: 10,000 abandoned 2025 sessions (initialize, never DELETE) against a real
// `gatehouse serve` process with gateway.sessions.max 1000 leave 1000 sessions and RSS within
// 60 MB of the idle gateway. The loop is bounded in count (10,000) and in time (the deadline).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayState } from '../../../src/server/gateway.js';
import { NODE, ROOT, stopChild, tempDir, until, writeConfig, type TempDir } from '../helpers.js';
import { initializeBody, rpc } from './helpers.js';

const TOTAL = 10_000;
const CONCURRENCY = 16;
const MAX = 1_000;

let child: ChildProcess | undefined;
let dir: TempDir | undefined;
afterAll(async () => {
  if (child) await stopChild(child);
  dir?.remove();
});

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

describe('session memory', () => {
  it(`holds ${MAX} of ${TOTAL} abandoned sessions and stays within 60 MB of idle RSS`, async () => {
    dir = tempDir();
    const configFile = writeConfig(dir.path, {}, { sessions: { max: MAX } });
    child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', configFile, '--port', '0', '--no-tui', '--log-level', 'warn'], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir.path, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4_000)));
    const stateFile = join(dir.path, 'run', 'gateway.json');
    await until(() => existsSync(stateFile), 30_000, `the run-state file (stderr: ${err})`);
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
    await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 30_000, 'readiness');
    // A short warm-up, so the baseline includes the code paths and not just an untouched process.
    for (let i = 0; i < 20; i++) await rpc(state.url, initializeBody(`warm-${i}`));
    const idle = rssMiB(child.pid!);

    const deadline = Date.now() + 200_000;
    let next = 0;
    let failures = 0;
    const worker = async () => {
      while (next < TOTAL && Date.now() < deadline) {
        const i = next++;
        const r = await rpc(state.url, initializeBody(`abandoned-${i % 50}`)).catch(() => undefined);
        if (r?.status !== 200) failures++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(next).toBe(TOTAL);
    expect(failures).toBe(0);

    const status = (await (await fetch(`${state.adminUrl}/status`, { headers: { authorization: `Bearer ${state.adminToken}` } })).json()) as { sessions: number };
    expect(status.sessions).toBe(MAX);
    // Measured once the load is over: V8 hands the pages of freed garbage back when the process goes
    // quiet, so RSS under load would measure the garbage collector's timing, not what the sessions hold.
    let after = rssMiB(child.pid!);
    const settleBy = Date.now() + 30_000;
    while (after - idle >= 60 && Date.now() < settleBy) {
      await new Promise((r) => setTimeout(r, 500));
      after = rssMiB(child.pid!);
    }
    expect(after - idle, `RSS idle ${idle.toFixed(1)} MiB, after ${after.toFixed(1)} MiB`).toBeLessThan(60);
  }, 300_000);
});
