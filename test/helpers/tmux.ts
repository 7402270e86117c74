/**
 * Drives a command in a real terminal: a detached tmux session of a fixed size, on a private tmux
 * server (its own socket, empty config), so tests never touch the user's tmux and always see the same
 * screen. Keys go in with send-keys, the screen comes out with capture-pane (plain text, no escapes).
 *
 *   const t = await startTmux('node bin/run.js serve', { cols: 100, rows: 30, env: { GATEHOUSE_CONFIG_DIR: dir } });
 *   try {
 *     await t.waitForText('Gatehouse');
 *     await t.sendKeys('q');
 *     expect(await t.waitForExit()).toBe(0);
 *   } finally {
 *     await t.kill();
 *   }
 *
 * The pane stays open after the command exits (remain-on-exit), so the last screen and the exit
 * status can still be read. `-u` makes tmux treat the pane as UTF-8 whatever the locale, so glyphs
 * (●, ✓) survive in CI. Needs the `tmux` binary (Debian package: tmux).
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TmuxOptions {
  cols?: number;
  rows?: number;
  cwd?: string;
  /** Set in the session's environment, over the inherited one. */
  env?: Record<string, string>;
}

export interface WaitOptions {
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Poll interval. Default 50 ms. */
  intervalMs?: number;
}

export interface TmuxSession {
  /** The private server's socket name (tmux -L). */
  readonly socket: string;
  /**
   * tmux key names or literal text: 'q', 'Down', 'Up', 'Enter', 'Escape', 'C-c', 'Tab'.
   * Each argument is one send-keys key; pass `{ literal: true }` to type text verbatim.
   */
  sendKeys(...keys: Array<string | { literal: string }>): Promise<void>;
  /** The visible screen as plain text, one line per row, trailing blanks trimmed. */
  capture(): Promise<string>;
  /** Polls the screen until it contains `text` (or matches it); returns that screen. Throws with the last screen on timeout. */
  waitForText(text: string | RegExp, options?: WaitOptions): Promise<string>;
  /** Polls until `predicate(screen)` holds; returns that screen. */
  waitForScreen(predicate: (screen: string) => boolean, description: string, options?: WaitOptions): Promise<string>;
  /** Exit status of the command once it has exited (128 + n when killed by signal n), else undefined. */
  exitStatus(): Promise<number | undefined>;
  /** Polls until the command exits; returns its status as exitStatus() does. Throws with the last screen on timeout. */
  waitForExit(options?: WaitOptions): Promise<number>;
  /** Kills the session and its private server. Safe to call more than once. */
  kill(): Promise<void>;
}

export function tmuxAvailable(): boolean {
  const r = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  return r.status === 0;
}

function run(socket: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', ['-u', '-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8', cwd: options.cwd, env: options.env, timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tmux ${args[0]} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `command` (a shell command line) in a new detached session. */
export async function startTmux(command: string, options: TmuxOptions = {}): Promise<TmuxSession> {
  const socket = `gatehouse-test-${process.pid}-${randomBytes(4).toString('hex')}`;
  const target = 'main';
  const cols = options.cols ?? 100;
  const rows = options.rows ?? 30;
  const envArgs = Object.entries(options.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  // tmux does not always record a dead pane's exit status (seen with tmux 3.3a when the program never
  // read its terminal), so the shell writes it to a file as well.
  const statusFile = join(tmpdir(), `${socket}.status`);
  const wrapped = `${command}; printf '%s' "$?" > ${JSON.stringify(statusFile)}`;
  // The server inherits our environment; TERM is what the program inside will see.
  const serverEnv: NodeJS.ProcessEnv = { ...process.env, TERM: process.env.TERM && process.env.TERM !== 'dumb' ? process.env.TERM : 'xterm-256color' };
  delete serverEnv.TMUX; // we may be running inside someone's tmux
  // Ink draws only a final frame when it thinks it runs in CI; the terminal here is real.
  serverEnv.CI = '0';
  serverEnv.CONTINUOUS_INTEGRATION = '0';
  // One tmux invocation: the option is set before the command can exit, so its status is never lost.
  await run(
    socket,
    [
      'new-session', '-d', '-s', target, '-x', String(cols), '-y', String(rows), ...(options.cwd ? ['-c', options.cwd] : []), ...envArgs, wrapped,
      ';', 'set-option', '-t', target, 'remain-on-exit', 'on',
      ';', 'set-option', '-t', target, 'status', 'off',
    ],
    { cwd: options.cwd, env: serverEnv },
  );
  let killed = false;

  const display = async (format: string): Promise<string> => (await run(socket, ['display-message', '-p', '-t', target, format])).trim();

  const session: TmuxSession = {
    socket,
    async sendKeys(...keys) {
      for (const k of keys) {
        if (typeof k === 'string') await run(socket, ['send-keys', '-t', target, k]);
        else await run(socket, ['send-keys', '-t', target, '-l', k.literal]);
      }
    },
    async capture() {
      const out = await run(socket, ['capture-pane', '-p', '-t', target]);
      return out
        .split('\n')
        .map((l) => l.replace(/\s+$/, ''))
        .join('\n')
        .replace(/\n+$/, '');
    },
    async waitForScreen(predicate, description, { timeoutMs = 10_000, intervalMs = 50 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let screen = '';
      for (;;) {
        screen = await session.capture();
        if (predicate(screen)) return screen;
        if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}. Last screen:\n${screen}`);
        await delay(intervalMs);
      }
    },
    waitForText(text, options) {
      const test = typeof text === 'string' ? (s: string) => s.includes(text) : (s: string) => text.test(s);
      return session.waitForScreen(test, typeof text === 'string' ? JSON.stringify(text) : String(text), options);
    },
    async exitStatus() {
      const [dead, status, signal] = (await display('#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}')).split(':');
      if (dead !== '1') return undefined;
      const written = await readFile(statusFile, 'utf8').catch(() => '');
      if (written !== '') return Number(written);
      // Killed by a signal: report it the way a shell does, 128 + signal number.
      return status ? Number(status) : 128 + Number(signal);
    },
    async waitForExit({ timeoutMs = 10_000, intervalMs = 50 } = {}) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await session.exitStatus();
        if (status !== undefined) return status;
        if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for the command to exit. Last screen:\n${await session.capture()}`);
        await delay(intervalMs);
      }
    },
    async kill() {
      if (killed) return;
      killed = true;
      await run(socket, ['kill-server']).catch(() => undefined);
      await rm(statusFile, { force: true });
    },
  };
  return session;
}
