/**
 * `gatehouse secrets` and `tokens` against a real Secret Service (gnome-keyring on a private
 * D-Bus session bus), and each way the keychain can be unreachable.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliSandbox, type CliResult, type CliSandbox } from '../helpers/cli.js';
import { startKeyring, type KeyringSession } from '../helpers/keyring.js';
import { leakGuard } from '../helpers/secret-leaks.js';

const guard = leakGuard();
const VALUE = guard.secret('kc-value-8f3a1c9e77d2');
const VALUE2 = guard.secret('kc-second-0b9e4d21aa17');
const TOKEN_ID = guard.secret('5f1c2a9b8e7d6c5b4a3928171615a0b1.access');
const TOKEN_SECRET = guard.secret('9e8d7c6b5a4938271605f4e3d2c1b0a99e8d7c6b5a4938271605f4e3d2c1b0a9');

function runner(sb: CliSandbox, env: Record<string, string | undefined>) {
  return async (args: string[], input?: string): Promise<CliResult> => guard.recordRun(args.join(' '), await sb.run(args, { env, ...(input !== undefined ? { input } : {}) }));
}

function keyringFiles(kr: KeyringSession): Record<string, string> {
  const dir = join(kr.env.XDG_DATA_HOME!, 'keyrings');
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
}

afterAll(() => {
  expect(guard.leaks()).toEqual([]);
});

describe('keychain store on a real Secret Service', { timeout: 120_000 }, () => {
  let kr: KeyringSession;
  let sb: CliSandbox;
  let run: ReturnType<typeof runner>;

  beforeAll(async () => {
    kr = await startKeyring();
    sb = cliSandbox();
    run = runner(sb, kr.env);
  });
  afterAll(async () => {
    await kr?.stop();
  });

  it('stores a value in the keyring, lists it, and removes it', async () => {
    const set = await run(['secrets', 'set', 'argocd-token', '--from-stdin'], `${VALUE}\n`);
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Stored secret "argocd-token" in the OS keychain. Reference it as secret:argocd-token.');

    // The value is really in the Secret Service, under service=gatehouse.
    const lookup = kr.secretTool(['lookup', 'service', 'gatehouse', 'username', 'argocd-token']);
    expect(lookup.code).toBe(0);
    expect(lookup.stdout).toBe(VALUE);
    const search = kr.secretTool(['search', '--all', 'service', 'gatehouse']);
    expect(search.stdout + search.stderr).toContain('argocd-token');
    guard.record('secret-tool search', search.stdout.replace(VALUE, '')); // search prints the value by design; check the rest

    // ...and nowhere on disk in Gatehouse's own files.
    const files = readdirSync(sb.configDir);
    expect(files).toContain('secrets-index.json');
    expect(files).not.toContain('secrets.json');
    guard.record('index', readFileSync(join(sb.configDir, 'secrets-index.json'), 'utf8'));

    const list = await run(['secrets', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.json().secrets).toEqual([expect.objectContaining({ name: 'argocd-token', store: 'keychain', reference: 'secret:argocd-token' })]);

    const update = await run(['secrets', 'set', 'argocd-token', '--from-stdin', '--json'], VALUE2);
    expect(update.code).toBe(0);
    expect(update.json()).toMatchObject({ name: 'argocd-token', store: 'keychain', replaced: true });
    expect(kr.secretTool(['lookup', 'service', 'gatehouse', 'username', 'argocd-token']).stdout).toBe(VALUE2);

    const rm = await run(['secrets', 'remove', 'argocd-token']);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toContain('Removed secret "argocd-token" from the OS keychain.');
    expect(kr.secretTool(['lookup', 'service', 'gatehouse', 'username', 'argocd-token']).stdout).toBe('');
    expect((await run(['secrets', 'list', '--json'])).json().secrets).toEqual([]);
  });

  it('round-trips through the SecretStore the gateway uses (secret: references resolve from the keyring)', async () => {
    kr.secretTool(['store', '--label=probe', 'service', 'gatehouse', 'username', 'not-indexed'], 'x');
    expect((await run(['secrets', 'set', 'signoz-key', '--from-stdin'], VALUE)).code).toBe(0);
    // Resolve in a child process with the keyring's environment, as `serve` would.
    const { spawnSync } = await import('node:child_process');
    const script = `
      const { openSecrets, resolveValue } = await import(${JSON.stringify(new URL('../../dist/core/secrets/index.js', import.meta.url).href)});
      const store = openSecrets();
      const v = await resolveValue('secret:signoz-key', { store });
      process.stdout.write(v === ${JSON.stringify(VALUE)} ? 'match' : 'mismatch');
      process.stdout.write(String(await store.get('not-indexed')));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...kr.env, GATEHOUSE_CONFIG_DIR: sb.configDir }, encoding: 'utf8' });
    guard.recordRun('resolve child', r);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('matchundefined');
  });

  it('keeps a Cloudflare Access token pair in the keyring', async () => {
    const add = await run(['tokens', 'add', 'homelab', '--client-id', TOKEN_ID, '--team', 'myteam', '--json'], `${TOKEN_SECRET}\n`);
    expect(add.code).toBe(0);
    expect(add.json()).toMatchObject({ name: 'homelab', store: 'keychain', team: 'myteam.cloudflareaccess.com', clientIdHint: '5f1c2a….access' });
    const stored = kr.secretTool(['lookup', 'service', 'gatehouse', 'username', 'cf-access/homelab']);
    expect(JSON.parse(stored.stdout)).toEqual({ clientId: TOKEN_ID, clientSecret: TOKEN_SECRET });
    const list = await run(['tokens', 'list']);
    expect(list.stdout).toMatch(/homelab\s+keychain\s+myteam\.cloudflareaccess\.com\s+5f1c2a….access/);
    // Tokens are not plain secrets.
    expect((await run(['secrets', 'list', '--json'])).json().secrets.map((s: { name: string }) => s.name)).not.toContain('cf-access/homelab');
  });
});

describe('when the keychain is unreachable', { timeout: 120_000 }, () => {
  const sessions: KeyringSession[] = [];
  afterEach(async () => {
    while (sessions.length) await sessions.pop()!.stop();
  });

  /** A file-store secret set beforehand, to prove a keychain failure loses nothing. */
  async function withExistingFileSecret(env: Record<string, string | undefined>) {
    const sb = cliSandbox();
    const run = runner(sb, env);
    expect((await run(['secrets', 'set', 'kept', '--from-stdin', '--store', 'file'], VALUE)).code).toBe(0);
    const before = { index: readFileSync(join(sb.configDir, 'secrets-index.json'), 'utf8'), file: readFileSync(join(sb.configDir, 'secrets.json'), 'utf8') };
    const unchanged = () => {
      expect(readFileSync(join(sb.configDir, 'secrets-index.json'), 'utf8')).toBe(before.index);
      expect(readFileSync(join(sb.configDir, 'secrets.json'), 'utf8')).toBe(before.file);
    };
    return { sb, run, unchanged };
  }

  function expectKeychainError(r: CliResult, reason: string, message: RegExp) {
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('--store file');
    expect(r.stderr).toContain('env:NAME');
    return reason;
  }

  it('no session bus: says so, exit 1, nothing written, file store still works', async () => {
    const { run, unchanged } = await withExistingFileSecret({ DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined });
    const r = await run(['secrets', 'set', 'new-one', '--from-stdin'], VALUE2);
    expectKeychainError(r, 'no-bus', /^Error: The OS keychain is unreachable: there is no D-Bus session bus \(DBUS_SESSION_BUS_ADDRESS is not set\)\./);
    expect(r.stderr).toMatch(/Hint: .*dbus-run-session/);
    const json = await run(['secrets', 'set', 'new-one', '--from-stdin', '--json'], VALUE2);
    expect(json.code).toBe(1);
    expect(json.json().error).toMatchObject({ code: 'keychain_unavailable', details: { reason: 'no-bus' } });
    unchanged();
    // The file store does not need the keychain, and list reads the index only.
    const list = await run(['secrets', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.json().secrets.map((s: { name: string }) => s.name)).toEqual(['kept']);
  });

  it('a bus address with no daemon behind it is reported as no bus', async () => {
    const { run, unchanged } = await withExistingFileSecret({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/gatehouse-test-bus' });
    const r = await run(['secrets', 'set', 'new-one', '--from-stdin'], VALUE2);
    expectKeychainError(r, 'no-bus', /^Error: The OS keychain is unreachable: there is no D-Bus session bus at unix:path=\/nonexistent\/gatehouse-test-bus\./);
    unchanged();
  });

  it('a bus without a Secret Service provider', async () => {
    const kr = await startKeyring({ provider: false });
    sessions.push(kr);
    const { run, unchanged } = await withExistingFileSecret(kr.env);
    const r = await run(['secrets', 'set', 'new-one', '--from-stdin'], VALUE2);
    expectKeychainError(r, 'no-provider', /^Error: The OS keychain is unreachable: the D-Bus session bus has no Secret Service provider \(nothing owns org\.freedesktop\.secrets\)\./);
    expect(r.stderr).toMatch(/Hint: Start a provider with a default keyring: `printf %s "\$PASSWORD" \| gnome-keyring-daemon --replace --unlock --components=secrets`/);
    const add = await run(['tokens', 'add', 'homelab', '--client-id', TOKEN_ID, '--json'], TOKEN_SECRET);
    expect(add.code).toBe(1);
    expect(add.json().error.details).toEqual({ reason: 'no-provider' });
    unchanged();
  });

  it('a locked collection: fails without prompting, keeps the index and the keyring as they were', async () => {
    const kr = await startKeyring();
    sessions.push(kr);
    const { run } = await withExistingFileSecret(kr.env);
    expect((await run(['secrets', 'set', 'in-keychain', '--from-stdin'], VALUE2)).code).toBe(0);
    kr.lock();
    const sbIndexBefore = (await run(['secrets', 'list', '--json'])).json();
    const filesBefore = keyringFiles(kr);

    const set = await run(['secrets', 'set', 'new-one', '--from-stdin'], VALUE);
    expectKeychainError(set, 'locked', /^Error: The OS keychain is locked: its default collection must be unlocked/);
    expect(set.stderr).toMatch(/Hint: Unlock it/);
    const rm = await run(['secrets', 'remove', 'in-keychain', '--json']);
    expect(rm.code).toBe(1);
    expect(rm.json().error).toMatchObject({ code: 'keychain_unavailable', details: { reason: 'locked' } });

    expect((await run(['secrets', 'list', '--json'])).json()).toEqual(sbIndexBefore);
    expect(keyringFiles(kr)).toEqual(filesBefore);
  });

  it('a provider with no default collection', async () => {
    const kr = await startKeyring({ collection: 'missing' });
    sessions.push(kr);
    const { run, unchanged } = await withExistingFileSecret(kr.env);
    const r = await run(['secrets', 'set', 'new-one', '--from-stdin'], VALUE2);
    expectKeychainError(r, 'no-collection', /^Error: The OS keychain has no default collection/);
    unchanged();
  });
});
