/**
 * The dashboard in a real terminal (tmux), end to end through the built code: it draws, it takes
 * keys, and q exits 0 with the terminal restored. The fake gateway will be replaced by the real
 * `gatehouse serve` once it exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startTmux, tmuxAvailable, type TmuxSession } from '../helpers/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'ui', 'fake-gateway.mjs');

// dist/ is built once per run by test/global-setup.ts.
const skipReason = !tmuxAvailable()
  ? 'tmux is not installed (Debian package: tmux)'
  : !existsSync(join(DIST, 'ui', 'render-dashboard.js'))
    ? 'dist/ui/render-dashboard.js is missing: run `npx tsc -p tsconfig.json` (test/global-setup.ts does it unless GATEHOUSE_SKIP_BUILD=1)'
    : undefined;

let session: TmuxSession | undefined;
afterEach(async () => {
  await session?.kill();
  session = undefined;
});

function command(): string {
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(FIXTURE)} ${JSON.stringify(DIST)}`;
}

describe.skipIf(skipReason !== undefined)(`dashboard in tmux${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('shows backends and calls, follows new calls, and exits 0 on q', async () => {
    session = await startTmux(command(), { cols: 100, rows: 30, cwd: ROOT, env: { NO_COLOR: '' } });
    const screen = await session.waitForText('everything_longRunningOperation');
    expect(screen).toContain('http://127.0.0.1:7420/mcp');
    expect(screen).toMatch(/everything\s+● ready\s+11/);
    expect(screen).toMatch(/modern\s+● ready\s+4/);
    expect(screen).toMatch(/flaky\s+✗ failed.*connection refused/);
    expect(screen).toMatch(/github\s+○ disabled/);
    expect(screen).toMatch(/✓ ok\s+3ms everything_echo/);
    expect(screen).toMatch(/✗ error\s+1\.3s modern_weather/);
    expect(screen).toMatch(/… running\s+\S+ everything_longRunningOperation/);
    expect(screen.split('\n').length).toBeLessThanOrEqual(30);

    // Live: ticks keep arriving and the list follows them.
    await session.waitForText(/everything_tick_\d+/);
    // Pin the selection, switch panels, and come back.
    await session.sendKeys('k');
    await session.waitForText('paused at');
    await session.sendKeys('b');
    await session.waitForText('▸ Backends');
    await session.sendKeys('c', 'End');
    await session.waitForText('following');

    await session.sendKeys('q');
    expect(await session.waitForExit({ timeoutMs: 5000 })).toBe(0);
    // Ink restored the terminal and the process said goodbye normally.
    expect(await session.capture()).toContain('fake-gateway: exited after 1 quit request(s)');
  });

  it('exits 0 on Ctrl-C too', async () => {
    session = await startTmux(command(), { cols: 80, rows: 24, cwd: ROOT });
    // Ink turns on raw mode just after its first frame; until then Ctrl-C is still a SIGINT.
    // A later frame (the first tick) means input is ours.
    await session.waitForText(/everything_tick_\d+/);
    await session.sendKeys('C-c');
    expect(await session.waitForExit({ timeoutMs: 5000 })).toBe(0);
  });
});
