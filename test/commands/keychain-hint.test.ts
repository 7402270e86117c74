/**
 * The first keychain hint is enough on its own: with no session bus, the command sequence the hint
 * gives (a dbus-run-session shell, one gnome-keyring-daemon command, then gatehouse in that shell)
 * is run exactly as written and the secret is stored. (The old hint's `gnome-keyring-daemon
 * --unlock` left a daemon without a default collection, so it led to a second error.)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, childEnv, makeTempDir, runCli } from '../helpers/cli.js';
import { missingKeyringTools } from '../helpers/keyring.js';

describe('keychain hint', () => {
  it('no session bus: the hint names a sequence that works as written', async () => {
    const missing = [...missingKeyringTools(), ...(spawnSync('sh', ['-c', 'command -v dbus-run-session']).status === 0 ? [] : ['dbus-run-session'])];
    expect(missing, `install dbus, gnome-keyring and libsecret-tools (missing: ${missing.join(', ')})`).toEqual([]);
    const home = makeTempDir('gatehouse-hint-');
    const runtime = join(home, 'run');
    mkdirSync(runtime, { mode: 0o700 });
    const env = { HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: runtime, DBUS_SESSION_BUS_ADDRESS: undefined, DISPLAY: undefined, GATEHOUSE_SECRET_STORE: undefined };
    const first = await runCli(['secrets', 'set', 'argocd-token', '--from-stdin'], { env, input: 'value-1\n' });
    expect(first.code).toBe(1);
    const hint = /^Hint: (.*)$/m.exec(first.stderr)?.[1] ?? '';
    expect(hint).toContain('`dbus-run-session -- sh`');
    const unlock = /`(printf %s "\$PASSWORD" \| gnome-keyring-daemon [^`]+)`/.exec(hint)?.[1];
    expect(unlock, hint).toBeDefined();

    // Exactly the hint: a new session bus, the one keyring command (with a password), then gatehouse in that shell.
    const script = [`PASSWORD=test-keyring-password`, `${unlock} >/dev/null`, `printf %s value-1 | "${process.execPath}" "${BIN}" secrets set argocd-token --from-stdin`].join('\n');
    const second = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], { env: childEnv(first.configDir, env), encoding: 'utf8', timeout: 60_000 });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('Stored secret "argocd-token" in the OS keychain.');
    expect(`${second.stdout}${second.stderr}`).not.toContain('value-1');
  }, 90_000);
});
