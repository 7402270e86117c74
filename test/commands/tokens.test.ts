/**
 * `gatehouse tokens …` as a user runs it (no terminal), with the file store so these tests do not
 * need a keychain (secrets-keychain.test.ts covers the keychain), and `tokens test` against the
 * Cloudflare Access stand-in in front of a real MCP server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSandbox, hasScript, runCliInTerminal, type CliResult, type CliSandbox } from '../helpers/cli.js';
import { leakGuard } from '../helpers/secret-leaks.js';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../fixtures/cf-access/stand-in.js';
import { startHttpFixture, type HttpFixture } from '../fixtures/servers/spawn-fixture.js';

const guard = leakGuard();
const tok = makeServiceToken();
guard.secret(tok.clientId);
guard.secret(tok.clientSecret);
const rotated = makeServiceToken();
guard.secret(rotated.clientId);
guard.secret(rotated.clientSecret);
const ODD_SECRET = guard.secret('not-a-hex-secret-but-stored-anyway');

const ENV = { GATEHOUSE_SECRET_STORE: 'file' };
let sb: CliSandbox;
let fixture: HttpFixture;
let edge: CfAccessStandIn;
const stops: Array<() => Promise<void>> = [];

async function run(args: string[], input?: string, env: Record<string, string | undefined> = ENV): Promise<CliResult> {
  return guard.recordRun(`tokens ${args.join(' ')}`, await sb.run(['tokens', ...args], { env, ...(input !== undefined ? { input } : {}) }));
}

beforeAll(async () => {
  sb = cliSandbox();
  fixture = await startHttpFixture('conformance-server');
  stops.push(() => fixture.stop());
  edge = await startCfAccessStandIn({ upstream: `http://127.0.0.1:${fixture.port}`, tokens: [tok], team: 'myteam' });
  stops.push(() => edge.close());
});

afterAll(async () => {
  for (const s of stops.reverse()) await s();
  for (const f of ['secrets-index.json', 'gatehouse.yaml']) {
    try {
      guard.record(f, readFileSync(join(sb.configDir, f), 'utf8'));
    } catch {
      /* not written */
    }
  }
  expect(guard.leaks()).toEqual([]);
});

