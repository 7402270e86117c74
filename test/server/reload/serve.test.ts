// Reload through the real CLI: `gatehouse serve` as a child process, reloaded by SIGHUP and by
// `gatehouse config reload` (with --no-watch, so only those can apply a change), and following the
// user store on its own when `gatehouse backends add` writes it. A 2025-era session and a 2026-07-28
// client stay open throughout; after each change both hear list_changed and can call the new tools.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminReloadResult } from '../../../src/core/admin/contract.js';
import type { GatewayState } from '../../../src/server/gateway.js';
import { runCli } from '../../helpers/cli.js';
import { LISTFILE, NODE, ROOT, closeAllClients, connectClient, stopChild, tempDir, until, type TempDir, type TestClient } from '../helpers.js';
import { listfile, pidOf, yamlOf } from './helpers.js';
import { runStatePath } from '../../../src/core/config/run-state.js';

const toolsChanged = (tc: TestClient) => tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;

interface Served {
  child: ChildProcess;
  state: GatewayState;
  /** JSON log lines so far, parsed. */
  events(): Array<Record<string, unknown> & { type: string }>;
  output(): string;
}

async function serve(dir: string, args: string[]): Promise<Served> {
  const child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', ...args, '--port', '0', '--no-tui', '--log-format', 'json'], {
    cwd: ROOT,
    env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const stateFile = runStatePath(dir, child.pid!);
  await until(() => existsSync(stateFile), 20_000, `the run-state file (output so far: ${out}${err})`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
  await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 20_000, 'readiness');
  return {
    child,
    state,
    output: () => out + err,
    events: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown> & { type: string }),
  };
}

describe('reload through gatehouse serve', () => {
  let dir: TempDir | undefined;
  let served: Served | undefined;
  afterEach(async () => {
    await closeAllClients();
    if (served) await stopChild(served.child);
    served = undefined;
    dir?.remove();
  });

  const openClients = async (url: string) => {
    const legacy = await connectClient('http-legacy', { url }, { name: 'serve-legacy' });
    const modern = await connectClient('http-modern', { url }, { name: 'serve-modern' });
    await modern.client.listen({ toolsListChanged: true });
    return [legacy, modern] as const;
  };
  const afterChange = async (clients: readonly TestClient[], before: number[], tool: string, text: string) => {
    await until(() => clients.every((c, i) => toolsChanged(c) > before[i]!), 10_000, 'list_changed on both clients');
    for (const c of clients) expect((await c.client.callTool({ name: tool, arguments: {} })).content).toEqual([{ type: 'text', text }]);
  };

  it('reloads on SIGHUP and on `gatehouse config reload`, and keeps the last good config when the file is invalid', async () => {
    dir = tempDir('gatehouse-reload-serve-');
    const file = (n: string, tools: string[]) => {
      const p = join(dir!.path, `${n}.json`);
      writeFileSync(p, JSON.stringify({ tools }));
      return p;
    };
    const a = file('a', ['one']);
    const b = file('b', ['two']);
    const c = file('c', ['three']);
    const config = join(dir.path, 'gatehouse.yaml');
    writeFileSync(config, yamlOf({ alpha: listfile(a) }));
    served = await serve(dir.path, ['--config', config, '--no-watch']);
    const clients = await openClients(served.state.url);
    const alphaPid = pidOf(a);

    writeFileSync(config, yamlOf({ alpha: listfile(a), beta: listfile(b) }));
    let before = clients.map(toolsChanged);
    served.child.kill('SIGHUP');
    await until(() => served!.events().some((e) => e.type === 'config.reloaded'), 10_000, `config.reloaded after SIGHUP (output: ${served.output()})`);
    const hup = served.events().find((e) => e.type === 'config.reloaded')!;
    expect(hup).toMatchObject({ trigger: 'sighup', added: ['beta'], removed: [], restarted: [], unchanged: ['alpha'] });
    await afterChange(clients, before, 'beta_two', 'called two');

    // With --no-watch only an explicit reload applies this; the command's answer shows it was not applied before.
    writeFileSync(config, yamlOf({ alpha: listfile(a), gamma: listfile(c) }));
    before = clients.map(toolsChanged);
    const r = await runCli(['config', 'reload', '--json'], { configDir: dir.path });
    expect(r.code, r.stderr).toBe(0);
    const answer = r.json<AdminReloadResult>();
    expect(answer).toMatchObject({ applied: true, changed: true, source: config, summary: { added: ['gamma'], removed: ['beta'], unchanged: ['alpha'], restartNeeded: [] } });
    await afterChange(clients, before, 'gamma_three', 'called three');

    writeFileSync(config, 'version: 1\nbackends:\n  alpha:\n    type: stdio\n    comand: node\n');
    const bad = await runCli(['config', 'reload'], { configDir: dir.path });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/gatehouse\.yaml:5:5: backends\.alpha\.comand: unknown key "comand" \(did you mean "command"\?\)/);
    expect(bad.stderr).toContain('keeps serving the last good configuration');
    const ready = await fetch(served.state.url.replace(/\/mcp$/, '/readyz'));
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { config: { ok: boolean } }).config.ok).toBe(false);
    await until(() => served!.output().includes('"type":"config.invalid"'), 5_000, 'the config.invalid log line');
    for (const cl of clients) expect((await cl.client.callTool({ name: 'gamma_three', arguments: {} })).content).toEqual([{ type: 'text', text: 'called three' }]);
    expect(pidOf(a)).toBe(alphaPid);
  });

  it('picks up `gatehouse backends add` on the user store without a restart', async () => {
    dir = tempDir('gatehouse-reload-store-');
    const a = join(dir.path, 'a.json');
    writeFileSync(a, JSON.stringify({ tools: ['one'] }));
    served = await serve(dir.path, []);
    const clients = await openClients(served.state.url);
    const before = clients.map(toolsChanged);
    const add = await runCli(['backends', 'add', 'alpha', '--stdio', `${NODE} ${LISTFILE} ${a}`], { configDir: dir.path });
    expect(add.code, add.stderr).toBe(0);
    await until(() => served!.events().some((e) => e.type === 'config.reloaded'), 10_000, `config.reloaded after backends add (output: ${served.output()})`);
    expect(served.events().find((e) => e.type === 'config.reloaded')).toMatchObject({ trigger: 'watch', added: ['alpha'] });
    await afterChange(clients, before, 'alpha_one', 'called one');
    const refresh = await runCli(['backends', 'refresh', 'alpha', '--json'], { configDir: dir.path });
    expect(refresh.code, refresh.stderr).toBe(0);
    expect(refresh.json<{ refreshed: Array<{ name: string }> }>().refreshed.map((x) => x.name)).toEqual(['alpha']);
  });
});
