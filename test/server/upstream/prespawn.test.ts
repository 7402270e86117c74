// serve spawns stdio backends before it loads the gateway (prespawn.ts); the gateway's transport
// adopts such a child only for exactly the same spawn, and stops the ones nobody adopted.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_INHERITED_ENV_VARS } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { INHERITED_ENV_VARS, prespawnStdioBackends, releasePrespawned } from '../../../src/server/upstream/prespawn.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, alive, tempDir, until, type TempDir } from '../helpers.js';

const COUNTER = fileURLToPath(new URL('../fixtures/spawn-counter.mjs', import.meta.url));
const pids = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

describe('stdio backends spawned before the gateway loads', () => {
  let dir: TempDir;
  let gw: TestGateway | undefined;
  let logs: { adopted: string; changed: string };

  beforeAll(async () => {
    dir = tempDir();
    logs = { adopted: join(dir.path, 'adopted.spawns'), changed: join(dir.path, 'changed.spawns') };
    for (const f of Object.values(logs)) writeFileSync(f, '');
    const backend = (log: string, era: string) => ({ type: 'stdio' as const, command: NODE, args: [COUNTER, '--era', era], env: { SPAWN_LOG: log } });
    const early: GatehouseConfig = { version: 1, backends: { adopted: backend(logs.adopted, 'modern'), changed: backend(logs.changed, 'legacy') } };
    expect(prespawnStdioBackends(early)).toBe(2);
    // The gateway starts "changed" with other arguments than the early spawn: that child is not its own.
    gw = await startGateway({ backends: { adopted: early.backends.adopted, changed: { ...backend(logs.changed, 'legacy'), args: [COUNTER, '--era', 'modern'] } } });
    await gw.ready();
  });

  afterAll(async () => {
    releasePrespawned();
    await gw?.stop();
    dir?.remove();
  });

  it('adopts the early child of an unchanged backend instead of spawning', async () => {
    const u = gw!.gateway.upstreams.find((x) => x.name === 'adopted')!;
    expect(u.state, u.lastError).toBe('ready');
    expect(u.info.era).toBe('modern');
    expect(pids(logs.adopted)).toHaveLength(1);
  });

  it('spawns its own child for a backend that changed, and stops the early one', async () => {
    const u = gw!.gateway.upstreams.find((x) => x.name === 'changed')!;
    expect(u.state, u.lastError).toBe('ready');
    expect(u.info.era).toBe('modern');
    const [early, own] = pids(logs.changed);
    expect(own).toBeDefined();
    await until(() => !alive(early!), 10_000, 'the unadopted early child to exit');
    expect(alive(own!)).toBe(true);
  });

  it("gives a child the same inherited environment as the SDK's stdio transport", () => {
    expect(INHERITED_ENV_VARS).toEqual(process.platform === 'win32' ? expect.anything() : [...DEFAULT_INHERITED_ENV_VARS]);
  });
});
