/**
 * The real `gatehouse serve` in one tmux terminal and `gatehouse dashboard --url …` attached to it in
 * another: a real MCP client's destructive call makes a plan, it is approved from the attached
 * approvals view (a, then y), `gatehouse approvals list --json` shows it approved by the operator,
 * the agent's apply runs the backend once, and quitting the attached dashboard leaves serve running.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runCli } from '../helpers/cli.js';
import { startTmux, tmuxAvailable, type TmuxSession } from '../helpers/tmux.js';
import { closeAllClients, connectClient, textOf } from '../server/helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER = fileURLToPath(new URL('../server/approvals/fixtures/snapshot-server.mjs', import.meta.url));
const skipReason = !tmuxAvailable() ? 'tmux is not installed (Debian package: tmux)' : !existsSync(join(ROOT, 'dist', 'commands', 'dashboard.js')) ? 'dist/ is not built (npx tsc -p tsconfig.json && npx oclif manifest)' : undefined;

const dir = makeTempDir('gatehouse-attach-tui-');
const callsFile = join(dir, 'calls.log');
const sessions: TmuxSession[] = [];
const calls = () => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean) : []);
const run = (args: string) => `${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin', 'run.js'))} ${args}`;

afterAll(async () => {
  await closeAllClients();
  for (const s of sessions) await s.kill();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skipReason !== undefined)(`gatehouse dashboard --url attached to serve, in tmux${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('approves a plan from the attached approvals view; detaching leaves the gateway serving', async () => {
    const config = join(dir, 'gatehouse.yaml');
    await writeFile(config, `version: 1\nbackends:\n  longhorn:\n    type: stdio\n    command: ${JSON.stringify(process.execPath)}\n    args: ${JSON.stringify([SERVER, callsFile])}\n    approvals:\n      annotations: destructive\n`);
    const env = { GATEHOUSE_CONFIG_DIR: dir };
    const serve = await startTmux(run(`serve --config ${JSON.stringify(config)} --port 0`), { cols: 120, rows: 30, cwd: ROOT, env });
    sessions.push(serve);
    const screen = await serve.waitForText(/longhorn\s+● ready/, { timeoutMs: 30_000 });
    const url = /http:\/\/127\.0\.0\.1:\d+\/mcp/.exec(screen)?.[0];
    expect(url, screen).toBeDefined();

    const dash = await startTmux(run(`dashboard --url ${url}`), { cols: 120, rows: 30, cwd: ROOT, env });
    sessions.push(dash);
    await dash.waitForText('⇄ attached', { timeoutMs: 30_000 });
    // The backend came up before we attached: the backfill (or the status snapshot) says so.
    await dash.waitForText(/longhorn\s+● ready/, { timeoutMs: 20_000 });

    const agent = await connectClient('http-legacy', { url: url! }, { name: 'agent-tmux' });
    const r = await agent.client.callTool({ name: 'longhorn_delete_snapshot', arguments: { volume: 'pvc-9', snapshot: 'nightly' } });
    const id = (r._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
    expect(calls()).toHaveLength(0);

    await dash.sendKeys('7');
    await dash.waitForText(new RegExp(`${id}\\s+pending\\s+longhorn_delete_snapshot\\s+longhorn\\s+agent-tmux`), { timeoutMs: 20_000 });
    await dash.sendKeys('a');
    await dash.waitForText(/Approve plan \S+ \(longhorn_delete_snapshot on longhorn\) as \S+\? y\/n/, { timeoutMs: 10_000 });
    await dash.sendKeys('y');
    await dash.waitForText(`Approved plan ${id}`, { timeoutMs: 20_000 });
    await dash.waitForText(new RegExp(`${id}\\s+approved`), { timeoutMs: 20_000 });

    const listed = await runCli(['approvals', 'list', '--json'], { configDir: dir });
    expect(listed.code, listed.stderr).toBe(0);
    const plan = (JSON.parse(listed.stdout) as { plans: Array<{ id: string; state: string; decidedBy?: string }> }).plans.find((p) => p.id === id);
    expect(plan).toMatchObject({ state: 'approved', decidedBy: userInfo().username });

    const applied = await agent.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(textOf(applied)).toBe('deleted pvc-9/nightly');
    expect(calls()).toHaveLength(1);

    // Detach: the attached dashboard exits 0, the gateway keeps serving.
    await dash.sendKeys('q');
    expect(await dash.waitForExit({ timeoutMs: 15_000 })).toBe(0);
    expect(await serve.exitStatus()).toBeUndefined();
    expect(textOf(await agent.client.callTool({ name: 'longhorn_list_snapshots', arguments: {} }))).toBe('["s1","s2"]');
    await agent.close();
    await serve.sendKeys('q');
    expect(await serve.waitForExit({ timeoutMs: 20_000 })).toBe(0);
  }, 120_000);
});
