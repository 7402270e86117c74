/**
 * The real `gatehouse serve` in a real terminal (tmux), walked with real keys: a backend that fails
 * twice before it starts (the banner shows, then clears when it recovers), the catalog filtered and a
 * tool opened, a failing call opened with its error text, the backend's detail, the sessions of a
 * real SDK client, the error history and the help. Everything is real: gateway, fixture backend over
 * stdio, SDK client over HTTP.
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
let client: Client | undefined;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-tui-views-'));
});
afterEach(async () => {
  await client?.close().catch(() => undefined);
  client = undefined;
  await session?.kill();
  session = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A backend that exits at once on its first two starts, then runs the modern fixture. */
async function flakyBackend(): Promise<{ command: string; args: string[] }> {
  const { command, args } = stdioFixtureCommand('modern-server');
  const script = join(dir, 'flaky.sh');
  const counter = join(dir, 'starts');
  await writeFile(
    script,
    `#!/bin/sh\nn=$(cat ${JSON.stringify(counter)} 2>/dev/null || echo 0)\necho $((n+1)) > ${JSON.stringify(counter)}\nif [ "$n" -lt 2 ]; then echo "flaky start $n: not yet" >&2; exit 3; fi\nexec ${[command, ...args].map((a) => JSON.stringify(a)).join(' ')}\n`,
    { mode: 0o755 },
  );
  return { command: '/bin/sh', args: [script] };
}

describe.skipIf(skipReason !== undefined)(`gatehouse serve dashboard views in tmux${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('walks every view with real keys against a real gateway', async () => {
    const { command, args } = await flakyBackend();
    const config = join(dir, 'gatehouse.yaml');
    await writeFile(config, `version: 1\nbackends:\n  modern:\n    type: stdio\n    command: ${JSON.stringify(command)}\n    args: ${JSON.stringify(args)}\n`);
    const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin', 'run.js'))} serve --config ${JSON.stringify(config)} --port 0`;
    session = await startTmux(cmd, { cols: 100, rows: 30, cwd: ROOT, env: { GATEHOUSE_CONFIG_DIR: dir, NO_COLOR: '1' } });

    // The backend fails (banner), then recovers (banner gone).
    await session.waitForText(/⚠ modern failed/, { timeoutMs: 20_000 });
    let screen = await session.waitForScreen((s) => /modern\s+● ready/.test(s) && !s.includes('⚠'), 'modern ready and the banner cleared', { timeoutMs: 20_000 });
    const url = /http:\/\/127\.0\.0\.1:\d+\/mcp/.exec(screen)?.[0];
    expect(url, screen).toBeDefined();

    client = new Client({ name: 'tmux-views', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)));
    await client.callTool({ name: 'modern_echo', arguments: { text: 'hello' } });
    // Cancelled by the client: the gateway reports the call with its reason.
    const aborted = new AbortController();
    const slow = client.callTool({ name: 'modern_slow', arguments: { steps: 100, ms: 100 } }, { signal: aborted.signal }).catch((e: unknown) => e);
    await session.waitForText(/… running\s+\S+\s+modern_slow/);
    aborted.abort('tmux test gave up');
    await slow;
    await session.waitForText(/- cancel\s+\S+\s+modern_slow/);

    // Catalog: filter, open a tool.
    await session.sendKeys('3');
    await session.waitForText('▸ Catalog');
    await session.waitForText('modern_echo');
    await session.sendKeys('/', { literal: 'echo' }, 'Enter');
    screen = await session.waitForText(/1 of \d+ match\s+\/echo/);
    expect(screen).not.toContain('modern_add');
    await session.sendKeys('Enter');
    await session.waitForText('▸ tool modern_echo');
    await session.sendKeys('Escape');
    await session.waitForText(/› tool\s+modern_echo/);

    // Calls: filter to the cancelled one and open it.
    await session.sendKeys('4');
    await session.waitForText('▸ Calls');
    await session.sendKeys('/', { literal: 'outcome:cancel' }, 'Enter');
    await session.waitForText(/1 of \d+ match/);
    await session.sendKeys('Enter');
    screen = await session.waitForText('▸ Call modern_slow');
    expect(screen).toMatch(/Client\s+tmux-views/);
    expect(screen).toMatch(/Duration\s+\S+/);
    // The gateway's error text for the cancelled call, under its heading.
    expect(screen).toMatch(/^ {2}Error\n {2}\S.*/m);
    await session.sendKeys('Escape', 'Escape');
    await session.waitForText(/modern_echo/);

    // Backends: open modern, read its history.
    await session.sendKeys('2');
    await session.waitForText('▸ Backends');
    await session.sendKeys('Enter');
    screen = await session.waitForText('▸ Backend modern');
    expect(screen).toContain('State history');
    expect(screen).toMatch(/✗ failed/);
    expect(screen).toMatch(/● ready/);
    await session.sendKeys('Escape');

    // Sessions: the SDK client's session.
    await session.sendKeys('5');
    screen = await session.waitForText(/tmux-views\s+legacy\s+streamable-http/);

    // Errors: the backend failures are kept after recovery, and open.
    await session.sendKeys('6');
    await session.waitForText('▸ Errors');
    await session.sendKeys('g', 'Enter');
    screen = await session.waitForText(/▸ backend error/);
    expect(screen).toContain('modern failed');
    await session.sendKeys('Escape');

    await session.sendKeys('?');
    await session.waitForText('▸ Keys');
    await session.sendKeys('Escape');
    await session.sendKeys('1');
    await session.waitForText('▸ Recent calls');

    await client.close();
    client = undefined;
    await session.sendKeys('q');
    expect(await session.waitForExit({ timeoutMs: 15_000 })).toBe(0);
  }, 90_000);
});
