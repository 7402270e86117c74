import { spawn, type ChildProcess } from 'node:child_process';
import type { GatehouseConfig } from '../../core/config/schema.js';
import { trackChild } from './children.js';

/**
 * Early start of stdio backends. `serve` calls `prespawnStdioBackends` as soon as the config is read,
 * before it loads the gateway (the MCP SDK, the HTTP stack, metrics: about 200 ms): the children
 * boot meanwhile, on the other core, instead of after. The gateway's transport adopts a child only
 * when it would have spawned exactly the same one (command, args, cwd, environment); anything
 * else (env references to resolve, per-session isolation, a reload that changed the backend)
 * spawns as before, and a child nobody adopted is stopped once the gateway has started.
 *
 * Only this module and node:child_process are loaded for it: nothing of the SDK.
 */

interface Waiting {
  child: ChildProcess;
  closed: boolean;
  untrack: () => void;
}

const waiting = new Map<string, Waiting>();

/** The environment the SDK's stdio transport gives a child by default (its getDefaultEnvironment). */
export const INHERITED_ENV_VARS = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

export function defaultChildEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of INHERITED_ENV_VARS) {
    const v = process.env[k];
    if (v !== undefined && !v.startsWith('()')) env[k] = v;
  }
  return env;
}

export interface SpawnSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

const keyOf = (s: SpawnSpec) => JSON.stringify([s.command, s.args, s.cwd ?? null, Object.entries(s.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);

/** Values the gateway resolves before spawning (secret:, env:, file: references) cannot be known here. */
const REFERENCE = /^(secret|env|file):/;

/** Spawns, now, every enabled shared stdio backend whose environment needs no resolving. */
export function prespawnStdioBackends(config: GatehouseConfig): number {
  // Windows needs cross-spawn's command resolution, which the SDK applies; not duplicated here.
  if (process.platform === 'win32') return 0;
  let n = 0;
  for (const b of Object.values(config.backends)) {
    if (b.type !== 'stdio' || b.disabled || (b.isolation ?? 'shared') !== 'shared') continue;
    const own = b.env ?? {};
    if (Object.values(own).some((v) => REFERENCE.test(v))) continue;
    const spec: SpawnSpec = { command: b.command, args: b.args ?? [], env: { ...defaultChildEnv(), ...own }, cwd: b.cwd };
    const key = keyOf(spec);
    if (waiting.has(key)) continue;
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, { env: spec.env, cwd: spec.cwd, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    } catch {
      continue;
    }
    const w: Waiting = { child, closed: false, untrack: () => undefined };
    // A command that cannot start is dropped here; the gateway's own spawn then reports it as usual.
    child.once('error', () => forget(key, w));
    child.once('spawn', () => (w.untrack = trackChild(child.pid)));
    child.once('close', () => {
      w.closed = true;
      forget(key, w);
    });
    waiting.set(key, w);
    n++;
  }
  return n;
}

function forget(key: string, w: Waiting): void {
  if (waiting.get(key) === w) waiting.delete(key);
  w.untrack();
}

/** The waiting child for exactly this spawn, handed over once; undefined when there is none. */
export function adoptPrespawned(spec: SpawnSpec): ChildProcess | undefined {
  const key = keyOf({ ...spec, env: { ...defaultChildEnv(), ...spec.env } });
  const w = waiting.get(key);
  if (!w || w.closed || w.child.exitCode !== null || w.child.signalCode !== null || w.child.pid === undefined) return undefined;
  waiting.delete(key);
  // The connection tracks the child from here (connection.ts), as it does the children it spawns.
  w.untrack();
  w.child.removeAllListeners('close');
  w.child.removeAllListeners('error');
  return w.child;
}

/** Stops every child no transport adopted (the gateway has started, or start-up failed). */
export function releasePrespawned(): void {
  for (const [key, w] of waiting) {
    waiting.delete(key);
    w.untrack();
    w.child.stdin?.end();
    w.child.kill('SIGTERM');
  }
}
