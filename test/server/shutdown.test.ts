// Shutdown: stop() (and SIGTERM to `gatehouse serve`) lets in-flight calls finish, then stops the
// backend children, shared and per-session alike; a call that outlasts the drain deadline fails
// instead of hanging.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { GatewayState } from '../../src/server/gateway.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  NODE,
  ROOT,
  alive,
  closeAllClients,
  connectClient,
  probeStdio,
  stopChild,
  tempDir,
  textOf,
  until,
  waitForExit,
  writeConfig,
  type TempDir,
  type TestClient,
} from './helpers.js';

const pidOf = async (tc: TestClient, tool: string) => ((await tc.client.callTool({ name: tool, arguments: {} })).structuredContent as { pid: number }).pid;
const started = (lines: () => string[], tag: string) => lines().some((l) => l.includes(`PROBE STARTED ${tag}`));

describe('Gateway.stop()', () => {
  let gw: TestGateway | undefined;

  afterEach(async () => {
    await closeAllClients();
    await gw?.stop();
    gw = undefined;
  });

  const start = async () => {
    gw = await startGateway({
      backends: { lp: probeStdio('legacy'), mp: probeStdio('modern'), iso: probeStdio('legacy', { isolation: 'per-session' }) },
    });
    await gw.ready();
    const stderr = () => gw!.events.flatMap((e) => (e.type === 'backend.stderr' ? [e.line] : []));
    return { gw, stderr };
  };

  it('drains in-flight calls of both eras, then stops every backend child', async () => {
    const { gw, stderr } = await start();
    const legacy = await connectClient('http-legacy', { url: gw.url }, { name: 'drain-legacy' });
    const modern = await connectClient('http-modern', { url: gw.url }, { name: 'drain-modern' });
    const pids = [await pidOf(legacy, 'lp_pid'), await pidOf(modern, 'mp_pid'), await pidOf(legacy, 'iso_pid')];
    expect(new Set(pids).size).toBe(3);

    const calls = [
      legacy.client.callTool({ name: 'lp_slow', arguments: { ms: 1_200, tag: 'drain-lp' } }),
      modern.client.callTool({ name: 'mp_slow', arguments: { ms: 1_200, tag: 'drain-mp' } }),
      legacy.client.callTool({ name: 'iso_slow', arguments: { ms: 1_200, tag: 'drain-iso' } }),
    ];
    await until(() => ['drain-lp', 'drain-mp', 'drain-iso'].every((t) => started(stderr, t)), 10_000, 'the slow calls to start');
    const stopping = gw.gateway.stop('test', 10_000);
    const results = await Promise.all(calls);
    expect(results.map(textOf)).toEqual(['slow drain-lp done after 1200 ms', 'slow drain-mp done after 1200 ms', 'slow drain-iso done after 1200 ms']);
    await stopping;
    const ev = gw.events.find((e) => e.type === 'gateway.stopping');
    expect(ev?.type === 'gateway.stopping' && ev.inFlight).toBe(3);
    await until(() => pids.every((p) => !alive(p)), 5_000, `backend children ${pids.join(', ')} to exit`);
    expect(gw.gateway.upstreams.map((u) => u.state)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('fails a call that outlasts the drain deadline instead of hanging', async () => {
    const { gw, stderr } = await start();
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'too-slow' });
    const pid = await pidOf(tc, 'lp_pid');
    const call = tc.client.callTool({ name: 'lp_slow', arguments: { ms: 30_000, tag: 'outlast' } }).then(
      () => 'resolved',
      (e: Error) => `rejected: ${e.message}`,
    );
    await until(() => started(stderr, 'outlast'), 10_000, 'the slow call to start');
    const t0 = Date.now();
    await gw.gateway.stop('test', 300);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await call).toMatch(/^rejected: /);
    await until(() => !alive(pid), 5_000, `backend child ${pid} to exit`);
  });
});

describe('gatehouse serve and SIGTERM', () => {
  let dir: TempDir;
  afterAll(() => dir?.remove());

  it('finishes the in-flight call, stops its children and exits 0', async () => {
    dir = tempDir();
    const configFile = writeConfig(dir.path, { lp: probeStdio('legacy') });
    const child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', configFile, '--port', '0', '--no-tui', '--log-format', 'json'], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir.path, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      const stateFile = join(dir.path, 'run', `gateway-${child.pid}.json`);
      await until(() => existsSync(stateFile), 20_000, `the run-state file (output so far: ${out})`);
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
      await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 20_000, 'readiness');
      const tc = await connectClient('http-legacy', { url: state.url }, { name: 'sigterm' });
      const pid = await pidOf(tc, 'lp_pid');
      const call = tc.client.callTool({ name: 'lp_slow', arguments: { ms: 1_500, tag: 'sigterm' } });
      await until(() => out.includes('PROBE STARTED sigterm'), 10_000, 'the slow call to start');
      child.kill('SIGTERM');
      const res = await call.catch((e: Error) => {
        throw new Error(`${e.message}\nserve output:\n${out}`);
      });
      expect(textOf(res)).toBe('slow sigterm done after 1500 ms');
      await tc.close();
      expect(await waitForExit(child, 15_000)).toBe(true);
      expect(child.exitCode).toBe(0);
      expect(alive(pid)).toBe(false);
      expect(existsSync(stateFile)).toBe(false);
    } finally {
      await stopChild(child);
    }
  });
});