describe('tokens add / list / rotate / remove', { timeout: 120_000 }, () => {
  it('without a terminal and without --client-id, fails at once naming the flag (exit 2)', async () => {
    const r = await run(['add', 'homelab']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Error: Missing --client-id (no terminal to ask in).');
    expect(r.stderr).toContain('--client-id <id>.access');
    const json = await run(['add', 'homelab', '--json']);
    expect(json.code).toBe(2);
    expect(json.json().error).toMatchObject({ code: 'missing_flags', details: { missing: ['client-id'] } });
  });

  it('--client-id with nothing on stdin is a usage error', async () => {
    const r = await run(['add', 'homelab', '--client-id', tok.clientId]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error: No Client Secret on stdin.');
  });

  it('adds a token from --client-id and stdin', async () => {
    const r = await run(['add', 'homelab', '--client-id', tok.clientId, '--team', 'myteam'], `${tok.clientSecret}\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Stored Cloudflare Access token "homelab" in the file store.\n');
    expect(r.stderr).toContain('gatehouse tokens test homelab --url');
    const again = await run(['add', 'homelab', '--client-id', tok.clientId], tok.clientSecret);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Error: A token named "homelab" already exists (in the file store).');
    expect(again.stderr).toContain('tokens rotate homelab');
  });

  it('warns on odd shapes but stores them', async () => {
    const r = await run(['add', 'odd', '--client-id', 'my-client-id', '--json'], ODD_SECRET);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: The Client ID does not end in ".access"');
    expect(r.stderr).toContain('Warning: The Client Secret is not 64 hex characters');
    expect(r.json()).toMatchObject({ name: 'odd', store: 'file' });
  });

  it('lists tokens with a masked id and the backends that use them', async () => {
    sb.writeConfig({ version: 1, backends: { lab: { type: 'http', url: `${edge.url}/mcp`, cfAccessToken: 'homelab' } } });
    const r = await run(['list']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STORE\s+TEAM\s+CLIENT ID\s+UPDATED\s+USED BY$/);
    expect(lines[1]).toMatch(new RegExp(`^homelab\\s+file\\s+myteam\\.cloudflareaccess\\.com\\s+${tok.clientId.slice(0, 6)}….access\\s+\\S+\\s+lab$`));
    const json = await run(['list', '--json']);
    expect(json.json().tokens.map((t: { name: string; usedBy: string[] }) => [t.name, t.usedBy])).toEqual([
      ['homelab', ['lab']],
      ['odd', []],
    ]);
  });

  it('rotate replaces the pair and keeps the name the backends refer to', async () => {
    const before = sb.readConfigBytes();
    const r = await run(['rotate', 'homelab', '--client-id', rotated.clientId], rotated.clientSecret);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Rotated Cloudflare Access token "homelab" (file store). Used by: lab.');
    expect(sb.readConfigBytes()).toEqual(before);
    const secrets = JSON.parse(readFileSync(join(sb.configDir, 'secrets.json'), 'utf8'));
    expect(JSON.parse(secrets.secrets['cf-access/homelab'].value)).toEqual(rotated);
    expect((await run(['list', '--json'])).json().tokens[0]).toMatchObject({ name: 'homelab', team: 'myteam.cloudflareaccess.com' });
    const unknown = await run(['rotate', 'nope', '--client-id', rotated.clientId], rotated.clientSecret);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error: No Cloudflare Access token named "nope".');
    // Put the original pair back for the `tokens test` cases below.
    expect((await run(['rotate', 'homelab', '--client-id', tok.clientId], tok.clientSecret)).code).toBe(0);
  });

  it('remove refuses while a backend uses the token, unless --force', async () => {
    const r = await run(['remove', 'homelab']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: Token "homelab" is still used by backend lab.');
    const odd = await run(['remove', 'odd', '--json']);
    expect(odd.code).toBe(0);
    expect(odd.json()).toEqual({ name: 'odd', store: 'file', removed: true, usedBy: [] });
    expect((await run(['remove', 'odd'])).code).toBe(1);
  });
});

describe('tokens test', { timeout: 120_000 }, () => {
  it('0: accepted, and the app answered MCP', async () => {
    const r = await run(['test', 'homelab', '--url', `${edge.url}/mcp`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Accepted: the token got through to http:\/\/127\.0\.0\.1:\d+\/mcp, and .+ answered MCP initialize \(protocol 2025-11-25\)\.\n$/);
    const json = await run(['test', 'homelab', '--url', `${edge.url}/mcp`, '--json']);
    expect(json.json()).toMatchObject({ outcome: 'accepted', exitCode: 0, status: 200, mcp: { method: 'initialize' } });
    expect(edge.requests.filter((q) => q.accepted).length).toBeGreaterThanOrEqual(2);
  });

  it('4: a token Access does not know gets the login-redirect diagnosis', async () => {
    edge.setTokens([]); // as if the token were revoked in Zero Trust
    try {
      const r = await run(['test', 'homelab', '--url', `${edge.url}/mcp`]);
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/Rejected by Cloudflare Access\. .* answered HTTP 302, a redirect to the Cloudflare Access login \(myteam\.cloudflareaccess\.com\)/);
      expect(r.stderr).toMatch(/Next: .*Service Auth/);
      const json = await run(['test', 'homelab', '--url', `${edge.url}/mcp`, '--json']);
      expect(json.code).toBe(4);
      expect(json.json()).toMatchObject({ outcome: 'rejected', exitCode: 4, status: 302, diagnosis: { kind: 'access-login', teamDomain: 'myteam.cloudflareaccess.com' } });
    } finally {
      edge.setTokens([tok]);
    }
  });

  it('4: a token stored for another team says so', async () => {
    const other = await startCfAccessStandIn({ upstream: `http://127.0.0.1:${fixture.port}`, tokens: [], team: 'otherteam' });
    try {
      const r = await run(['test', 'homelab', '--url', `${other.url}/mcp`]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('This URL belongs to the Access team otherteam.cloudflareaccess.com, but token "homelab" was stored for myteam.cloudflareaccess.com');
    } finally {
      await other.close();
    }
  });

  it('0: past Access to a REST API (no MCP endpoint): the token got through', async () => {
    const r = await run(['test', 'homelab', '--url', `${edge.url}/not-mcp`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Accepted: .* answered HTTP 404.*: no MCP endpoint, but Access accepted the token\./);
    expect(r.stderr).toContain('--cf-access-token');
    const json = await run(['test', 'homelab', '--url', `${edge.url}/not-mcp`, '--json']);
    expect(json.json()).toMatchObject({ outcome: 'accepted-no-mcp', exitCode: 0, status: 404 });
  });

  it('6: a CF_Authorization cookie and a redirect instead of the app', async () => {
    const cookie = await startCfAccessStandIn({ upstream: `http://127.0.0.1:${fixture.port}`, tokens: [tok], cookieRedirect: true });
    try {
      const r = await run(['test', 'homelab', '--url', `${cookie.url}/mcp`, '--json']);
      expect(r.code).toBe(6);
      expect(r.json()).toMatchObject({ outcome: 'cookie-redirect', cookieSet: true });
    } finally {
      await cookie.close();
    }
  });

  it('7: a network error', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const r = await run(['test', 'homelab', '--url', `http://127.0.0.1:${port}/mcp`]);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`Network error: 127.0.0.1:${port} refused the connection.`);
  });

  it('1 and 2: unknown token, bad URL', async () => {
    const unknown = await run(['test', 'nope', '--url', `${edge.url}/mcp`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error: No Cloudflare Access token named "nope".');
    const bad = await run(['test', 'homelab', '--url', 'ftp://x']);
    expect(bad.code).toBe(2);
    const missing = await run(['test', 'homelab']);
    expect(missing.code).toBe(2);
  });

  it('the help documents every exit code', async () => {
    const r = await sb.run(['tokens', 'test', '--help']);
    for (const code of ['0  accepted', '4  rejected by Access', '5  passed Access', '6  Access answered with a CF_Authorization cookie', '7  network error']) expect(r.stdout).toContain(code);
  });
});

describe('tokens add in a terminal', { timeout: 120_000 }, () => {
  it('asks for the Client ID, then the Client Secret without showing it', async () => {
    if (!hasScript()) return;
    const t = makeServiceToken();
    guard.secret(t.clientSecret);
    const r = await runCliInTerminal(
      ['tokens', 'add', 'typed', '--team', 'myteam'],
      [
        { expect: 'Client ID (CF-Access-Client-Id)', send: `${t.clientId}\r` },
        { expect: 'Client Secret (CF-Access-Client-Secret, hidden)', send: `${t.clientSecret}\r` },
        { expect: 'Stored Cloudflare Access token "typed"' },
      ],
      { configDir: sb.configDir, env: ENV },
    );
    // The id is typed visibly (it is not the secret); the secret must not appear.
    guard.record('terminal session', r.raw.replaceAll(t.clientId, ''));
    expect(r.code).toBe(0);
    const secrets = JSON.parse(readFileSync(join(sb.configDir, 'secrets.json'), 'utf8'));
    expect(JSON.parse(secrets.secrets['cf-access/typed'].value)).toEqual(t);
  });
});
