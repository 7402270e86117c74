/**
 * `gatehouse clients token create|list|revoke` as a user runs them, and `serve --auth-mode bearer`
 * using the tokens: the token is printed once (stdout only), only its hash is stored, list never
 * shows a token, revoke takes effect on the running gateway, and a bearer-mode gateway may bind a
 * non-default address without --insecure (127.0.0.2: still loopback, but not one serve trusts
 * without auth).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { BIN, ROOT, childEnv, cliSandbox, type CliResult, type CliSandbox } from '../helpers/cli.js';
import { leakGuard } from '../helpers/secret-leaks.js';

const guard = leakGuard();
let sb: CliSandbox;
let serve: ChildProcess | undefined;
let serveOut = '';

async function run(args: string[]): Promise<CliResult> {
  const r = await sb.run(['clients', 'token', ...args]);
  if (args[0] !== 'create') return guard.recordRun(`clients token ${args.join(' ')}`, r);
  // create prints its own token on stdout by design (exactly once); everything else must hold no secret.
  const issued = /gth_[A-Za-z0-9_-]{43}/.exec(r.stdout)?.[0];
  guard.record(`clients token ${args.join(' ')} (stdout)`, issued ? r.stdout.replace(issued, '<issued>') : r.stdout);
  guard.record(`clients token ${args.join(' ')} (stderr)`, r.stderr);
  if (issued) expect(r.stdout.split(issued).length).toBe(2);
  return r;
}

beforeAll(() => {
  sb = cliSandbox();
});

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    serve.kill('SIGKILL');
    await new Promise((r) => serve!.once('exit', r));
  }
  guard.record('serve output', serveOut);
  for (const f of ['client-tokens.json', 'client-tokens-used.json']) {
    if (existsSync(join(sb.configDir, f))) guard.record(f, readFileSync(join(sb.configDir, f), 'utf8'));
  }
  expect(guard.leaks()).toEqual([]);
});

describe('clients token', { timeout: 120_000 }, () => {
  let laptop: string;

  it('create prints the token once on stdout (nothing else there) and stores only its hash', async () => {
    const r = await run(['create', 'laptop']);
    expect(r.code).toBe(0);
    laptop = guard.secret(r.stdout.trim());
    expect(r.stdout).toMatch(/^gth_[A-Za-z0-9_-]{43}\n$/);
    expect(r.stderr).toContain('Created the token for client "laptop". It is shown only this once');
    expect(r.stderr).not.toContain(laptop);
    const file = join(sb.configDir, 'client-tokens.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(stored.clients)).toEqual(['laptop']);
    expect(stored.clients.laptop.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('refuses a second token for the same client (exit 1) unless --replace; rejects bad names (exit 2)', async () => {
    const again = await run(['create', 'laptop']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain('Error: Client "laptop" already has a token.');
    expect(again.stderr).toContain('--replace');
    const bad = await run(['create', 'no spaces']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Invalid client name');
    const ci = await run(['create', 'ci', '--json']);
    expect(ci.code).toBe(0);
    const j = ci.json<{ client: string; token: string; replaced: boolean }>();
    guard.secret(j.token);
    expect(j).toMatchObject({ client: 'ci', replaced: false });
    const replaced = await run(['create', 'ci', '--replace', '--json']);
    expect(replaced.json().replaced).toBe(true);
    guard.secret(replaced.json().token);
    expect(replaced.json().token).not.toBe(j.token);
  });

  it('list shows names and dates, never tokens', async () => {
    const r = await run(['list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^CLIENT\s+ROLES\s+CREATED\s+LAST USED$/);
    expect(r.stdout).toMatch(/^ci\s+-\s+\d{4}-\d\d-\d\dT.*\s+-$/m);
    expect(r.stdout).toMatch(/^laptop\s+/m);
    const j = await run(['list', '--json']);
    expect(j.json().clients.map((c: { client: string }) => c.client)).toEqual(['ci', 'laptop']);
    expect(Object.keys(j.json().clients[0]).sort()).toEqual(['client', 'createdAt']);
  });

  it('serve --auth-mode bearer binds a non-default address without --insecure; a client gets through with the token, not without; revoke applies at once', async () => {
    const cfg = join(sb.configDir, 'gatehouse.yaml');
    writeFileSync(cfg, 'version: 1\nbackends: {}\n');
    const refused = await sb.run(['serve', '--config', cfg, '--host', '127.0.0.2', '--port', '0', '--no-tui']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Refusing to bind 127.0.0.2 without inbound auth.');
    expect(refused.stderr).toContain('--auth-mode bearer');

    serve = spawn(process.execPath, [BIN, 'serve', '--config', cfg, '--host', '127.0.0.2', '--port', '0', '--no-tui', '--auth-mode', 'bearer'], {
      cwd: ROOT,
      env: childEnv(sb.configDir),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serve.stdout!.on('data', (d: Buffer) => (serveOut += d.toString('utf8')));
    serve.stderr!.on('data', (d: Buffer) => (serveOut += d.toString('utf8')));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve did not listen:\n${serveOut}`)), 20_000);
      const check = () => {
        const m = /listening on (http:\/\/\S+\/mcp)/.exec(serveOut);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        } else setTimeout(check, 50);
      };
      check();
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/mcp$/);
    expect(serveOut).toContain('inbound auth: bearer client tokens');

    const client = new Client({ name: 'cli-bearer', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${laptop}` } } }));
    expect((await client.listTools()).tools).toEqual([]);
    await client.close();

    const anonymous = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(anonymous.status).toBe(401);

    const rev = await run(['revoke', 'laptop']);
    expect(rev.code).toBe(0);
    expect(rev.stdout).toBe('Revoked the token of client "laptop".\n');
    const after = new Client({ name: 'cli-bearer-revoked', version: '1.0.0' });
    await expect(after.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${laptop}` } } }))).rejects.toThrow();
    await after.close().catch(() => undefined);

    serve.kill('SIGTERM');
    await new Promise((r) => serve!.once('exit', r));
    expect(serveOut).toMatch(/auth\.failed/);
  });

  it('list shows when a token was last used; revoking an unknown client fails with a hint (exit 1)', async () => {
    const r = await run(['list', '--json']);
    expect(r.json().clients.map((c: { client: string }) => c.client)).toEqual(['ci']);
    const unknown = await run(['revoke', 'laptop']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('Error: No client token for "laptop".');
    expect(unknown.stderr).toContain('Clients with tokens: ci.');
    const used = JSON.parse(readFileSync(join(sb.configDir, 'client-tokens-used.json'), 'utf8'));
    expect(used.clients.laptop).toMatch(/^\d{4}-/);
  });
});
