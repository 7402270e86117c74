/**
 * After `gatehouse migrate map --old-url …`, `clients install` repoints client entries that still
 * name the old gateway: with --repoint, after yes in a terminal, or (otherwise) a printed hint. Real
 * CLI runs with HOME, the project and the config dir in temporary folders.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { hasScript, makeTempDir, runCli, runCliInTerminal, type CliResult } from '../helpers/cli.js';

const OLD = 'https://forge.example.dev/servers/9f3c/mcp';
const GW = 'http://127.0.0.1:7420/mcp';

// An old Context Forge entry (its token is an env reference the client expands), an unrelated
// server, a second spelling of the old URL (trailing slash) and comments: only the URLs may change.
const MCP_JSON = `{
  // project servers
  "mcpServers": {
    "monolith": {
      "type": "http",
      "url": "${OLD}",
      "headers": { "Authorization": "Bearer \${FORGE_TOKEN}" }
    },
    "search": { "command": "npx", "args": ["-y", "mcp-remote", "${OLD}/"] },
    "github": { "type": "http", "url": "https://api.githubcopilot.com/mcp/" }
  }
}
`;

const CODEX_TOML = `# codex
[mcp_servers.monolith]
url = "${OLD}"   # the old gateway
bearer_token_env_var = "FORGE_TOKEN"

[mcp_servers.other]
url = "https://other.example.dev/mcp"
`;

let home: string;
let project: string;
let configDir: string;

beforeEach(() => {
  home = makeTempDir('gatehouse-home-');
  project = makeTempDir('gatehouse-project-');
  configDir = makeTempDir('gatehouse-config-');
});

const env = () => ({ HOME: home, CODEX_HOME: undefined, XDG_CONFIG_HOME: undefined, APPDATA: undefined });
const run = (args: string[]): Promise<CliResult> => runCli(args, { cwd: project, configDir, env: env() });

async function recordMigration(): Promise<void> {
  const tools = join(project, 'tools.txt');
  writeFileSync(tools, 'search_knowledge\n');
  const r = await run(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'Monolith', '--tools', tools, '--to-prefix', 'monolith', '--old-url', OLD, '-o', join(project, 'map.yaml')]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(`Recorded the old gateway URL ${OLD}`);
}

function place(path: string, text: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

describe('clients install after a migration', { timeout: 120_000 }, () => {
  it('migrate map --old-url records the URL (0600); one with a credential is refused', async () => {
    await recordMigration();
    const file = join(configDir, 'migration.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ oldUrls: [OLD], map: join(project, 'map.yaml') });
    const bad = await run(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'M', '--tools', join(project, 'tools.txt'), '--to-prefix', 'm', '--old-url', `${OLD}?token=abc123`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--old-url carries a credential/);
    expect(bad.stderr).not.toContain('abc123');
  });

  it('without --repoint and without a terminal: installs as before and prints the hint', async () => {
    await recordMigration();
    const file = place(join(project, '.mcp.json'), MCP_JSON);
    const r = await run(['clients', 'install', 'claude-code', '--url', GW]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`"monolith", "search" in .mcp.json still name the old gateway (${OLD}, ${OLD}/)`);
    expect(r.stderr).toContain('Run again with --repoint');
    const after = readFileSync(file, 'utf8');
    expect(after).toContain(`"url": "${OLD}"`);
    expect(after).toContain('"gatehouse"');
  });

  it('--repoint changes only the URL strings, adds no entry, keeps headers and comments; --dry-run writes nothing', async () => {
    await recordMigration();
    const file = place(join(project, '.mcp.json'), MCP_JSON);
    const dry = await run(['clients', 'install', 'claude-code', '--url', GW, '--repoint', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`-      "url": "${OLD}",`);
    expect(dry.stdout).toContain(`+      "url": "${GW}",`);
    expect(readFileSync(file, 'utf8')).toBe(MCP_JSON);

    const r = await run(['clients', 'install', 'claude-code', '--url', GW, '--repoint', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ to: GW, written: true, entries: [{ name: 'monolith', from: OLD }, { name: 'search', from: `${OLD}/` }] });
    expect(readFileSync(file, 'utf8')).toBe(MCP_JSON.replace(`"${OLD}"`, `"${GW}"`).replace(`"${OLD}/"`, `"${GW}"`));
    // Done: nothing left to repoint, so the next install adds the entry as usual.
    const again = await run(['clients', 'install', 'claude-code', '--url', GW, '--repoint']);
    expect(again.stderr).toContain('Nothing to repoint');
  });

  it('codex (TOML): only the url line of the old entry changes', async () => {
    await recordMigration();
    const file = place(join(home, '.codex', 'config.toml'), CODEX_TOML);
    const r = await run(['clients', 'install', 'codex', '--url', GW, '--repoint']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Repointed "monolith" in ~/.codex/config.toml');
    expect(readFileSync(file, 'utf8')).toBe(CODEX_TOML.replace(`url = "${OLD}"`, `url = "${GW}"`));
  });

  it('without a recorded migration, --repoint has nothing to do and the install goes on', async () => {
    const file = place(join(project, '.mcp.json'), MCP_JSON);
    const r = await run(['clients', 'install', 'claude-code', '--url', GW, '--repoint']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain(`"url": "${OLD}"`);
    expect(readFileSync(file, 'utf8')).toContain('"gatehouse"');
  });

  it.skipIf(!hasScript())('in a terminal, asks; yes repoints', async () => {
    await recordMigration();
    const file = place(join(project, '.mcp.json'), MCP_JSON);
    const r = await runCliInTerminal(['clients', 'install', 'claude-code', '--url', GW], [{ expect: 'instead of adding an entry?', send: 'y\r' }, { expect: 'Repointed' }], { cwd: project, configDir, env: env() });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`"monolith", "search" in .mcp.json still name the old gateway`);
    expect(readFileSync(file, 'utf8')).not.toContain(OLD);
  });
});
