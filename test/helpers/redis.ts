// A real redis-server (Debian's) for a test: 127.0.0.1, a free port, a temp dir, no persistence.
// The caller stops it in afterAll; kill() simulates a crash and start() brings it back on the same port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './prometheus.js';

export interface RunningRedis {
  url: string;
  port: number;
  /** Starts (again) on the same port. */
  start(): Promise<void>;
  /** SIGKILL, as a crash would; waits until the process is gone. */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a Redis that holds its connections but answers nothing. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export function hasRedis(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

export async function startRedis(): Promise<RunningRedis> {
  if (!hasRedis()) throw new Error('redis-server is not installed; install Debian\'s redis-server (scripts/install-deps.sh does).');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
  let child: ChildProcess | undefined;
  const gone = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
  const waitExit = (c: ChildProcess) => (gone(c) ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r())));

  const start = async () => {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'yes'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`redis-server did not get ready within 20 s:\n${out}`)), 20_000);
      const on = (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes('Ready to accept connections')) {
          clearTimeout(t);
          resolve();
        }
      };
      c.stdout!.on('data', on);
      c.stderr!.on('data', on);
      c.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`redis-server exited (${code}) before ready:\n${out}`));
      });
    });
  };

  const kill = async () => {
    if (!child || gone(child)) return;
    const c = child;
    c.kill('SIGKILL');
    await waitExit(c);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async stop() {
      if (child && !gone(child)) {
        const c = child;
        c.kill('SIGCONT');
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
        await waitExit(c);
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
