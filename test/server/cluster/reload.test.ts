// Reloads reach every replica (issue 12): three `gatehouse serve` processes sharing one real Redis
// (Debian's redis-server, started here on 127.0.0.1, stopped in afterAll). Each serves its own
// config file without watching it; SIGHUP to one makes all three re-read theirs, exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatePath } from '../../../src/core/config/run-state.js';
import type { GatewayState } from '../../../src/server/gateway.js';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { NODE, ROOT, everythingStdio, stopChild, tempDir, until, type TempDir } from '../helpers.js';

interface Served {
  child: ChildProcess;
  file: string;
  reloads(): Array<{ trigger: string; added: string[] }>;
}

async function serve(file: string, configDir: string): Promise<Served> {
  const child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', file, '--port', '0', '--no-tui', '--log-format', 'json', '--no-watch'], {
    cwd: ROOT,
    env: { ...process.env, GATEHOUSE_CONFIG_DIR: configDir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stateFile = runStatePath(configDir, child.pid!);
  await until(() => existsSync(stateFile) || child.exitCode !== null, 30_000, `the run-state file of gatehouse serve (output so far: ${out})`);
  if (child.exitCode !== null) throw new Error(`gatehouse serve exited (${child.exitCode}):\n${out}`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
  await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 30_000, 'readiness');
  return {
    child,
    file,
    reloads: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { type: string; trigger: string; added: string[] })
        .filter((e) => e.type === 'config.reloaded'),
  };
}

describe('a reload asked of one replica reaches every replica', () => {
  let redis: RunningRedis;
  let dir: TempDir;
  let replicas: Served[] = [];
  const config = (redisUrl: string, backends: string[]) => ({ version: 1, gateway: { cluster: { redis: redisUrl } }, backends: Object.fromEntries(backends.map((b) => [b, everythingStdio()])) });

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('gatehouse-cluster-reload-');
    replicas = await Promise.all(
      [0, 1, 2].map((i) => {
        const file = join(dir.path, `replica-${i}.yaml`);
        writeFileSync(file, stringify(config(redis.url, ['one'])));
        return serve(file, join(dir.path, `state-${i}`));
      }),
    );
  }, 90_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => stopChild(r.child)));
    await redis?.stop();
    dir?.remove();
  });

  it('SIGHUP to one: all three re-read their files, and the relayed reloads are not sent on again', async () => {
    // The change is on disk everywhere (as a ConfigMap sync leaves it); nothing watches it.
    for (const r of replicas) writeFileSync(r.file, stringify(config(redis.url, ['one', 'two'])));
    const [a, b, c] = replicas as [Served, Served, Served];
    expect(b.reloads()).toEqual([]);
    a.child.kill('SIGHUP');
    await until(() => [a, b, c].every((r) => r.reloads().length >= 1), 60_000, 'every replica to reload');
    expect(a.reloads()).toMatchObject([{ trigger: 'sighup', added: ['two'] }]);
    expect(b.reloads()).toMatchObject([{ trigger: 'api', added: ['two'] }]);
    expect(c.reloads()).toMatchObject([{ trigger: 'api', added: ['two'] }]);
    // A second SIGHUP (nothing changed on disk) goes round once more, and only once per replica.
    a.child.kill('SIGHUP');
    await until(() => [a, b, c].every((r) => r.reloads().length >= 2), 60_000, 'the second reload everywhere');
    expect([a, b, c].map((r) => r.reloads().length)).toEqual([2, 2, 2]);
  }, 120_000);
});
