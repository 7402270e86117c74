/**
 * `gatehouse clients install|print` against copies of real-world-shaped client config files, with
 * HOME and the working directory pointed at temporary folders.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, makeTempDir, runCli, type CliResult } from '../helpers/cli.js';
import { leakGuard } from '../helpers/secret-leaks.js';

const FIX = new URL('../fixtures/client-configs/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIX), 'utf8');
const guard = leakGuard();
const URL_SECRET = guard.secret('q-param-secret-5d4c3b2a1f');
const GW = 'http://127.0.0.1:7420/mcp';

let home: string;
let project: string;
const written: string[] = [];

beforeEach(() => {
  home = makeTempDir('gatehouse-home-');
  project = makeTempDir('gatehouse-project-');
});

afterAll(() => {
  for (const f of written) if (existsSync(f)) guard.record(f, readFileSync(f, 'utf8'));
  expect(guard.leaks()).toEqual([]);
});

// A `gatehouse` on PATH (as after `npm install -g`): entries that run a command name it bare.
let onPath: string;
beforeAll(() => {
  onPath = makeTempDir('gatehouse-bin-');
  writeFileSync(join(onPath, 'gatehouse'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
});

async function run(args: string[], opts: { gatehouseOnPath?: boolean } = {}): Promise<CliResult> {
  const PATH = opts.gatehouseOnPath === false ? process.env.PATH : `${onPath}${delimiter}${process.env.PATH}`;
  return guard.recordRun(`clients ${args.join(' ')}`, await runCli(['clients', ...args], { cwd: project, env: { HOME: home, CODEX_HOME: undefined, XDG_CONFIG_HOME: undefined, APPDATA: undefined, PATH } }));
}

function place(fixtureName: string, path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  copyFileSync(new URL(fixtureName, FIX), path);
  written.push(path);
  return path;
}

describe('clients install', { timeout: 120_000 }, () => {
  it('claude-code, project scope: dry run, merge, idempotence, conflict, force', async () => {
    const file = place('claude-project.mcp.json', join(project, '.mcp.json'));
    const original = readFileSync(file, 'utf8');

    const dry = await run(['install', 'claude-code', '--url', GW, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe(
      [
        '--- .mcp.json',
        '+++ .mcp.json',
        '@@ -4,6 +4,10 @@',
        '             "type": "http",',
        '             "url": "https://api.githubcopilot.com/mcp/",',
        '             "headers": { "Authorization": "Bearer ${GITHUB_TOKEN}" }',
        '+        },',
        '+        "gatehouse": {',
        '+            "type": "http",',
        `+            "url": "${GW}"`,
        '         }',
        '     }',
        ' }',
        '',
      ].join('\n'),
    );
    expect(dry.stderr).toContain('Dry run: nothing written (would add "gatehouse" in .mcp.json, claude-code, project scope).');
    expect(readFileSync(file, 'utf8')).toBe(original);

    const install = await run(['install', 'claude-code', '--url', GW]);
    expect(install.code).toBe(0);
    expect(install.stdout).toBe('Added MCP server "gatehouse" in .mcp.json (claude-code, project scope).\n');
    const after = readFileSync(file, 'utf8');
    expect(JSON.parse(after)).toEqual({ mcpServers: { ...JSON.parse(original).mcpServers, gatehouse: { type: 'http', url: GW } } });
    expect(after.startsWith(original.slice(0, original.indexOf('        }\n    }')))).toBe(true);

    const again = await run(['install', 'claude-code', '--url', GW, '--json']);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ client: 'claude-code', scope: 'project', name: 'gatehouse', action: 'unchanged', written: false, diff: '' });
    expect(readFileSync(file, 'utf8')).toBe(after);

    const conflict = await run(['install', 'claude-code', '--url', 'http://127.0.0.1:9999/mcp']);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(`Error: ${file} already has an MCP server named "gatehouse" with different settings.`);
    expect(conflict.stderr).toContain('Hint: Pass --force to replace it');
    expect(readFileSync(file, 'utf8')).toBe(after);

    const forced = await run(['install', 'claude-code', '--url', 'http://127.0.0.1:9999/mcp', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Replaced MCP server "gatehouse"');
    expect(readFileSync(file, 'utf8')).toBe(after.replace('7420', '9999'));
  });

  it('claude-code, user scope: the connect bridge, other settings and the file mode kept', async () => {
    const file = place('claude-user.claude.json', join(home, '.claude.json'));
    chmodSync(file, 0o600);
    const r = await run(['install', 'claude-code', '--scope', 'user', '--name', 'homelab', '--connect', 'https://mcp.example.dev/mcp', '--token', 'homelab']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Added MCP server "homelab" in ~/.claude.json (claude-code, user scope).\n');
    expect(r.stderr).toContain('Warning: no Cloudflare Access token named "homelab" is stored here yet');
    const after = JSON.parse(readFileSync(file, 'utf8'));
    const before = JSON.parse(fixture('claude-user.claude.json'));
    expect(after.mcpServers.homelab).toEqual({ command: 'gatehouse', args: ['connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'] });
    expect({ ...after, mcpServers: undefined }).toEqual({ ...before, mcpServers: undefined });
    expect(after.mcpServers.filesystem).toEqual(before.mcpServers.filesystem);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('claude-code, user scope without a file, with a bearer token from the environment', async () => {
    const r = await run(['install', 'claude-code', '--scope', 'user', '--url', GW, '--bearer-env', 'GATEHOUSE_TOKEN']);
    expect(r.code).toBe(0);
    const file = join(home, '.claude.json');
    written.push(file);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ mcpServers: { gatehouse: { type: 'http', url: GW, headers: { Authorization: 'Bearer ${GATEHOUSE_TOKEN}' } } } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('cursor: creates .cursor/mcp.json in the project, keeps CRLF and tabs in the user file', async () => {
    const created = await run(['install', 'cursor', '--url', GW]);
    expect(created.code).toBe(0);
    const projectFile = join(project, '.cursor', 'mcp.json');
    written.push(projectFile);
    expect(created.stdout).toBe('Created .cursor/mcp.json with MCP server "gatehouse" (cursor, project scope).\n');
    expect(JSON.parse(readFileSync(projectFile, 'utf8'))).toEqual({ mcpServers: { gatehouse: { url: GW } } });

    const userFile = place('cursor-tabs-crlf.mcp.json', join(home, '.cursor', 'mcp.json'));
    const r = await run(['install', 'cursor', '--scope', 'user', '--url', GW]);
    expect(r.code).toBe(0);
    const text = readFileSync(userFile, 'utf8');
    expect(text).toBe(fixture('cursor-tabs-crlf.mcp.json').replace('\t\t}\r\n\t}', `\t\t},\r\n\t\t"gatehouse": {\r\n\t\t\t"url": "${GW}"\r\n\t\t}\r\n\t}`));
  });

  it('codex: appends a [mcp_servers.<name>] table, idempotent, conflicts, and refuses inline definitions', async () => {
    const file = place('codex-config.toml', join(home, '.codex', 'config.toml'));
    const original = readFileSync(file, 'utf8');
    const r = await run(['install', 'codex', '--connect', 'https://mcp.example.dev/mcp', '--token', 'homelab']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Added MCP server "gatehouse" in ~/.codex/config.toml (codex, user scope).\n');
    const after = readFileSync(file, 'utf8');
    expect(after).toBe(`${original}\n[mcp_servers.gatehouse]\ncommand = "gatehouse"\nargs = ["connect", "https://mcp.example.dev/mcp", "--token", "homelab"]\n`);
    expect((await run(['install', 'codex', '--connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'])).stdout).toContain('No change');
    const conflict = await run(['install', 'codex', '--url', GW]);
    expect(conflict.code).toBe(1);
    const dry = await run(['install', 'codex', '--url', GW, '--force', '--dry-run']);
    expect(dry.stdout).toContain('-command = "gatehouse"');
    expect(dry.stdout).toContain(`+url = "${GW}"`);
    expect(readFileSync(file, 'utf8')).toBe(after);

    place('codex-inline.toml', file);
    const inline = await run(['install', 'codex', '--url', GW, '--force']);
    expect(inline.code).toBe(1);
    expect(inline.stderr).toContain('defines "gatehouse" inline (line 2), which Gatehouse does not rewrite.');
    expect(readFileSync(file, 'utf8')).toBe(fixture('codex-inline.toml'));

    const scope = await run(['install', 'codex', '--url', GW, '--scope', 'project']);
    expect(scope.code).toBe(2);
  });

  it('refuses to write credentials and names missing flags', async () => {
    const q = await run(['install', 'cursor', '--url', `${GW}?token=${URL_SECRET}`]);
    expect(q.code).toBe(2);
    expect(q.stderr).toContain('The URL has a "token" query parameter');
    const userinfo = await run(['install', 'cursor', '--url', `http://me:${URL_SECRET}@127.0.0.1:7420/mcp`]);
    expect(userinfo.code).toBe(2);
    expect(existsSync(join(project, '.cursor'))).toBe(false);
    const noToken = await run(['install', 'cursor', '--connect', 'https://mcp.example.dev/mcp']);
    expect(noToken.code).toBe(2);
    const badEnv = await run(['install', 'cursor', '--url', GW, '--bearer-env', 'not a var']);
    expect(badEnv.code).toBe(2);
  });

  it('defaults --url to serve\'s endpoint when no gateway runs, and says so', async () => {
    const r = await run(['install', 'cursor']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`No gateway is running here; using serve's default endpoint ${GW}`);
    const file = join(project, '.cursor', 'mcp.json');
    written.push(file);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ mcpServers: { gatehouse: { url: GW } } });
  });

  it('writes the absolute command when gatehouse is not on PATH, and says so', async () => {
    const r = await run(['install', 'claude-code', '--connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'], { gatehouseOnPath: false });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('`gatehouse` is not on PATH, so the entry runs');
    const file = join(project, '.mcp.json');
    written.push(file);
    expect(JSON.parse(readFileSync(file, 'utf8')).mcpServers.gatehouse).toEqual({ command: process.execPath, args: [BIN, 'connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'] });
  });

  it('gemini-cli, vscode, windsurf, opencode and claude-desktop: each client\'s own file and entry shape', async () => {
    const cases: Array<{ args: string[]; file: string; at: string[]; entry: unknown }> = [
      { args: ['gemini-cli', '--url', GW, '--bearer-env', 'GH_TOKEN'], file: join(project, '.gemini', 'settings.json'), at: ['mcpServers'], entry: { httpUrl: GW, headers: { Authorization: 'Bearer ${GH_TOKEN}' } } },
      { args: ['gemini-cli', '--scope', 'user', '--url', GW], file: join(home, '.gemini', 'settings.json'), at: ['mcpServers'], entry: { httpUrl: GW } },
      { args: ['vscode', '--url', GW, '--bearer-env', 'GH_TOKEN'], file: join(project, '.vscode', 'mcp.json'), at: ['servers'], entry: { type: 'http', url: GW, headers: { Authorization: 'Bearer ${env:GH_TOKEN}' } } },
      { args: ['vscode', '--scope', 'user', '--connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'], file: join(home, '.config', 'Code', 'User', 'mcp.json'), at: ['servers'], entry: { type: 'stdio', command: 'gatehouse', args: ['connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'] } },
      { args: ['windsurf', '--url', GW], file: join(home, '.codeium', 'windsurf', 'mcp_config.json'), at: ['mcpServers'], entry: { serverUrl: GW } },
      { args: ['opencode', '--url', GW, '--bearer-env', 'GH_TOKEN'], file: join(project, 'opencode.json'), at: ['mcp', 'servers'], entry: { type: 'remote', url: GW, headers: { Authorization: 'Bearer {env:GH_TOKEN}' } } },
      { args: ['opencode', '--scope', 'user', '--connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'], file: join(home, '.config', 'opencode', 'opencode.json'), at: ['mcp', 'servers'], entry: { type: 'local', command: ['gatehouse', 'connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'] } },
      // Claude Desktop's file takes stdio servers only: a local URL goes through the bridge.
      { args: ['claude-desktop', '--url', GW], file: join(home, '.config', 'Claude', 'claude_desktop_config.json'), at: ['mcpServers'], entry: { command: 'gatehouse', args: ['connect', GW] } },
    ];
    for (const c of cases) {
      const r = await run(['install', ...c.args]);
      expect(r.code, `${c.args.join(' ')}: ${r.stderr}`).toBe(0);
      written.push(c.file);
      let node = JSON.parse(readFileSync(c.file, 'utf8'));
      for (const k of c.at) node = node[k];
      expect(node.gatehouse, c.args.join(' ')).toEqual(c.entry);
    }
    // The rest of an existing file stays: an opencode config with other settings and servers.
    const oc = join(project, 'opencode.json');
    writeFileSync(oc, '{\n  "$schema": "https://opencode.ai/config.json",\n  // mine\n  "model": "x",\n  "mcp": { "servers": { "other": { "type": "local", "command": ["a"] } } }\n}\n');
    const merged = await run(['install', 'opencode', '--url', GW, '--name', 'gh2']);
    expect(merged.code).toBe(0);
    const text = readFileSync(oc, 'utf8');
    expect(text).toContain('// mine');
    expect(text).toContain('"other": { "type": "local", "command": ["a"] }');
    expect(text).toContain('"gh2"');
    // Clients without a project file refuse --scope project with the fix.
    for (const client of ['windsurf', 'claude-desktop']) {
      const scope = await run(['install', client, '--url', GW, '--scope', 'project']);
      expect(scope.code).toBe(2);
      expect(scope.stderr).toContain('Use --scope user');
    }
  });

  it('refuses to edit a broken file, naming the position', async () => {
    const file = join(project, '.mcp.json');
    writeFileSync(file, '{\n  "mcpServers": {\n    "a": 1,,\n  }\n}\n');
    const r = await run(['install', 'claude-code', '--url', GW]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: Cannot edit ${file}: expected a quoted key at line 3, column 12.`);
  });
});

describe('clients print', { timeout: 60_000 }, () => {
  it('prints the snippet only', async () => {
    const cc = await run(['print', 'claude-code', '--url', GW, '--name', 'gh']);
    expect(cc.code).toBe(0);
    expect(JSON.parse(cc.stdout)).toEqual({ mcpServers: { gh: { type: 'http', url: GW } } });
    expect(cc.stderr).toContain('Merge it into .mcp.json');
    const codex = await run(['print', 'codex', '--url', GW, '--bearer-env', 'GATEHOUSE_TOKEN']);
    expect(codex.stdout).toBe(`[mcp_servers.gatehouse]\nurl = "${GW}"\nbearer_token_env_var = "GATEHOUSE_TOKEN"\n`);
    const json = await run(['print', 'cursor', '--connect', 'https://mcp.example.dev/mcp', '--token', 'homelab', '--json']);
    expect(json.json()).toMatchObject({ client: 'cursor', name: 'gatehouse', entry: { command: 'gatehouse', args: ['connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'] } });
    expect(existsSync(join(project, '.mcp.json'))).toBe(false);
    expect(existsSync(join(project, '.cursor'))).toBe(false);
  });
});
