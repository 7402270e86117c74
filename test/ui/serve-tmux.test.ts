/**
 * The real `gatehouse serve` in a real terminal (tmux): the dashboard shows the endpoint, the backend
 * with its tool count, and a call made by a real MCP client; q drains and exits 0, and so does Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stdioFixtureCommand } from '../fixtures/servers/spawn-fixture.js';
import { startTmux, tmuxAvailable, type TmuxSession } from '../helpers/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const skipReason = !tmuxAvailable() ? 'tmux is not installed (Debian package: tmux)' : !existsSync(join(ROOT, 'dist', 'commands', 'serve.js')) ? 'dist/ is not built' : undefined;

let session: TmuxSession | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-tui-'));
});
afterEach(async () => {
  await session?.kill();
  session = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function startServe(): Promise<{ url: string }> {
  const { command, args } = stdioFixtureCommand('modern-server');
  const config = join(dir, 'gatehouse.yaml');
  await writeFile(config, `version: 1\nbackends:\n  modern:\n    type: stdio\n    command: ${JSON.stringify(command)}\n    args: ${JSON.stringify(args)}\n`);
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin', 'run.js'))} serve --config ${JSON.stringify(config)} --port 0`;
  session = await startTmux(cmd, { cols: 120, rows: 30, cwd: ROOT, env: { GATEHOUSE_CONFIG_DIR: dir } });
  const screen = await session.waitForText(/modern\s+● ready/, { timeoutMs: 20_000 });
  const url = /http:\/\/127\.0\.0\.1:\d+\/mcp/.exec(screen)?.[0];
  expect(url, screen).toBeDefined();
  return { url: url! };
}

describe.skipIf(skipReason !== undefined)(`gatehouse serve dashboard in tmux${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('shows the endpoint, the backend and a live call; q exits 0', async () => {
    const { url } = await startServe();
    const client = new Client({ name: 'tmux-probe', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      await client.callTool({ name: 'modern_echo', arguments: { text: 'from tmux' } });
    } finally {
      await client.close();
    }
    const screen = await session!.waitForText(/✓ ok\s+\S+\s+modern_echo/);
    expect(screen).toMatch(/modern\s+● ready\s+\d+/);
    expect(screen).toContain('tmux-probe');
    await session!.sendKeys('q');
    expect(await session!.waitForExit({ timeoutMs: 15_000 })).toBe(0);
  }, 60_000);

  it('Ctrl-C drains and exits 0', async () => {
    await startServe();
    await session!.sendKeys('C-c');
    expect(await session!.waitForExit({ timeoutMs: 15_000 })).toBe(0);
  }, 60_000);
});
