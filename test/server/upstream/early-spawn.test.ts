// `serve` spawns stdio backends before it loads the gateway (early-spawn.ts). A backend's transport
// takes such a child only for exactly the spawn it would make; every other early child is owned and
// stopped: when the gateway's start is over, when the start fails, and on stop. Spawns are counted
// by the fixture itself (spawn-log.mjs appends its pid to a file).
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_INHERITED_ENV_VARS } from '@modelcontextprotocol/client/stdio';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseConfig, StdioBackendConfig } from '../../../src/core/config/schema.js';
import { Gateway } from '../../../src/server/gateway.js';
import { INHERITED_ENV_VARS, releaseEarly, spawnEarly } from '../../../src/server/upstream/early-spawn.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, alive, tempDir, until, type TempDir } from '../helpers.js';

const SPAWN_LOG = fileURLToPath(new URL('../fixtures/spawn-log.mjs', import.meta.url));
const pids = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

describe('stdio backends spawned before the gateway loads', () => {
  let dir: TempDir;
  let gw: TestGateway | undefined;
  const every: string[] = [];

  function counted(name: string, args: string[], extra: Partial<StdioBackendConfig> = {}): { backend: StdioBackendConfig; log: string } {
    const log = join(dir.path, `${name}.spawns`);
    writeFileSync(log, '');
    every.push(log);
    return { backend: { type: 'stdio', command: NODE, args: [SPAWN_LOG, ...args], env: { SPAWN_LOG: log }, ...extra }, log };
  }
  const config = (backends: Record<string, StdioBackendConfig>): GatehouseConfig => ({ version: 1, backends });

  beforeAll(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await releaseEarly();
    // Nothing a test spawned may outlive it, whatever it asserted.
    for (const log of every.splice(0)) for (const pid of pids(log)) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  afterAll(() => dir?.remove());

  it('adopts the early child of an unchanged backend, and stops the one the gateway did not take', async () => {
    const same = counted('same', ['--era', 'modern']);
    const changed = counted('changed', ['--era', 'legacy']);
    expect(spawnEarly(config({ same: same.backend, changed: changed.backend }))).toBe(2);
    const [earlyChanged] = await waitForPids(changed.log, 1);
    // The gateway starts "changed" with other arguments than the early spawn: that child is not its own.
    gw = await startGateway({ backends: { same: same.backend, changed: { ...changed.backend, args: [SPAWN_LOG, '--era', 'modern'] } } });
    await gw.ready();
    for (const u of gw.gateway.upstreams) expect(u.state, `${u.name}: ${u.lastError}`).toBe('ready');
    expect(pids(same.log)).toHaveLength(1);
    const [, own] = pids(changed.log);
    expect(own).toBeDefined();
    await until(() => !alive(earlyChanged!), 10_000, 'the early child nobody adopted to exit');
    expect(alive(own!)).toBe(true);
    expect(alive(pids(same.log)[0]!)).toBe(true);
  });

  it('spawns nothing early for a backend whose environment needs resolving, nor for per-session or disabled ones', () => {
    const ref = counted('ref', ['--era', 'modern'], { env: { SPAWN_LOG: 'x', TOKEN: 'env:GATEHOUSE_TEST_TOKEN' } });
    const perSession = counted('session', ['--era', 'modern'], { isolation: 'per-session' });
    const off = counted('off', ['--era', 'modern'], { disabled: true });
    expect(spawnEarly(config({ ref: ref.backend, session: perSession.backend, off: off.backend }))).toBe(0);
  });

  it('stops every early child when the start fails (the port is taken)', async () => {
    const a = counted('failed-start', ['--era', 'modern']);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      // Another backend than the early one, so the early child is never adopted.
      expect(spawnEarly(config({ a: a.backend }))).toBe(1);
      const [early] = await waitForPids(a.log, 1);
      const other = counted('other', ['--era', 'modern']);
      await expect(startGateway({ backends: { other: other.backend } }, { port: (taken.address() as { port: number }).port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(alive(early!)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('stops the early children when the gateway is stopped without having started', async () => {
    // What serve does when something fails after the early spawn and before the gateway starts.
    const a = counted('stopped', ['--era', 'modern']);
    expect(spawnEarly(config({ a: a.backend }))).toBe(1);
    const [early] = await waitForPids(a.log, 1);
    await new Gateway({ config: config({ a: a.backend }), host: '127.0.0.1', port: 0 }).stop('test', 0);
    expect(alive(early!)).toBe(false);
  });

  it('drops an early spawn whose command cannot start, and the gateway reports it as usual', async () => {
    const missing: StdioBackendConfig = { type: 'stdio', command: join(dir.path, 'no-such-command') };
    expect(spawnEarly(config({ missing }))).toBe(1);
    gw = await startGateway({ backends: { missing } });
    const u = gw.gateway.upstreams[0]!;
    expect(u.state).toBe('failed');
    expect(u.lastError).toMatch(/ENOENT|no-such-command|not found/i);
    // Nothing is left to stop, and stopping does not wait on a child that never existed.
    await releaseEarly();
  });

  it('passes a child the same inherited environment as the SDK stdio transport', () => {
    expect(INHERITED_ENV_VARS).toEqual([...DEFAULT_INHERITED_ENV_VARS]);
  });
});

/** The early child has written its pid (it is running the fixture). */
async function waitForPids(log: string, n: number): Promise<number[]> {
  await until(() => pids(log).length >= n, 10_000, `${n} spawn(s) logged in ${log}`);
  return pids(log);
}
