// Freshness and the admin API: backends that never announce list changes are re-listed on a timer
// (configurable per backend, 0 disables) or when asked through the loopback admin API, whose token
// is in the run-state file; catalog changes are reported as added/removed/changed and reach clients
// of both eras as list_changed. `gatehouse backends refresh` drives the same endpoint.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayState } from '../../src/server/gateway.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { LISTFILE, NODE, ROOT, closeAllClients, connectClient, sleep, tempDir, until, type TempDir, type TestClient } from './helpers.js';
import { runStatePath } from '../../src/core/config/run-state.js';

const execFileP = promisify(execFile);
const toolsChanged = (tc: TestClient) => tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;

describe('re-listing backends that do not announce changes', () => {
  let gw: TestGateway;
  let dir: TempDir;
  let manual: string;
  let periodic: string;
  let state: GatewayState;
  let legacy: TestClient;
  let modern: TestClient;
  const setTools = (file: string, tools: string[]) => writeFileSync(file, JSON.stringify({ tools }));
  const admin = (path: string, init: RequestInit = {}, token = state.adminToken) =>
    fetch(`${state.adminUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    dir = tempDir();
    manual = join(dir.path, 'manual.json');
    periodic = join(dir.path, 'periodic.json');
    setTools(manual, ['alpha', 'beta']);
    setTools(periodic, ['one']);
    gw = await startGateway(
      {
        backends: {
          manual: { type: 'stdio', command: NODE, args: [LISTFILE, manual], refreshInterval: 0 },
          periodic: { type: 'stdio', command: NODE, args: [LISTFILE, periodic], refreshInterval: 0.5 },
        },
      },
      { stateDir: dir.path },
    );
    await gw.ready();
    state = JSON.parse(readFileSync(runStatePath(dir.path), 'utf8')) as GatewayState;
    legacy = await connectClient('http-legacy', { url: gw.url }, { name: 'fresh-legacy' });
    modern = await connectClient('http-modern', { url: gw.url }, { name: 'fresh-modern' });
    await modern.client.listen({ toolsListChanged: true });
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    dir?.remove();
  });

  it('writes a private run-state file with the admin URL and token', () => {
    const file = runStatePath(dir.path);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(state.url).toBe(gw.url);
    expect(state.adminUrl).toBe(gw.url.replace(/\/mcp$/, '/admin'));
    expect(state.adminToken.length).toBeGreaterThanOrEqual(24);
  });

  it('refuses the admin API without the token', async () => {
    expect((await admin('/status', {}, 'wrong')).status).toBe(401);
    expect((await fetch(`${state.adminUrl}/status`)).status).toBe(401);
    const ok = await admin('/status');
    expect(ok.status).toBe(200);
    const status = (await ok.json()) as { backends: Array<{ name: string; state: string; tools: number }> };
    expect(status.backends.map((b) => [b.name, b.state, b.tools])).toEqual([
      ['manual', 'ready', 2],
      ['periodic', 'ready', 1],
    ]);
  });

  it('re-lists a backend on /admin/refresh and reports what was added and removed', async () => {
    setTools(manual, ['alpha', 'gamma']);
    // Without a timer the change is not seen on its own.
    await sleep(1_200);
    expect(gw.gateway.catalog.resolveTool('manual_gamma')).toBeUndefined();

    const before = [legacy, modern].map(toolsChanged);
    const res = await admin('/refresh?backend=manual', { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { refreshed: Array<{ name: string; state: string; tools: number }>; tools: { added: string[]; removed: string[]; changed: string[] } };
    expect(body.refreshed).toEqual([{ name: 'manual', state: 'ready', tools: 2 }]);
    expect(body.tools).toEqual({ added: ['manual_gamma'], removed: ['manual_beta'], changed: [] });
    await until(() => [legacy, modern].every((c, i) => toolsChanged(c) > before[i]!), 5_000, 'list_changed on both clients');
    for (const c of [legacy, modern]) {
      const names = (await c.client.listTools(undefined, { cacheMode: 'bypass' } as never)).tools.map((t) => t.name);
      expect(names).toContain('manual_gamma');
      expect(names).not.toContain('manual_beta');
    }
    const called = await modern.client.callTool({ name: 'manual_gamma', arguments: {} });
    expect(called.content).toEqual([{ type: 'text', text: 'called gamma' }]);

    // Nothing changed since: an empty report. An unknown backend is a 404 that names it.
    const again = (await (await admin('/refresh', { method: 'POST' })).json()) as { tools: unknown };
    expect(again.tools).toEqual({ added: [], removed: [], changed: [] });
    const unknown = await admin('/refresh?backend=nope', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain('"nope"');
  });

  it('re-lists on its own timer when refreshInterval is set, and clients hear about it', async () => {
    const before = [legacy, modern].map(toolsChanged);
    setTools(periodic, ['one', 'two']);
    const changed = await gw.waitFor((e) => e.type === 'catalog.changed' && e.kind === 'tools' && e.diff.added.includes('periodic_two'), 5_000);
    expect(changed.type === 'catalog.changed' && changed.diff.removed).toEqual([]);
    await until(() => [legacy, modern].every((c, i) => toolsChanged(c) > before[i]!), 5_000, 'list_changed on both clients');
    setTools(periodic, ['two']);
    await gw.waitFor((e) => e.type === 'catalog.changed' && e.kind === 'tools' && e.diff.removed.includes('periodic_one'), 5_000);
    expect(gw.gateway.catalog.tools.map((t) => t.name).filter((n) => n.startsWith('periodic_'))).toEqual(['periodic_two']);
  });

  it('is what `gatehouse backends refresh` drives', async () => {
    setTools(manual, ['alpha', 'gamma', 'delta']);
    // Asynchronously: the gateway answering it runs in this process.
    const run = await execFileP(NODE, [join(ROOT, 'bin', 'run.js'), 'backends', 'refresh', 'manual', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir.path, NO_COLOR: '1' },
      timeout: 30_000,
    });
    const out = JSON.parse(run.stdout) as { tools: { added: string[] } };
    expect(out.tools.added).toEqual(['manual_delta']);
    expect(gw.gateway.catalog.resolveTool('manual_delta')).toBeDefined();
  });

  it('removes the run-state file when it stops', async () => {
    await closeAllClients();
    await gw.stop();
    expect(existsSync(runStatePath(dir.path))).toBe(false);
  });
});
