// Gateway start-up order: backends are started together (in parallel), before the listener comes
// up, and a start that fails after they were spawned (the port is taken) leaves no child behind.
// Starts are counted, and synchronised, by the fixture itself (spawn-log.mjs).
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StdioBackendConfig } from '../../../src/core/config/schema.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, alive, tempDir, until, type TempDir } from '../helpers.js';

const SPAWN_LOG = fileURLToPath(new URL('../fixtures/spawn-log.mjs', import.meta.url));
const pids = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

describe('gateway start order', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir?.remove());

  const backend = (log: string, args: string[]): StdioBackendConfig => ({ type: 'stdio', command: NODE, args: [SPAWN_LOG, ...args], env: { SPAWN_LOG: log } });

  it('starts every backend at once: two that serve only when both are running both come up', async () => {
    const log = join(dir.path, 'together.spawns');
    writeFileSync(log, '');
    let gw: TestGateway | undefined;
    try {
      gw = await startGateway({ backends: { a: backend(log, ['--barrier', '2', '--era', 'legacy']), b: backend(log, ['--barrier', '2', '--era', 'modern']) } });
      await gw.ready();
      for (const u of gw.gateway.upstreams) expect(u.state, `${u.name}: ${u.lastError}`).toBe('ready');
      expect(pids(log)).toHaveLength(2);
    } finally {
      await gw?.stop();
    }
  });

  it('stops the backends it spawned when the listener cannot bind', async () => {
    const log = join(dir.path, 'taken.spawns');
    writeFileSync(log, '');
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startGateway({ backends: { a: backend(log, ['--era', 'modern']) } }, { port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      // Backends start before the listener: this one was spawned, and nothing of it may be left.
      const spawned = pids(log);
      expect(spawned).toHaveLength(1);
      await until(() => spawned.every((pid) => !alive(pid)), 10_000, 'the backend child of the failed start to exit');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      // Only if the assertion above failed: nothing outlives the test either way.
      for (const pid of pids(log)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
