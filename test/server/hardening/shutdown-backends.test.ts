// Shutdown on the backend side: a child that ignores SIGTERM (and the end of its stdin) is killed
// after the grace; a call cut off by the planned stop says the gateway is shutting down, not that the
// backend crashed; and a second SIGTERM to `serve` kills the children before it exits 130.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { GatewayState } from '../../../src/server/gateway.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, ROOT, alive, closeAllClients, connectClient, stopChild, tempDir, until, waitForExit, writeConfig, type TempDir, type TestClient } from '../helpers.js';
import { faultStdio } from './fault.js';
import { runStatePath } from '../../../src/core/config/run-state.js';

const pidOf = async (tc: TestClient, tool: string) => ((await tc.client.callTool({ name: tool, arguments: {} })).structuredContent as { pid: number }).pid;
const orphans: number[] = [];

afterAll(() => {
  for (const pid of orphans) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('Gateway.stop() with a backend that ignores SIGTERM', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  it('kills it after the grace, and tells the cut-off call the gateway is shutting down', async () => {
    gw = await startGateway({ backends: { stubborn: faultStdio('ignore-term') } });
    await gw.ready();
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'cut-off' });
    const pid = await pidOf(tc, 'stubborn_pid');
    orphans.push(pid);
    const call = tc.client.callTool({ name: 'stubborn_hang', arguments: {} }).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    const upstream = gw.gateway.upstreams[0] as unknown as { shared: { inFlight: Map<string, unknown> } };
    await until(() => upstream.shared.inFlight.size === 1, 5_000, 'the call to reach the backend');
    await gw.gateway.stop('test', 200);
    const message = await call;
    expect(message).toMatch(/gateway is shutting down/);
    expect(message).not.toMatch(/crash/);
    await until(() => !alive(pid), 10_000, `the stubborn child ${pid} to be killed`);
  }, 30_000);
});

describe('gatehouse serve and a second SIGTERM', () => {
  let dir: TempDir;
  afterAll(() => dir?.remove());

  it('kills the backend children before exiting 130', async () => {
    dir = tempDir();
    const configFile = writeConfig(dir.path, { stubborn: faultStdio('ignore-term') });
    const child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', configFile, '--port', '0', '--no-tui', '--log-format', 'json', '--drain-timeout', '60'], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir.path, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      const stateFile = runStatePath(dir.path, child.pid!);
      await until(() => existsSync(stateFile), 20_000, `the run-state file (output so far: ${out})`);
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
      await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 20_000, 'readiness');
      const tc = await connectClient('http-legacy', { url: state.url }, { name: 'second-signal' });
      const pid = await pidOf(tc, 'stubborn_pid');
      orphans.push(pid);
      // A call in flight keeps the drain (60 s) going, so only the second signal can end serve early.
      void tc.client.callTool({ name: 'stubborn_hang', arguments: {} }).catch(() => undefined);
      const inFlight = async () => ((await (await fetch(`${state.adminUrl}/status`, { headers: { authorization: `Bearer ${state.adminToken}` } })).json()) as { inFlight: number }).inFlight;
      await until(async () => (await inFlight()) === 1, 10_000, 'the call to be in flight');
      child.kill('SIGTERM');
      await until(() => out.includes('gateway.stopping'), 10_000, 'the drain to begin');
      // serve ignores a repeat within 500 ms of the first (a library's echo of the same signal).
      await new Promise((r) => setTimeout(r, 600));
      child.kill('SIGTERM');
      expect(await waitForExit(child, 15_000)).toBe(true);
      expect(child.exitCode).toBe(130);
      await until(() => !alive(pid), 5_000, `backend child ${pid} to be gone after serve exited`);
    } finally {
      await closeAllClients();
      await stopChild(child);
    }
  }, 60_000);
});
