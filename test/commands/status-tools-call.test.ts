/**
 * `gatehouse status`, `tools` and `call` as a user runs them: first with no gateway running (status
 * says down, tools and call start the backends in-process), then against a real `serve` child with
 * one working and one broken backend (degraded), and after a reload that drops the broken one
 * (healthy). Backends are real: server-everything over stdio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EVERYTHING, NODE, ROOT, stopChild, until } from '../server/helpers.js';
import { childEnv, cliSandbox, type CliSandbox } from '../helpers/cli.js';

const SLOW = { timeoutMs: 120_000 };
const every = { type: 'stdio', command: NODE, args: [EVERYTHING, 'stdio'] };
const broken = { type: 'stdio', command: '/nonexistent/gatehouse-test-binary' };

let sb: CliSandbox;
let child: ChildProcess | undefined;

beforeAll(() => {
  sb = cliSandbox();
  sb.writeConfig(stringify({ backends: { every, broken } }));
});
afterAll(async () => {
  if (child) await stopChild(child);
});

describe('with no gateway running', () => {
  it('status says down with exit 3, in text and JSON', async () => {
    const text = await sb.run(['status'], SLOW);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain('No gateway is running');
    expect(text.stdout).toContain('gatehouse serve');
    const json = await sb.run(['status', '--json'], SLOW);
    expect(json.code).toBe(3);
    expect(json.json()).toMatchObject({ health: 'down', exitCode: 3, running: 0, gateways: [] });
  });

  it('tools starts the backends here and says so; --backend narrows; an unknown backend is an error', async () => {
    const r = await sb.run(['tools', '--json'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.source).toBe('local');
    expect(out.tools).toContainEqual(expect.objectContaining({ name: 'every_echo', native: 'echo', backend: 'every', policy: expect.objectContaining({ guarded: false, timeoutSeconds: 60 }) }));
    expect(out.unavailable).toEqual([expect.objectContaining({ backend: 'broken', state: 'failed' })]);
    const human = await sb.run(['tools', '--backend', 'every'], SLOW);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain('No gateway is running');
    expect(human.stdout).toMatch(/^NAME\s+NATIVE\s+BACKEND\s+POLICY/m);
    expect(human.stdout).toMatch(/^every_echo\s+echo\s+every\s+open · timeout 60s$/m);
    const unknown = await sb.run(['tools', '--backend', 'nope'], SLOW);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No backend named "nope"');
  });

  it('call runs the tool directly, leaving no gateway record behind', async () => {
    const r = await sb.run(['call', 'every_get-sum', '--arg', 'a=2', '--arg', 'b=3', '--json'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ via: 'local', tool: 'every_get-sum', arguments: { a: 2, b: 3 }, isError: false, text: 'The sum of 2 and 3 is 5.' });
    const runDir = join(sb.configDir, 'run');
    expect(existsSync(runDir) ? readdirSync(runDir) : []).toEqual([]);
  });
});

describe('against a running gateway', () => {
  let url: string;

  beforeAll(async () => {
    child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--port', '0', '--no-tui'], { cwd: ROOT, env: childEnv(sb.configDir), stdio: ['ignore', 'ignore', 'ignore'] });
    const runDir = join(sb.configDir, 'run');
    await until(() => existsSync(join(runDir, `gateway-${child!.pid}.json`)), 60_000, 'the run record');
    // Both backends have settled once the gateway reports every one out of "starting".
    await until(async () => {
      const r = await sb.run(['status', '--json'], SLOW);
      const g = r.json().gateways?.[0];
      return Boolean(g && g.backends.length === 2 && g.backends.every((b: { state: string }) => b.state !== 'starting'));
    }, 60_000, 'backends to settle');
    url = (await sb.run(['status', '--json'], SLOW)).json().gateways[0].url;
  }, 180_000);

  it('status is degraded (exit 1) and names the failed backend with its reason', async () => {
    const r = await sb.run(['status', '--json'], SLOW);
    expect(r.code).toBe(1);
    const report = r.json();
    expect(report).toMatchObject({ health: 'degraded', exitCode: 1, running: 1 });
    const g = report.gateways[0];
    expect(g).toMatchObject({ pid: child!.pid, health: 'degraded', sessions: expect.any(Number), pendingApprovals: [] });
    expect(g.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(g.backends).toEqual([
      expect.objectContaining({ name: 'every', state: 'ready' }),
      expect.objectContaining({ name: 'broken', state: 'failed', reason: expect.stringContaining('ENOENT') }),
    ]);
    expect(g.problems[0]).toContain('backend broken is failed');
    const text = await sb.run(['status'], SLOW);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`! degraded · ${url} · pid ${child!.pid}`);
    expect(text.stdout).toMatch(/broken\s+stdio\s+failed\s+0 tools\s+.*ENOENT/);
    expect(text.stdout).toContain('0 pending approvals');
  });

  it('tools come from the running gateway', async () => {
    const r = await sb.run(['tools', '--json'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ source: 'gateway', url });
    expect(r.json().tools.map((t: { name: string }) => t.name)).toContain('every_echo');
  });

  it('call goes through the gateway: results, tool errors (exit 1) and unknown names, all counted by status', async () => {
    const ok = await sb.run(['call', 'every_echo', '--arg', 'message=through the gateway'], SLOW);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('Echo: through the gateway');
    const viaJson = await sb.run(['call', 'every_echo', '--json-args', '{"message":"j"}', '--json'], SLOW);
    expect(viaJson.json()).toMatchObject({ via: 'gateway', url, isError: false });

    const toolError = await sb.run(['call', 'every_get-sum', '--json-args', '{"a":"x","b":1}'], SLOW);
    expect(toolError.code).toBe(1);
    expect(toolError.stderr).toContain('Tool error from every_get-sum');
    const typo = await sb.run(['call', 'every_ecoh'], SLOW);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('Did you mean `every_echo`?');
    const badArg = await sb.run(['call', 'every_get-sum', '--arg', 'a=many', '--arg', 'b=1'], SLOW);
    expect(badArg.code).toBe(2);
    expect(badArg.stderr).toContain('--arg a=many: the tool expects a number');

    const g = (await sb.run(['status', '--json'], SLOW)).json().gateways[0];
    expect(g.calls).toMatchObject({ total: 3, failed: 1, outcomes: { ok: 2, 'tool-error': 1 } });
    expect(g.calls.lastFailure).toMatchObject({ name: 'every_get-sum', backend: 'every', outcome: 'tool-error' });
  });

  it('--url picks the gateway; an unknown URL is down (exit 3)', async () => {
    const other = await sb.run(['status', '--url', 'http://127.0.0.1:9/mcp', '--json'], SLOW);
    expect(other.code).toBe(3);
    expect(other.json().hint).toContain('at http://127.0.0.1:9/mcp');
    const same = await sb.run(['status', '--url', url], SLOW);
    expect(same.code).toBe(1);
  });

  it('is healthy (exit 0) once the broken backend is gone from the config', async () => {
    sb.writeConfig(stringify({ backends: { every } }));
    const reload = await sb.run(['config', 'reload'], SLOW);
    expect(reload.code, reload.stderr).toBe(0);
    const r = await sb.run(['status', '--json'], SLOW);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ health: 'healthy', exitCode: 0 });
    expect(r.json().gateways[0].backends.map((b: { name: string }) => b.name)).toEqual(['every']);
    const text = await sb.run(['status'], SLOW);
    expect(text.stdout).toMatch(/^✓ healthy · /);
  });
});
