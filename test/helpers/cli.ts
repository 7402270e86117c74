/**
 * Runs the built CLI (`node bin/run.js …`) the way a user would: a child process with its own
 * GATEHOUSE_CONFIG_DIR, no terminal (stdin, stdout and stderr are pipes), output captured.
 * The build happens once per test run in test/global-setup.ts.
 *
 *   const r = await runCli(['backends', 'list', '--json'], { configDir });
 *   expect(r.code).toBe(0); expect(r.json()).toEqual([]);
 *
 * `cliSandbox()` gives a config dir shared by several calls; `runCliInTerminal` drives a real
 * pseudo-terminal (through util-linux `script`) for prompt tests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'run.js');

export interface RunCliOptions {
  /** Merged over process.env; a value of undefined removes the variable. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Without it stdin is closed at once (EOF). */
  input?: string | Buffer;
  cwd?: string;
  /** GATEHOUSE_CONFIG_DIR for the child. Default: a fresh temporary folder (removed at exit). */
  configDir?: string;
  /** Kill the child (SIGKILL) after this long. Default 30 s. */
  timeoutMs?: number;
}

export interface CliResult {
  stdout: string;
  stderr: string;
  /** Exit code, or null when the process was killed by a signal (see `signal`). */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The GATEHOUSE_CONFIG_DIR the child ran with. */
  configDir: string;
  /** stdout parsed as JSON; throws with the raw output when it is not JSON. */
  json<T = any>(): T;
}

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A temporary folder removed when the test process exits. */
export function makeTempDir(prefix = 'gatehouse-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export function childEnv(configDir: string, env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  // Plain, predictable output: no colours, no update notices, nothing from the parent's own config.
  delete out.FORCE_COLOR;
  delete out.NODE_OPTIONS;
  out.NO_COLOR = '1';
  out.OCLIF_SKIP_UPDATE_CHECK = '1';
  delete out.GATEHOUSE_CONFIG;
  out.GATEHOUSE_CONFIG_DIR = configDir;
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function runCli(args: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  const configDir = opts.configDir ?? opts.env?.GATEHOUSE_CONFIG_DIR ?? makeTempDir();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: childEnv(configDir, opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {
      // the child may exit before reading its input
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        stdout,
        stderr,
        code,
        signal,
        timedOut,
        configDir,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
          }
        },
      });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

export interface CliSandbox {
  configDir: string;
  /** The config file, `<configDir>/gatehouse.yaml`. */
  configPath: string;
  run(args: string[], opts?: Omit<RunCliOptions, 'configDir'>): Promise<CliResult>;
  /** The store file's bytes, or undefined when it does not exist. */
  readConfigBytes(): Buffer | undefined;
  readConfig<T = any>(): T;
  /** Writes the store file directly (for tests that start from a given state). */
  writeConfig(data: unknown): void;
}

/** One config dir shared by several CLI calls. */
export function cliSandbox(configDir: string = makeTempDir()): CliSandbox {
  const configPath = join(configDir, 'gatehouse.yaml');
  return {
    configDir,
    configPath,
    run: (args, opts = {}) => runCli(args, { ...opts, configDir }),
    readConfigBytes: () => (existsSync(configPath) ? readFileSync(configPath) : undefined),
    readConfig: () => parseYaml(readFileSync(configPath, 'utf8')),
    writeConfig: (data) => {
      mkdirSync(dirname(configPath), { recursive: true });
      writeFileSync(configPath, typeof data === 'string' ? data : JSON.stringify(data, null, '\t'));
    },
  };
}

/** Removes ANSI escape sequences (colours, cursor movement) from terminal output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*(\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>]/g, '');
}

/** Whether util-linux `script` is available to give the CLI a pseudo-terminal. */
export function hasScript(): boolean {
  const r = spawnSync('script', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /util-linux/.test(`${r.stdout}${r.stderr}`);
}

export interface TerminalStep {
  /** Wait until the screen output (ANSI stripped) matches this. */
  expect: RegExp | string;
  /** Then type this ("\r" is Enter, "\x1b[B" is arrow down, "\x03" is Ctrl-C). */
  send?: string;
}

export interface TerminalResult {
  /** Everything the terminal showed, stdout and stderr interleaved, ANSI stripped. */
  output: string;
  raw: string;
  code: number | null;
  configDir: string;
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI with stdin and stdout on a pseudo-terminal, answering prompts step by step: each
 * step waits for text to appear, then types. Fails with the screen so far if a step times out.
 */
export function runCliInTerminal(args: string[], steps: TerminalStep[], opts: Omit<RunCliOptions, 'input'> & { cols?: number; rows?: number } = {}): Promise<TerminalResult> {
  const configDir = opts.configDir ?? opts.env?.GATEHOUSE_CONFIG_DIR ?? makeTempDir();
  const inner = `stty cols ${opts.cols ?? 100} rows ${opts.rows ?? 30} 2>/dev/null; exec ${[process.execPath, BIN, ...args].map(shQuote).join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-f', '-c', inner, '/dev/null'], {
      cwd: opts.cwd ?? ROOT,
      env: { ...childEnv(configDir, opts.env), SHELL: '/bin/sh', TERM: 'xterm-256color' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let raw = '';
    let step = 0;
    let seenUpTo = 0;
    let done = false;
    const finish = (e?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (e) {
        child.kill('SIGKILL');
        reject(e);
      }
    };
    const timer = setTimeout(
      () => finish(new Error(`terminal step ${step + 1} timed out waiting for ${String(steps[step]?.expect ?? 'exit')}; screen:\n${stripAnsi(raw)}`)),
      opts.timeoutMs ?? 30_000,
    );
    const advance = () => {
      while (step < steps.length) {
        const s = steps[step]!;
        const screen = stripAnsi(raw.slice(seenUpTo));
        const hit = typeof s.expect === 'string' ? screen.includes(s.expect) : s.expect.test(screen);
        if (!hit) return;
        seenUpTo = raw.length;
        step++;
        if (s.send !== undefined) child.stdin.write(s.send);
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      raw += c.toString('utf8');
      advance();
    });
    child.stderr.on('data', (c: Buffer) => {
      raw += c.toString('utf8');
    });
    child.stdin.on('error', () => {});
    child.on('error', (e) => finish(e));
    child.on('close', (code) => {
      if (done) return;
      if (step < steps.length) return finish(new Error(`CLI exited (${code}) before step ${step + 1} (${String(steps[step]!.expect)}); screen:\n${stripAnsi(raw)}`));
      finish();
      resolve({ output: stripAnsi(raw), raw, code, configDir });
    });
  });
}
