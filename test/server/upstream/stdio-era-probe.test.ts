// The era probe of a stdio backend runs on its own child (2026-07-28 versioning: a dual-era client
// sends server/discover, and initialize on the same stream when the server turns out to be a 2025
// one). Every start spawns exactly one child, whatever the era. A child that exits before answering
// the probe is a failed start, retried with the backoff and probed again: never a 2025 verdict.
// Spawns are counted by the fixture itself (spawn-log.mjs appends its pid to a file).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StdioBackendConfig } from '../../../src/core/config/schema.js';
import type { McpUpstream } from '../../../src/server/upstream/mcp.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, alive, tempDir, until, type TempDir } from '../helpers.js';

const SPAWN_LOG = fileURLToPath(new URL('../fixtures/spawn-log.mjs', import.meta.url));
const pids = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);

describe('stdio era probe on the backend child itself', () => {
  let dir: TempDir;
  const gateways: TestGateway[] = [];
  let n = 0;

  /** A backend whose starts are counted in its own file. */
  function counted(args: string[], extra: Partial<StdioBackendConfig> = {}): { backend: StdioBackendConfig; log: string } {
    const log = join(dir.path, `backend-${++n}.spawns`);
    writeFileSync(log, '');
    return { backend: { type: 'stdio', command: NODE, args: [SPAWN_LOG, ...args], env: { SPAWN_LOG: log }, ...extra }, log };
  }

  async function gatewayWith(backends: Record<string, StdioBackendConfig>): Promise<TestGateway> {
    const gw = await startGateway({ backends });
    gateways.push(gw);
    return gw;
  }
  const upstream = (gw: TestGateway, name: string) => gw.gateway.upstreams.find((u) => u.name === name) as McpUpstream;

  beforeAll(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const gw of gateways.splice(0)) await gw.stop();
  });
  afterAll(() => dir?.remove());

  it('starts a 2025 backend on one child: server/discover, then initialize on the same stream', async () => {
    const legacy = counted(['--era', 'legacy']);
    const gw = await gatewayWith({ legacy: legacy.backend });
    await gw.ready();
    const u = upstream(gw, 'legacy');
    expect(u.state, u.lastError).toBe('ready');
    expect(u.info.era).toBe('legacy');
    const [only, ...more] = pids(legacy.log);
    expect(more).toEqual([]);
    expect(alive(only!)).toBe(true);
    // A restart reuses the verdict: one more child, no probe.
    await u.stop();
    await u.start();
    expect(u.state, u.lastError).toBe('ready');
    expect(pids(legacy.log)).toHaveLength(2);
  });

  it('starts a 2026-07-28 backend on one child', async () => {
    const modern = counted(['--era', 'modern']);
    const gw = await gatewayWith({ modern: modern.backend });
    await gw.ready();
    const u = upstream(gw, 'modern');
    expect(u.state, u.lastError).toBe('ready');
    expect(u.info.era).toBe('modern');
    expect(pids(modern.log)).toHaveLength(1);
  });

  it('keeps the era of a backend whose first start crashed unknown, and probes it again on the retry', async () => {
    const crashy = counted(['--crash-first', '1', '--era', 'modern']);
    const gw = await gatewayWith({ crashy: crashy.backend });
    const u = upstream(gw, 'crashy');
    // Gateway.start returns once each backend's first attempt is over: this one failed.
    expect(u.state).toBe('failed');
    expect(u.lastError).toMatch(/exited before it answered the era probe/);
    expect(u.info.era).toBeUndefined();
    expect(u.eraVerdict).toBeUndefined();
    // The backoff retry probes again and finds the 2026-07-28 server it is.
    await until(() => u.state === 'ready', 20_000, 'the crashed backend to come back');
    expect(u.info.era).toBe('modern');
    expect(u.eraVerdict?.kind).toBe('modern');
    expect(pids(crashy.log)).toHaveLength(2);
  });

  it('says how to start a 2025 server that exits on server/discover, and starts it on one child with protocol: legacy', async () => {
    const strict = counted(['--exit-before-initialize', '--era', 'legacy']);
    const pinned = counted(['--exit-before-initialize', '--era', 'legacy'], { protocol: 'legacy' });
    const gw = await gatewayWith({ strict: strict.backend, pinned: pinned.backend });
    await gw.ready();
    const s = upstream(gw, 'strict');
    expect(s.state).toBe('failed');
    expect(s.lastError).toMatch(/set "protocol: legacy" on the backend/);
    // The probe went to the backend's own child, which said so on stderr before it exited.
    expect(s.lastError).toMatch(/exiting on a first request that is not initialize: .*server\/discover/);
    expect(s.info.era).toBeUndefined();
    const p = upstream(gw, 'pinned');
    expect(p.state, p.lastError).toBe('ready');
    expect(p.info.era).toBe('legacy');
    expect(pids(pinned.log)).toHaveLength(1);
  });
});
