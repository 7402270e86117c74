// Live reload against a real gateway and real stdio backends (the list-file fixture). The config
// starts in the Kubernetes ConfigMap layout and is then replaced every way it gets replaced in the
// field: a ..data symlink swap, an in-place write through the link, an editor's rename write, delete
// and recreate, an invalid file and the valid one after it. A 2025-era session and a 2026-07-28
// client stay open through all of it; after each change both hear list_changed and can call tools,
// and backends the change did not touch keep the same child process.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminReloadResult, AdminStatus } from '../../../src/core/admin/contract.js';
import { loadConfigFile } from '../../../src/core/config/load.js';
import type { GatewayState } from '../../../src/server/gateway.js';
import type { GatewayEvent } from '../../../src/core/events.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, ROOT, alive, closeAllClients, connectClient, tempDir, until, type TempDir, type TestClient } from '../helpers.js';
import { listfile, pidOf, writeByRename, yamlOf } from './helpers.js';
import { readFileSync } from 'node:fs';
import { runStatePath } from '../../../src/core/config/run-state.js';

const execFileP = promisify(execFile);
const toolsChanged = (tc: TestClient) => tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;
type Reloaded = Extract<GatewayEvent, { type: 'config.reloaded' }>;

describe('live reload: reconcile on every kind of config replacement', () => {
  let dir: TempDir;
  let gw: TestGateway;
  let legacy: TestClient;
  let modern: TestClient;
  let configPath: string;
  let state: GatewayState;
  const files: Record<string, string> = {};
  let alphaPid: number;
  let reloads = 0;
  let stamp = 0;

  const tools = (name: string, list: string[]) => {
    files[name] = join(dir.path, `${name}.json`);
    writeFileSync(files[name]!, JSON.stringify({ tools: list }));
    return files[name]!;
  };
  const stampDir = (text: string) => {
    const d = join(dir.path, `..2026_12_02_13_00_${String(stamp++).padStart(2, '0')}.1`);
    mkdirSync(d);
    writeFileSync(join(d, 'gatehouse.yaml'), text);
    return d;
  };
  const admin = async <T>(path: string, method = 'GET'): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${state.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${state.adminToken}` } });
    return { status: res.status, body: (await res.json()) as T };
  };
  /** Waits for the next config event after the ones already seen, and the list_changed it causes. */
  const nextReload = async (): Promise<Reloaded> => {
    const n = ++reloads;
    const e = await until(() => gw.events.filter((x) => x.type === 'config.reloaded' || x.type === 'config.invalid').length >= n, 10_000, `reload #${n}`).then(
      () => gw.events.filter((x) => x.type === 'config.reloaded' || x.type === 'config.invalid')[n - 1]!,
    );
    if (e.type !== 'config.reloaded') throw new Error(`reload #${n} was ${e.type}: ${JSON.stringify(e)}`);
    return e;
  };
  const names = async (c: TestClient) => (await c.client.listTools(undefined, { cacheMode: 'bypass' } as never)).tools.map((t) => t.name).sort();
  const call = async (c: TestClient, name: string) => (await c.client.callTool({ name, arguments: {} })).content;
  const expectBoth = async (listed: string[], callName: string, text: string, before: number[]) => {
    await until(() => [legacy, modern].every((c, i) => toolsChanged(c) > before[i]!), 10_000, 'list_changed on both clients');
    for (const c of [legacy, modern]) {
      expect(await names(c)).toEqual(listed);
      expect(await call(c, callName)).toEqual([{ type: 'text', text }]);
    }
  };
  const counts = () => [legacy, modern].map(toolsChanged);

  beforeAll(async () => {
    dir = tempDir('gatehouse-reload-');
    tools('a', ['one']);
    tools('b', ['two']);
    tools('b2', ['three']);
    tools('c', ['four']);
    // The ConfigMap layout: gatehouse.yaml -> ..data/gatehouse.yaml, ..data -> a timestamped dir.
    symlinkSync(stampDir(yamlOf({ alpha: listfile(files.a!) })), join(dir.path, '..data'));
    configPath = join(dir.path, 'gatehouse.yaml');
    symlinkSync(join('..data', 'gatehouse.yaml'), configPath);
    gw = await startGateway(await loadConfigFile(configPath), { configPath, stateDir: dir.path, baseDir: dir.path });
    await gw.ready();
    state = JSON.parse(readFileSync(runStatePath(dir.path), 'utf8')) as GatewayState;
    legacy = await connectClient('http-legacy', { url: gw.url }, { name: 'reload-legacy' });
    modern = await connectClient('http-modern', { url: gw.url }, { name: 'reload-modern' });
    await modern.client.listen({ toolsListChanged: true });
    alphaPid = pidOf(files.a!);
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    dir?.remove();
  });

  it('applies a ConfigMap ..data swap: the added backend starts, the unchanged one is not touched', async () => {
    const before = counts();
    const next = stampDir(yamlOf({ alpha: listfile(files.a!), beta: listfile(files.b!) }));
    symlinkSync(next, join(dir.path, '..data_tmp'));
    renameSync(join(dir.path, '..data_tmp'), join(dir.path, '..data'));
    const e = await nextReload();
    expect([e.added, e.removed, e.restarted, e.unchanged, e.trigger]).toEqual([['beta'], [], [], ['alpha'], 'watch']);
    await expectBoth(['alpha_one', 'beta_two'], 'beta_two', 'called two', before);
    expect(await call(legacy, 'alpha_one')).toEqual([{ type: 'text', text: 'called one' }]);
    expect(pidOf(files.a!)).toBe(alphaPid);
  });

  it('applies an in-place write through the link: the changed backend restarts in a new process', async () => {
    const betaPid = pidOf(files.b!);
    const before = counts();
    writeFileSync(configPath, yamlOf({ alpha: listfile(files.a!), beta: listfile(files.b2!) }));
    const e = await nextReload();
    expect([e.added, e.removed, e.restarted, e.unchanged]).toEqual([[], [], ['beta'], ['alpha']]);
    await expectBoth(['alpha_one', 'beta_three'], 'beta_three', 'called three', before);
    await until(() => !alive(betaPid), 5_000, 'the old beta child to exit');
    expect(pidOf(files.a!)).toBe(alphaPid);
  });

  it('applies a rename write: naming and timeouts live, host and port reported as needing a restart', async () => {
    const before = counts();
    writeByRename(configPath, yamlOf({ alpha: listfile(files.a!), beta: listfile(files.b2!) }, { separator: '-', callTimeout: 30, port: 7999 }));
    const e = await nextReload();
    expect([e.added, e.removed, e.restarted, e.unchanged]).toEqual([[], [], [], ['alpha', 'beta']]);
    expect(e.settings).toEqual(['gateway.separator', 'gateway.callTimeout']);
    expect(e.restartNeeded).toEqual(['gateway.port']);
    expect(gw.events.some((x) => x.type === 'config.restart_needed' && x.settings.includes('gateway.port'))).toBe(true);
    await expectBoth(['alpha-one', 'beta-three'], 'alpha-one', 'called one', before);
    // The listener stays where it was until a restart.
    expect(gw.gateway.url).toBe(gw.url);
    expect(pidOf(files.a!)).toBe(alphaPid);
  });

  it('applies delete + recreate: the removed backend stops, the new one starts', async () => {
    const betaPid = pidOf(files.b2!);
    const before = counts();
    unlinkSync(configPath);
    writeFileSync(configPath, yamlOf({ alpha: listfile(files.a!), gamma: listfile(files.c!) }, { separator: '-', callTimeout: 30, port: 7999 }));
    const e = await nextReload();
    expect([e.added, e.removed, e.restarted, e.unchanged]).toEqual([['gamma'], ['beta'], [], ['alpha']]);
    await expectBoth(['alpha-one', 'gamma-four'], 'gamma-four', 'called four', before);
    await until(() => !alive(betaPid), 5_000, 'the removed beta child to exit');
    const { body } = await admin<AdminStatus>('/status');
    expect(body.backends.map((b) => b.name)).toEqual(['alpha', 'gamma']);
    expect(pidOf(files.a!)).toBe(alphaPid);
  });

  it('keeps serving the last good config through an invalid file, reports where it is wrong, and applies the next valid one', async () => {
    const good = yamlOf({ alpha: listfile(files.a!), gamma: listfile(files.c!) }, { separator: '-', callTimeout: 30, port: 7999 });
    // A YAML syntax error on line 3.
    writeFileSync(configPath, 'version: 1\nbackends:\n  alpha: {type: stdio, command: [\n');
    const n = ++reloads;
    await until(() => gw.events.filter((x) => x.type === 'config.reloaded' || x.type === 'config.invalid').length >= n, 10_000, 'config.invalid');
    const bad = gw.events.filter((x) => x.type === 'config.reloaded' || x.type === 'config.invalid')[n - 1]!;
    expect(bad.type).toBe('config.invalid');
    expect(bad.type === 'config.invalid' && bad.error).toMatch(/gatehouse\.yaml at line \d+, column \d+/);
    let ready = await fetch(gw.url.replace(/\/mcp$/, '/readyz'));
    expect(ready.status).toBe(200);
    let body = (await ready.json()) as { config: { ok: boolean; error?: { message: string } } };
    expect(body.config.ok).toBe(false);
    expect(body.config.error?.message).toContain('gatehouse.yaml');
    for (const c of [legacy, modern]) expect(await call(c, 'gamma-four')).toEqual([{ type: 'text', text: 'called four' }]);

    // A schema error: file:line:col, the path inside the file and the fix, as load.ts words it.
    writeFileSync(configPath, good.replace('callTimeout: 30', 'callTimeout: 30\n  prefixMod: never'));
    const m = ++reloads;
    await until(() => gw.events.filter((x) => x.type === 'config.reloaded' || x.type === 'config.invalid').length >= m, 10_000, 'second config.invalid');
    const bad2 = gw.events.filter((x) => x.type === 'config.reloaded' || x.type === 'config.invalid')[m - 1]!;
    expect(bad2.type === 'config.invalid' && bad2.error).toMatch(/gatehouse\.yaml:\d+:\d+: gateway\.prefixMod: unknown key "prefixMod" \(did you mean "prefixMode"\?\)/);
    expect(gw.gateway.catalog.tools.map((t) => t.name).sort()).toEqual(['alpha-one', 'gamma-four']);
    expect(pidOf(files.a!)).toBe(alphaPid);

    const before = counts();
    writeFileSync(configPath, good.replace('separator: "-"', 'separator: _').replace('separator: -', 'separator: _'));
    const e = await nextReload();
    expect(e.settings).toEqual(['gateway.separator']);
    await expectBoth(['alpha_one', 'gamma_four'], 'gamma_four', 'called four', before);
    ready = await fetch(gw.url.replace(/\/mcp$/, '/readyz'));
    body = (await ready.json()) as { config: { ok: boolean } };
    expect(body.config.ok).toBe(true);
  });

  it('answers POST /admin/reload with the plan, and a backend added by reload can be refreshed by name', async () => {
    const { status, body } = await admin<AdminReloadResult>('/reload', 'POST');
    expect(status).toBe(200);
    expect(body).toMatchObject({ applied: true, changed: false, summary: { unchanged: ['alpha', 'gamma'] } });
    reloads++;

    tools('d', ['five']);
    writeByRename(configPath, yamlOf({ alpha: listfile(files.a!), gamma: listfile(files.c!), delta: listfile(files.d!) }, { callTimeout: 30, port: 7999 }));
    const e = await nextReload();
    expect(e.added).toEqual(['delta']);
    writeFileSync(files.d!, JSON.stringify({ tools: ['five', 'six'] }));
    const run = await execFileP(NODE, [join(ROOT, 'bin', 'run.js'), 'backends', 'refresh', 'delta', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir.path, NO_COLOR: '1' },
      timeout: 30_000,
    });
    expect((JSON.parse(run.stdout) as { tools: { added: string[] } }).tools.added).toEqual(['delta_six']);
    for (const c of [legacy, modern]) expect(await call(c, 'delta_six')).toEqual([{ type: 'text', text: 'called six' }]);
  });
});
