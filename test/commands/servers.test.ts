/**
 * `gatehouse servers list|show`, `backends show` for a filtered backend, `clients token create
 * --role` and `clients print|install --server`, run as a user would: the CLI against a config
 * file, first with no gateway running, then against a real `serve` with real backends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fixtureScript } from '../fixtures/servers/spawn-fixture.js';
import { childEnv, cliSandbox, makeTempDir, type CliSandbox } from '../helpers/cli.js';
import { ROOT, stopChild, until } from '../server/helpers.js';

const SLOW = { timeoutMs: 120_000 };
const modern = () => ({ type: 'stdio', command: process.execPath, args: [fixtureScript('modern-server'), '--stdio'] });

let sb: CliSandbox;
let serve: ChildProcess | undefined;

beforeAll(() => {
  sb = cliSandbox();
  sb.writeConfig(
    stringify({
      version: 1,
      gateway: {
        port: 7999,
        servers: { dev: { backends: ['a'], tools: ['a_echo', 'a_add'], description: 'development agents' }, infra: {} },
        roles: { ops: { servers: ['infra'] }, dev: { servers: ['dev'] } },
      },
      backends: { a: { ...modern(), toolFilter: { exclude: ['slow'] } }, b: modern() },
    }),
  );
});

afterAll(async () => {
  if (serve) await stopChild(serve);
});

describe('servers list|show without a gateway', { timeout: 180_000 }, () => {
  it('list shows the configured servers, their roles and that counts need a running gateway', async () => {
    const r = await sb.run(['servers', 'list'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+PATH\s+BACKENDS\s+TOOLS\s+ROLES\s+DESCRIPTION$/m);
    expect(r.stdout).toMatch(/^dev\s+\/servers\/dev\/mcp\s+a\s+\?\s+dev\s+development agents$/m);
    expect(r.stdout).toMatch(/^infra\s+\/servers\/infra\/mcp\s+\(all\)\s+\?\s+ops/m);
    expect(r.stderr).toContain('No running gateway found');
    const j = await sb.run(['servers', 'list', '--json'], SLOW);
    expect(j.json().servers.map((s: { name: string }) => s.name)).toEqual(['dev', 'infra']);
    expect(j.json().servers[0]).toMatchObject({ backends: ['a'], tools: ['a_echo', 'a_add'], roles: ['dev'], default: false });
  });

  it('show of an unknown server exits 2 naming the servers there are', async () => {
    const r = await sb.run(['servers', 'show', 'prod', '--json'], SLOW);
    expect(r.code).toBe(2);
    expect(r.json().error).toMatchObject({ code: 'server_unknown' });
    expect(JSON.stringify(r.json().error)).toContain('Servers: dev, infra.');
  });
});

describe('clients with servers and roles', { timeout: 180_000 }, () => {
  it('token create --role stores the roles (repeatable) and list shows them; a bad role name changes nothing', async () => {
    const c = await sb.run(['clients', 'token', 'create', 'infra-agent', '--role', 'ops', '--role', 'audit', '--json'], SLOW);
    expect(c.code, c.stderr).toBe(0);
    expect(c.json()).toMatchObject({ client: 'infra-agent', roles: ['audit', 'ops'] });
    const list = await sb.run(['clients', 'token', 'list', '--json'], SLOW);
    expect(list.json().clients).toEqual([expect.objectContaining({ client: 'infra-agent', roles: ['audit', 'ops'] })]);
    const bad = await sb.run(['clients', 'token', 'create', 'x', '--role', 'no spaces'], SLOW);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid role name "no spaces"');
    expect((await sb.run(['clients', 'token', 'list', '--json'], SLOW)).json().clients).toHaveLength(1);
  });

  it('print and install --server point the client at /servers/NAME/mcp', async () => {
    const local = await sb.run(['clients', 'print', 'claude-code', '--server', 'dev', '--json'], SLOW);
    expect(local.code, local.stderr).toBe(0);
    expect(local.json().entry.url).toBe('http://127.0.0.1:7999/servers/dev/mcp');
    const remote = await sb.run(['clients', 'print', 'cursor', '--url', 'https://mcp.example.dev/mcp', '--server', 'infra', '--json'], SLOW);
    expect(remote.json().entry.url).toBe('https://mcp.example.dev/servers/infra/mcp');
    const project = makeTempDir('gatehouse-project-');
    const home = makeTempDir('gatehouse-home-');
    const inst = await sb.run(['clients', 'install', 'claude-code', '--server', 'dev', '--name', 'dev-tools'], { ...SLOW, cwd: project, env: { HOME: home } });
    expect(inst.code, inst.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(project, '.mcp.json'), 'utf8')).mcpServers['dev-tools'].url).toBe('http://127.0.0.1:7999/servers/dev/mcp');
    const unknown = await sb.run(['clients', 'install', 'claude-code', '--server', 'prod'], { ...SLOW, cwd: project, env: { HOME: home } });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No virtual server named "prod"');
    expect(readdirSync(project)).toEqual(['.mcp.json']);
  });
});

describe('against a running gateway', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    serve = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'serve', '--port', '0', '--no-tui'], { cwd: ROOT, env: childEnv(sb.configDir), stdio: ['ignore', 'ignore', 'ignore'] });
    const run = join(sb.configDir, 'run');
    await until(() => existsSync(run) && readdirSync(run).some((f) => f.startsWith('gateway-')), 90_000, 'the run record');
    // Both backends listed (the dev server's tools come from a).
    await until(
      async () => {
        const r = await sb.run(['servers', 'show', 'dev', '--json'], SLOW);
        return r.code === 0 && r.json().live?.tools?.length === 2;
      },
      90_000,
      'dev to carry its tools',
    );
  });

  it('servers list and show report what each server carries now, with the live URL', async () => {
    const list = await sb.run(['servers', 'list', '--json'], SLOW);
    expect(list.code, list.stderr).toBe(0);
    const [dev, infra] = list.json().servers;
    expect([...dev.live.tools].sort()).toEqual(['a_add', 'a_echo']);
    // Everything but a's filtered slow tool.
    expect(infra.live.tools).toHaveLength(9);
    expect(infra.live.tools).not.toContain('a_slow');
    const show = await sb.run(['servers', 'show', 'dev'], SLOW);
    expect(show.stdout).toMatch(/^path:\s+http:\/\/127\.0\.0\.1:\d+\/servers\/dev\/mcp$/m);
    expect(show.stdout).toMatch(/^tools \(2\):$/m);
    expect(show.stdout).toMatch(/^roles:\s+dev$/m);
  });

  it('backends show lists what the filter removed and why', async () => {
    const r = await sb.run(['backends', 'show', 'a', '--json'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().filtered).toEqual([{ kind: 'tool', name: 'slow', reason: 'toolFilter.exclude "slow"' }]);
    const human = await sb.run(['backends', 'show', 'a'], SLOW);
    expect(human.stdout).toContain('filtered out (1):');
    expect(human.stdout).toContain('tool slow: toolFilter.exclude "slow"');
  });
});
