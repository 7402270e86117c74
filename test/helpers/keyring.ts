/**
 * A private, real Secret Service for keychain tests: a D-Bus session bus of our own (no service
 * activation, so nothing starts behind our back) with gnome-keyring-daemon on it, in a temporary
 * HOME / XDG_DATA_HOME. Run the CLI with `session.env` merged into its environment.
 *
 *   const kr = await startKeyring();                          // unlocked login collection
 *   const kr = await startKeyring({ collection: 'locked' });  // collection exists but is locked
 *   const kr = await startKeyring({ collection: 'missing' }); // provider without a default collection
 *   const kr = await startKeyring({ provider: false });       // a bus, but no Secret Service
 *   ...
 *   await kr.stop();   // stops both daemons and removes the folder
 *
 * Needs the Debian packages dbus (dbus-daemon, dbus-send), gnome-keyring and libsecret-tools
 * (secret-tool).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KEYRING_PACKAGES = ['dbus', 'dbus-x11', 'gnome-keyring', 'libsecret-tools'];
const TOOLS = ['dbus-daemon', 'dbus-send', 'gnome-keyring-daemon', 'secret-tool'];

/** Tools that are missing from PATH. */
export function missingKeyringTools(): string[] {
  return TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
}

export interface KeyringOptions {
  /** Start gnome-keyring-daemon on the bus (default true). */
  provider?: boolean;
  /** State of the default ("login") collection (default unlocked). */
  collection?: 'unlocked' | 'locked' | 'missing';
}

export interface KeyringSession {
  dir: string;
  /** HOME, XDG_* and DBUS_SESSION_BUS_ADDRESS for processes that should use this keyring. */
  env: Record<string, string>;
  busAddress: string;
  /** Runs secret-tool against this keyring. */
  secretTool(args: string[], input?: string): { code: number | null; stdout: string; stderr: string };
  /** Locks the login collection. */
  lock(): void;
  stop(): Promise<void>;
}

const PASSWORD = 'gatehouse-test-keyring-password';

function busConfig(dir: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitExit(child, 3000)) return;
  child.kill('SIGKILL');
  await waitExit(child, 3000);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startKeyring(opts: KeyringOptions = {}): Promise<KeyringSession> {
  const missing = missingKeyringTools();
  if (missing.length) {
    throw new Error(`Keychain tests need ${missing.join(', ')}: apt-get install -y ${KEYRING_PACKAGES.join(' ')}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-keyring-'));
  const env: Record<string, string> = {
    HOME: join(dir, 'home'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    DBUS_SESSION_BUS_ADDRESS: '',
  };
  for (const k of ['HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR']) mkdirSync(env[k]!, { recursive: true, mode: 0o700 });
  const confPath = join(dir, 'bus.conf');
  writeFileSync(confPath, busConfig(join(dir, 'run')));

  const baseEnv = (): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, ...env };
    delete e.DISPLAY;
    delete e.WAYLAND_DISPLAY;
    return e;
  };

  let bus: ChildProcess | undefined;
  let keyring: ChildProcess | undefined;
  const stop = async () => {
    await stopChild(keyring);
    await stopChild(bus);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    bus = spawn('dbus-daemon', [`--config-file=${confPath}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'], env: baseEnv() });
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      const t = setTimeout(() => reject(new Error(`dbus-daemon did not start: ${err}`)), 10_000);
      bus!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      bus!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0]!;
        if (out.includes('\n') && line) {
          clearTimeout(t);
          resolve(line.trim());
        }
      });
      bus!.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`dbus-daemon exited (${code}): ${err}`));
      });
    });
    env.DBUS_SESSION_BUS_ADDRESS = address;

    const dbusSend = (args: string[]) => spawnSync('dbus-send', ['--session', '--print-reply', ...args], { env: baseEnv(), encoding: 'utf8', timeout: 5000 });
    const lock = () => {
      const r = dbusSend(['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.Lock', 'array:objpath:/org/freedesktop/secrets/collection/login']);
      if (r.status !== 0) throw new Error(`locking the keyring failed: ${r.stderr}`);
    };

    const collection = opts.collection ?? 'unlocked';
    if (opts.provider !== false) {
      const unlock = collection !== 'missing';
      keyring = spawn('gnome-keyring-daemon', ['--foreground', '--components=secrets', ...(unlock ? ['--unlock'] : [])], {
        stdio: [unlock ? 'pipe' : 'ignore', 'ignore', 'pipe'],
        env: baseEnv(),
      });
      let kerr = '';
      keyring.stderr!.on('data', (d: Buffer) => (kerr += d.toString()));
      if (unlock) keyring.stdin!.end(PASSWORD);
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (keyring.exitCode !== null) throw new Error(`gnome-keyring-daemon exited (${keyring.exitCode}): ${kerr}`);
        const owner = dbusSend(['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.freedesktop.secrets']);
        let ready = /boolean true/.test(owner.stdout);
        if (ready && unlock) {
          const alias = dbusSend(['--dest=org.freedesktop.secrets', '/org/freedesktop/secrets', 'org.freedesktop.Secret.Service.ReadAlias', 'string:default']);
          ready = /collection\/login/.test(alias.stdout);
        }
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`gnome-keyring-daemon did not come up on the bus: ${kerr}`);
        await sleep(50);
      }
      if (collection === 'locked') lock();
    }

    return {
      dir,
      env,
      busAddress: address,
      secretTool: (args, input) => {
        const r = spawnSync('secret-tool', args, { env: baseEnv(), input, encoding: 'utf8', timeout: 10_000 });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      },
      lock,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
