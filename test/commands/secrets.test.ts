/**
 * `gatehouse secrets …` without a keychain (the file store), as a user runs it with no terminal.
 * The keychain itself is covered by secrets-keychain.test.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliSandbox, hasScript, runCli, runCliInTerminal, type CliResult } from '../helpers/cli.js';
import { leakGuard } from '../helpers/secret-leaks.js';

const guard = leakGuard();
const V1 = guard.secret('file-value-3c0ffee9d1a7');
const V2 = guard.secret('file-value-second-77aa01bb');
const sb = cliSandbox();

async function run(args: string[], opts: { input?: string; env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  return guard.recordRun(`secrets ${args.join(' ')}`, await sb.run(['secrets', ...args], opts));
}

afterAll(() => {
  for (const f of ['secrets-index.json', 'gatehouse.yaml']) {
    try {
      guard.record(f, readFileSync(join(sb.configDir, f), 'utf8'));
    } catch {
      /* not written */
    }
  }
  expect(guard.leaks()).toEqual([]);
});

describe('secrets with the file store', { timeout: 120_000 }, () => {
  it('without a terminal and without --from-stdin, fails at once naming the flag (exit 2)', async () => {
    const r = await run(['set', 'argocd-token']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('Error: Missing --from-stdin (no terminal to ask in).\nHint: Pass them as flags, for example: printf %s "$VALUE" | gatehouse secrets set argocd-token --from-stdin\n');
  });

  it('has no flag that takes the value', async () => {
    const r = await run(['set', 'argocd-token', '--value', V1]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown flag for `gatehouse secrets set`: --value/);
    // oclif echoes the bad input; the value itself must still not be printed back.
    guard.record('--value attempt', r.stderr.replace('--value', ''));
  });

  it('stores from stdin in a 0600 file, lists, updates, removes', async () => {
    const set = await run(['set', 'argocd-token', '--from-stdin', '--store', 'file'], { input: `${V1}\n` });
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('Stored secret "argocd-token" in the file store. Reference it as secret:argocd-token.\n');
    const file = join(sb.configDir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).secrets['argocd-token'].value).toBe(V1); // trailing newline dropped

    const list = await run(['list']);
    expect(list.stdout).toMatch(/^NAME\s+STORE\s+UPDATED\nargocd-token\s+file\s+\d{4}-\d\d-\d\dT/);
    const json = await run(['list', '--json']);
    expect(json.json()).toEqual({ secrets: [{ name: 'argocd-token', store: 'file', reference: 'secret:argocd-token', createdAt: expect.any(String), updatedAt: expect.any(String) }] });

    const upd = await run(['set', 'argocd-token', '--from-stdin', '--json'], { input: V2, env: { GATEHOUSE_SECRET_STORE: 'file' } });
    expect(upd.json()).toMatchObject({ name: 'argocd-token', store: 'file', replaced: true, warnings: [] });
    expect(JSON.parse(readFileSync(file, 'utf8')).secrets['argocd-token'].value).toBe(V2);

    sb.writeConfig({ version: 1, backends: { argo: { type: 'http', url: 'https://argo.example/mcp', headers: { Authorization: 'secret:argocd-token' } } } });
    const rm = await run(['remove', 'argocd-token']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toBe('Removed secret "argocd-token" from the file store.\n');
    expect(rm.stderr).toContain('Warning: backend argo still refers to secret:argocd-token');
    expect(JSON.parse(readFileSync(file, 'utf8')).secrets).toEqual({});
    const again = await run(['remove', 'argocd-token', '--json']);
    expect(again.code).toBe(1);
    expect(again.json().error).toMatchObject({ code: 'secret_unknown', message: 'No secret named "argocd-token".' });
  });

  it('rejects empty values, bad and reserved names, unknown stores', async () => {
    expect((await run(['set', 'x', '--from-stdin', '--store', 'file'], { input: '\n' })).code).toBe(2);
    const bad = await run(['set', '-bad', '--from-stdin', '--store', 'file'], { input: V1 });
    expect(bad.code).toBe(2);
    const reserved = await run(['set', 'cf-access/x', '--from-stdin', '--store', 'file'], { input: V1 });
    expect(reserved.code).toBe(2);
    expect(reserved.stderr).toContain('reserved for Cloudflare Access tokens');
    const store = await run(['set', 'x', '--from-stdin'], { input: V1, env: { GATEHOUSE_SECRET_STORE: 'vault' } });
    expect(store.code).toBe(2);
    expect(store.stderr).toContain('Error: Unknown secret store "vault" (from GATEHOUSE_SECRET_STORE).');
    const flag = await run(['set', 'x', '--from-stdin', '--store', 'env'], { input: V1 });
    expect(flag.code).toBe(2);
  });

  it('never loads the keychain module for help or the file store', async () => {
    if (process.platform !== 'linux') return;
    // The dynamic loader reports every shared object it opens; the native keyring module is one.
    for (const args of [['--help'], ['secrets', 'list'], ['secrets', 'set', '--help'], ['tokens', '--help']]) {
      const r = await runCli(args, { configDir: sb.configDir, env: { LD_DEBUG: 'files' } });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/keyring\.linux/);
    }
    const r = await runCli(['secrets', 'set', 'lazy', '--from-stdin'], { configDir: sb.configDir, input: V1, env: { LD_DEBUG: 'files', DBUS_SESSION_BUS_ADDRESS: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/keyring\.linux/);
  });
});

describe('secrets set in a terminal', { timeout: 120_000 }, () => {
  it('asks with a hidden prompt and never shows the value', async () => {
    if (!hasScript()) return;
    const HIDDEN = guard.secret('typed-in-terminal-9a8b7c');
    const r = await runCliInTerminal(['secrets', 'set', 'typed', '--store', 'file'], [{ expect: 'Value for "typed" (hidden)', send: `${HIDDEN}\r` }, { expect: 'Stored secret "typed"' }], { configDir: sb.configDir });
    guard.record('terminal session', r.raw);
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(sb.configDir, 'secrets.json'), 'utf8')).secrets.typed.value).toBe(HIDDEN);
  });
});
