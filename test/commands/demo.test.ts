/**
 * `npm run demo` starts only loopback listeners: the demo's HTTP backend (server-everything, which
 * binds every interface by itself) and the gateway. Checked in the kernel's socket table, so the
 * answer does not depend on which interfaces this machine has.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv, makeTempDir } from '../helpers/cli.js';
import { ROOT, closedPort, stopChild, until, waitForExit } from '../server/helpers.js';

/** Local addresses (hex, as /proc/net/tcp{,6} write them) of the sockets listening on `port`. */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [addr, hexPort] = cols[1]!.split(':');
      if (parseInt(hexPort!, 16) === port) out.push(addr!);
    }
  }
  return out;
}

const LOOPBACK_V4 = '0100007F';
let demo: ReturnType<typeof spawn> | undefined;
let backendPid: number | undefined;
afterAll(async () => {
  if (demo) await stopChild(demo);
  // Never leave the backend behind, even when the demo was killed before it could stop it.
  if (backendPid) {
    try {
      // Only if that pid is still the demo backend (a pid can be reused once it exits).
      if (readFileSync(`/proc/${backendPid}/cmdline`, 'utf8').includes('templates/demo/loopback.cjs')) process.kill(backendPid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** The pid of the process whose command line names the demo's loopback preload (the backend). */
function demoBackendPid(): number | undefined {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes('templates/demo/loopback.cjs') && readFileSync(`/proc/${d}/status`, 'utf8').includes(`PPid:\t${demo?.pid}`)) return Number(d);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

describe('npm run demo', () => {
  it('binds its HTTP backend and the gateway to 127.0.0.1 only', async () => {
    expect(readFileSync('/proc/net/tcp', 'utf8')).toContain('local_address');
    const backendPort = await closedPort();
    const gatewayPort = await closedPort();
    demo = spawn(process.execPath, [join(ROOT, 'templates', 'demo', 'run.mjs'), '--no-tui', '--drain-timeout', '1', '--port', String(gatewayPort)], {
      cwd: ROOT,
      env: { ...childEnv(makeTempDir()), DEMO_BACKEND_PORT: String(backendPort) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    demo.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    await until(() => listeners(backendPort).length > 0 && listeners(gatewayPort).length > 0, 60_000, `the demo to listen (stderr: ${stderr})`);
    backendPid = demoBackendPid();
    expect(listeners(backendPort)).toEqual([LOOPBACK_V4]);
    expect(listeners(gatewayPort)).toEqual([LOOPBACK_V4]);
    // SIGTERM goes through to the gateway, whose exit stops the backend.
    demo.kill('SIGTERM');
    expect(await waitForExit(demo, 30_000)).toBe(true);
    await until(() => listeners(backendPort).length === 0, 20_000, 'the demo backend to stop with the gateway');
  }, 120_000);
});
