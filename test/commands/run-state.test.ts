/**
 * Two real gateways sharing one config dir: each keeps its own running record, commands pick one
 * with --url or name both, and a killed gateway's record is ignored and cleaned.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunState } from '../../src/core/config/run-state.js';
import { ROOT, stopChild, until, waitForExit } from '../server/helpers.js';
import { childEnv, cliSandbox } from '../helpers/cli.js';

/** Many CLIs start at once here, on a machine other work shares: allow each one time (the helper's default is 30 s). */
const SLOW = { timeoutMs: 180_000 };

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stopChild(c);
});

function serve(configDir: string): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'serve', '--port', '0', '--no-tui'], {
    cwd: ROOT,
    env: childEnv(configDir),
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.push(child);
  return child;
}

async function recordOf(configDir: string, pid: number): Promise<RunState> {
  const file = join(configDir, 'run', `gateway-${pid}.json`);
  await until(() => existsSync(file), 60_000, `${file}`);
  return JSON.parse(readFileSync(file, 'utf8')) as RunState;
}

describe('running-gateway records', () => {
  it('two gateways keep their own record; --url picks one; without it both are named; a dead one is cleaned', async () => {
    const sb = cliSandbox();
    const a = serve(sb.configDir);
    const b = serve(sb.configDir);
    const [ra, rb] = await Promise.all([recordOf(sb.configDir, a.pid!), recordOf(sb.configDir, b.pid!)]);
    expect(ra.url).not.toBe(rb.url);

    const both = await sb.run(['backends', 'refresh', '--json'], SLOW);
    expect(both.code).toBe(1);
    expect(both.json().error).toMatchObject({ code: 'gateway_ambiguous' });
    const human = await sb.run(['migrate', 'status'], SLOW);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`${ra.url} (pid ${a.pid})`);
    expect(human.stderr).toContain(`${rb.url} (pid ${b.pid})`);
    expect(human.stderr).toContain('--url');

    const one = await sb.run(['backends', 'refresh', '--url', rb.url, '--json'], SLOW);
    expect(one.code, one.stderr).toBe(0);
    expect(one.json()).toMatchObject({ refreshed: [], tools: { added: [], removed: [], changed: [] } });
    const status = await sb.run(['migrate', 'status', '--url', ra.url.replace(/\/mcp$/, ''), '--json'], SLOW);
    expect(status.code, status.stderr).toBe(0);
    expect(status.json()).toMatchObject({ aliases: [] });
    const unknown = await sb.run(['backends', 'refresh', '--url', 'http://127.0.0.1:9/mcp'], SLOW);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No running gateway recorded at http://127.0.0.1:9/mcp');

    // kill -9 leaves the record; it is ignored (and removed), so the survivor is the only one.
    a.kill('SIGKILL');
    expect(await waitForExit(a, 20_000)).toBe(true);
    expect(existsSync(join(sb.configDir, 'run', `gateway-${a.pid}.json`))).toBe(true);
    const after = await sb.run(['backends', 'refresh', '--json'], SLOW);
    expect(after.code, after.stderr).toBe(0);
    expect(existsSync(join(sb.configDir, 'run', `gateway-${a.pid}.json`))).toBe(false);

    // A clean stop removes its own record.
    b.kill('SIGTERM');
    expect(await waitForExit(b, 30_000)).toBe(true);
    expect(existsSync(join(sb.configDir, 'run', `gateway-${b.pid}.json`))).toBe(false);
  }, 240_000);
});
