// The agents' own CLIs, installed from npm by scripts/install-agent-clis.sh (pinned versions, no
// account needed for these commands), read the entries `gatehouse clients install` writes and
// report the gateway connected:
// - Claude Code's `claude mcp list` and `claude mcp get` health checks, Gemini CLI's
//   `gemini mcp list` and Codex's `codex mcp list` (Codex lists, it does not connect), for the
//   direct URL;
// - the same through `gatehouse connect` to the gateway behind the local Cloudflare Access
//   stand-in (test/fixtures/cf-access: the edge cannot run here), with the service token in the
//   file store and `gatehouse` on PATH;
// - mcp-remote as a stdio bridge to the direct URL.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../fixtures/cf-access/stand-in.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { makeTempDir } from '../helpers/cli.js';
import { NODE, ROOT, probeStdio } from '../server/helpers.js';

const run = promisify(execFile);
const CLIS = join(ROOT, '.agent-clis', 'node_modules', '.bin');
const have = ['claude', 'gemini', 'codex', 'mcp-remote'].every((b) => existsSync(join(CLIS, b)));

let gw: TestGateway;
let edge: CfAccessStandIn;
let home: string;
let env: NodeJS.ProcessEnv;

async function sh(cmd: string, args: string[], timeout = 90_000): Promise<string> {
  const r = await run(cmd, args, { cwd: home, env, timeout }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  });
  return `${r.stdout}${r.stderr}`;
}

const gatehouse = (...args: string[]) => sh(NODE, [join(ROOT, 'bin', 'run.js'), ...args]);

describe.runIf(have)('agent CLIs see the gateway', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    gw = await startGateway({ backends: { probe: probeStdio('legacy') } });
    await gw.ready();
    const token = makeServiceToken();
    edge = await startCfAccessStandIn({ upstream: new URL(gw.url).origin, tokens: [token], deny: 'forbidden' });
    home = makeTempDir('gatehouse-agents-');
    // `gatehouse` on PATH, as after `npm install -g`; its state (and the file secret store) under HOME.
    const bin = join(home, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'gatehouse'), `#!/bin/sh\nGATEHOUSE_SECRET_STORE=file exec "${NODE}" "${join(ROOT, 'bin', 'run.js')}" "$@"\n`, { mode: 0o755 });
    env = { ...process.env, HOME: home, XDG_CONFIG_HOME: undefined, GATEHOUSE_CONFIG_DIR: undefined, CODEX_HOME: undefined, NO_COLOR: '1', PATH: [bin, CLIS, process.env.PATH].join(delimiter) };
    // Gemini CLI suppresses every server in a folder it has not been told to trust.
    mkdirSync(join(home, '.gemini'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'trustedFolders.json'), JSON.stringify({ [home]: 'TRUST_FOLDER' }));
    const added = await run('sh', ['-c', `printf %s "$SECRET" | gatehouse tokens add homelab --client-id "${token.clientId}" --store file`], { cwd: home, env: { ...env, SECRET: token.clientSecret } });
    expect(added.stdout + added.stderr).toContain('homelab');
  }, 120_000);

  afterAll(async () => {
    await edge?.close();
    await gw?.stop();
  });

  it('direct URL: claude, gemini and codex', async () => {
    for (const client of ['claude-code', 'gemini-cli', 'codex']) await gatehouse('clients', 'install', client, '--scope', 'user', '--name', 'direct', '--url', gw.url);
    expect(await sh('claude', ['mcp', 'list'])).toMatch(new RegExp(`direct: ${gw.url} \\(HTTP\\) - ✔ Connected`));
    expect(await sh('claude', ['mcp', 'get', 'direct'])).toMatch(/Status: ✔ Connected/);
    expect(await sh('gemini', ['mcp', 'list'])).toMatch(new RegExp(`✓ direct: ${gw.url} \\(http\\) - Connected`));
    expect(await sh('codex', ['mcp', 'list'])).toMatch(new RegExp(`direct\\s+${gw.url}\\s+-\\s+enabled`));
  });

  it('through gatehouse connect behind the Access stand-in: claude and gemini connect, codex lists it', async () => {
    const url = `${edge.url}/mcp`;
    for (const client of ['claude-code', 'gemini-cli', 'codex']) await gatehouse('clients', 'install', client, '--scope', 'user', '--name', 'bridged', '--connect', url, '--token', 'homelab');
    const before = edge.requests.filter((r) => r.accepted).length;
    expect(await sh('claude', ['mcp', 'list'])).toMatch(new RegExp(`bridged: gatehouse connect ${url} --token homelab - ✔ Connected`));
    expect(await sh('gemini', ['mcp', 'list'])).toMatch(/✓ bridged: gatehouse connect .* - Connected/);
    expect(await sh('codex', ['mcp', 'list'])).toMatch(/bridged\s+gatehouse\s+connect .*enabled/);
    // The bridge really went through the edge with the stored token.
    expect(edge.requests.filter((r) => r.accepted).length).toBeGreaterThan(before);
  });

  it('mcp-remote as a stdio bridge to the direct URL', async () => {
    // Added with Claude Code's own command, at user scope (project servers wait for an approval in its UI).
    await sh('claude', ['mcp', 'add', '--scope', 'user', 'remote', '--', 'mcp-remote', gw.url, '--transport', 'http-only']);
    const out = await sh('claude', ['mcp', 'get', 'remote']);
    expect(out).toMatch(/Status: ✔ Connected/);
  });
});

describe.skipIf(have)('agent CLIs', () => {
  it('are installed by scripts/install-agent-clis.sh (run by scripts/install-deps.sh)', () => {
    throw new Error(`The agent CLIs are missing from ${CLIS}: run bash scripts/install-agent-clis.sh`);
  });
});
