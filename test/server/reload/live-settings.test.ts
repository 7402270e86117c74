// What a reconcile does to calls and settings, on a real gateway with the probe backend: a removed
// backend finishes its in-flight call before it stops, but only within the drain bound; aliases, the
// default call timeout and the refresh interval apply live; sessions of both eras stay open and hear
// list_changed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { LISTFILE, NODE, alive, closeAllClients, connectClient, probeStdio, tempDir, until, type TempDir, type TestClient } from '../helpers.js';
import { listfile, pidOf, yamlOf } from './helpers.js';
import { loadConfigFile } from '../../../src/core/config/load.js';

const toolsChanged = (tc: TestClient) => tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;
const textOf = (r: { content?: unknown }) => (r.content as Array<{ text?: string }>)[0]?.text;

describe('reconcile: draining, aliases and timeouts', () => {
  let gw: TestGateway;
  let legacy: TestClient;
  let modern: TestClient;
  const base: GatehouseConfig = { version: 1, backends: { keep: probeStdio('legacy'), lp: probeStdio('legacy') } };

  beforeAll(async () => {
    gw = await startGateway(base, { reloadDrainMs: 3_000 });
    await gw.ready();
    legacy = await connectClient('http-legacy', { url: gw.url }, { name: 'drain-legacy' });
    modern = await connectClient('http-modern', { url: gw.url }, { name: 'drain-modern' });
    await modern.client.listen({ toolsListChanged: true });
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  const pidByTool = async (tool: string) => Number(textOf(await legacy.client.callTool({ name: tool, arguments: {} })));

  it('lets a removed backend finish its in-flight call, then stops it; the other is untouched', async () => {
    const lpPid = await pidByTool('lp_pid');
    const keepPid = await pidByTool('keep_pid');
    const slow = modern.client.callTool({ name: 'lp_slow', arguments: { ms: 1_000, tag: 'drained' } });
    await gw.waitFor((e) => e.type === 'backend.stderr' && e.backend === 'lp' && e.line.includes('PROBE STARTED drained'));
    const before = [legacy, modern].map(toolsChanged);
    const summary = await gw.gateway.reconcile({ version: 1, backends: { keep: base.backends.keep! } });
    expect(summary).toMatchObject({ removed: ['lp'], unchanged: ['keep'], added: [], restarted: [] });
    expect(textOf(await slow)).toBe('slow drained done after 1000 ms');
    await until(() => !alive(lpPid), 5_000, 'the removed backend to exit');
    await until(() => [legacy, modern].every((c, i) => toolsChanged(c) > before[i]!), 5_000, 'list_changed on both clients');
    expect((await legacy.client.listTools()).tools.some((t) => t.name.startsWith('lp_'))).toBe(false);
    expect(await pidByTool('keep_pid')).toBe(keepPid);
  });

  it('bounds the drain: a call longer than reloadDrainMs ends with an error instead of holding the reload', async () => {
    await gw.gateway.reconcile(base);
    await until(() => gw.gateway.catalog.resolveTool('lp_slow') !== undefined, 10_000, 'lp back in the catalog');
    const slow = legacy.client.callTool({ name: 'lp_slow', arguments: { ms: 60_000, tag: 'too-long' } });
    await gw.waitFor((e) => e.type === 'backend.stderr' && e.backend === 'lp' && e.line.includes('PROBE STARTED too-long'));
    await gw.gateway.reconcile({ version: 1, backends: { keep: base.backends.keep! } });
    const outcome = await slow.then(
      (r) => ({ ok: !r.isError, text: textOf(r) }),
      (e: Error) => ({ ok: false, text: e.message }),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.text).not.toContain('done after');
  });

  it('applies aliases live, and clients see a listed alias appear', async () => {
    const before = [legacy, modern].map(toolsChanged);
    const summary = await gw.gateway.reconcile({ version: 1, gateway: { aliases: { map: { 'old-pid': 'keep_pid' }, listAliases: true } }, backends: { keep: base.backends.keep! } });
    expect(summary.settings).toEqual(['gateway.aliases']);
    expect(summary.unchanged).toEqual(['keep']);
    await until(() => [legacy, modern].every((c, i) => toolsChanged(c) > before[i]!), 5_000, 'list_changed for the listed alias');
    for (const c of [legacy, modern]) {
      expect((await c.client.listTools(undefined, { cacheMode: 'bypass' } as never)).tools.map((t) => t.name)).toContain('old-pid');
      expect(Number(textOf(await c.client.callTool({ name: 'old-pid', arguments: {} })))).toBeGreaterThan(0);
    }
    expect(gw.events.some((e) => e.type === 'alias.used' && e.alias === 'old-pid')).toBe(true);

    await gw.gateway.reconcile({ version: 1, backends: { keep: base.backends.keep! } });
    const gone = await legacy.client.callTool({ name: 'old-pid', arguments: {} }).then(
      (r) => Boolean(r.isError),
      () => true,
    );
    expect(gone).toBe(true);
  });

  it('applies the default call timeout live', async () => {
    await gw.gateway.reconcile({ version: 1, gateway: { callTimeout: 0.5 }, backends: { keep: base.backends.keep! } });
    const r = await legacy.client.callTool({ name: 'keep_slow', arguments: { ms: 5_000, tag: 'timeout' } }).then(
      (x) => ({ error: x.isError ? textOf(x) : undefined }),
      (e: Error) => ({ error: e.message }),
    );
    expect(r.error).toMatch(/timed? ?out/i);
    const s = await gw.gateway.reconcile({ version: 1, backends: { keep: base.backends.keep! } });
    expect(s.settings).toEqual(['gateway.callTimeout']);
    expect(textOf(await legacy.client.callTool({ name: 'keep_slow', arguments: { ms: 700, tag: 'fits' } }))).toBe('slow fits done after 700 ms');
  });
});

describe('reconcile: the refresh interval applies live', () => {
  let gw: TestGateway;
  let dir: TempDir;
  afterAll(async () => {
    await gw?.stop();
    dir?.remove();
  });

  it('starts re-listing a backend that never announces changes once gateway.refreshInterval is set, without restarting it', async () => {
    dir = tempDir('gatehouse-refresh-live-');
    const file = join(dir.path, 'tools.json');
    writeFileSync(file, JSON.stringify({ tools: ['one'] }));
    // No per-backend interval: the gateway-wide one (here 0, off) decides.
    const backends = { quiet: { type: 'stdio' as const, command: NODE, args: [LISTFILE, file] } };
    gw = await startGateway({ gateway: { refreshInterval: 0 }, backends });
    await gw.ready();
    const pid = pidOf(file);
    const summary = await gw.gateway.reconcile({ version: 1, gateway: { refreshInterval: 0.3 }, backends });
    expect(summary).toMatchObject({ settings: ['gateway.refreshInterval'], unchanged: ['quiet'] });
    writeFileSync(file, JSON.stringify({ tools: ['one', 'two'] }));
    await gw.waitFor((e) => e.type === 'catalog.changed' && e.diff.added.includes('quiet_two'), 10_000);
    expect(pidOf(file)).toBe(pid);
  });
});

describe('reload while the gateway starts', () => {
  let gw: TestGateway | undefined;
  let dir: TempDir;
  afterAll(async () => {
    await gw?.stop();
    dir?.remove();
  });

  it('applies a write made between loading the config and starting, once the backends are up', async () => {
    dir = tempDir('gatehouse-reload-early-');
    const a = join(dir.path, 'a.json');
    const b = join(dir.path, 'b.json');
    writeFileSync(a, JSON.stringify({ tools: ['one'] }));
    writeFileSync(b, JSON.stringify({ tools: ['two'] }));
    const configPath = join(dir.path, 'gatehouse.yaml');
    writeFileSync(configPath, yamlOf({ alpha: listfile(a) }));
    const loaded = await loadConfigFile(configPath);
    // The file changes after it was read and before the gateway watches it.
    writeFileSync(configPath, yamlOf({ alpha: listfile(a), beta: listfile(b) }));
    gw = await startGateway(loaded, { configPath });
    const e = await gw.waitFor((x) => x.type === 'config.reloaded', 10_000);
    expect(e).toMatchObject({ added: ['beta'], unchanged: ['alpha'] });
    await until(() => gw!.gateway.catalog.resolveTool('beta_two') !== undefined, 10_000, 'beta in the catalog');
    // An explicit reload afterwards finds nothing new to apply.
    expect(await gw.gateway.reload('api')).toMatchObject({ applied: true, changed: false });
  });
});
