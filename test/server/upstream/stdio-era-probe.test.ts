// The era probe runs on the backend's own child (2026-07-28 versioning: a dual-era client sends
// server/discover, then initialize on the same stream when the server is a 2025 one). Each start
// of a stdio backend spawns one child, of either era; a 2025 server that exits on the probe is
// started once more as a 2025 server, and later restarts remember that and spawn once.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, tempDir, type TempDir } from '../helpers.js';

const COUNTER = fileURLToPath(new URL('../fixtures/spawn-counter.mjs', import.meta.url));
const spawned = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).length;

describe('stdio era probe on the same child', () => {
  let dir: TempDir;
  let gw: TestGateway | undefined;
  const logs = { legacy: '', modern: '', strict: '' };

  beforeAll(async () => {
    dir = tempDir();
    for (const k of Object.keys(logs) as Array<keyof typeof logs>) {
      logs[k] = join(dir.path, `${k}.spawns`);
      writeFileSync(logs[k], '');
    }
    const backend = (log: string, args: string[]) => ({ type: 'stdio' as const, command: NODE, args: [COUNTER, ...args], env: { SPAWN_LOG: log } });
    gw = await startGateway({
      backends: {
        legacy: backend(logs.legacy, ['--era', 'legacy']),
        modern: backend(logs.modern, ['--era', 'modern']),
        strict: backend(logs.strict, ['--exit-before-initialize', '--era', 'legacy']),
      },
    });
    await gw.ready();
  });

  afterAll(async () => {
    await gw?.stop();
    dir?.remove();
  });

  it('starts a backend of either era on one child', () => {
    const byName = Object.fromEntries(gw!.gateway.upstreams.map((u) => [u.name, u]));
    for (const name of ['legacy', 'modern']) expect(byName[name].state, `${name}: ${byName[name].lastError}`).toBe('ready');
    expect(byName.legacy.info.era).toBe('legacy');
    expect(byName.modern.info.era).toBe('modern');
    expect(spawned(logs.legacy)).toBe(1);
    expect(spawned(logs.modern)).toBe(1);
  });

  it('starts a 2025 server that exits on server/discover again as a 2025 server, and remembers that', async () => {
    const strict = gw!.gateway.upstreams.find((u) => u.name === 'strict')!;
    expect(strict.state, strict.lastError).toBe('ready');
    expect(strict.info.era).toBe('legacy');
    expect(spawned(logs.strict)).toBe(2);
    await strict.stop();
    await strict.start();
    expect(strict.state, strict.lastError).toBe('ready');
    expect(spawned(logs.strict)).toBe(3);
  });
});
