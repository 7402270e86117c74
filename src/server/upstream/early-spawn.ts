import { spawn, type ChildProcess } from 'node:child_process';
import type { GatehouseConfig } from '../../core/config/schema.js';
import { SECRET_REF_RE } from '../../core/secrets/resolve.js';
import { trackChild } from './children.js';

/**
 * Stdio backends spawned as soon as `serve` has read its config, before it loads the gateway (the
 * MCP SDK, the HTTP stack, metrics): the children boot meanwhile instead of after. A backend's
 * transport takes a waiting child only when it would have spawned exactly the same one (command,
 * arguments, working directory, environment; see stdio-transport.ts); anything else spawns as before.
 *
 * Ownership: every child spawned here is counted for the second Ctrl-C from the moment it exists
 * (children.ts) and belongs to this module until a transport adopts it. `releaseEarly` stops every
 * child nobody adopted and resolves once they have exited; the gateway calls it when its start is
 * over (the first connect of every backend has happened), when a start fails, and on stop. A process
 * that exits before that (an error while loading) kills them on its way out.
 *
 * Only this module and node:child_process are loaded for it: nothing of the SDK.
 */

export interface SpawnSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
}

interface Waiting {
  child: ChildProcess;
  exited: boolean;
  exit: Promise<void>;
}

const waiting = new Map<string, Waiting>();
let releasing: Promise<void> | undefined;
let exitHook = false;

/** The variables the SDK's stdio transport passes to a child by default (its DEFAULT_INHERITED_ENV_VARS, POSIX). */
export const INHERITED_ENV_VARS = ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of INHERITED_ENV_VARS) {
    const v = process.env[k];
    // The SDK skips exported shell functions the same way.
    if (v !== undefined && !v.startsWith('()')) env[k] = v;
  }
  return env;
}

const keyOf = (s: SpawnSpec) => JSON.stringify([s.command, s.args, s.cwd ?? null, Object.entries(s.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);

/**
 * Spawns now every enabled, shared stdio backend whose environment needs nothing resolved (no
 * secret:, env: or file: references: those are resolved by the gateway, at connect). Returns how many.
 */
export function spawnEarly(config: GatehouseConfig): number {
  // Windows needs the command resolution the SDK does (cross-spawn); not repeated here.
  if (process.platform === 'win32' || releasing) return 0;
  let n = 0;
  for (const b of Object.values(config.backends)) {
    if (b.type !== 'stdio' || b.disabled || (b.isolation ?? 'shared') !== 'shared') continue;
    const own = b.env ?? {};
    if (Object.values(own).some((v) => SECRET_REF_RE.test(v))) continue;
    const spec: SpawnSpec = { command: b.command, args: b.args ?? [], env: { ...inheritedEnv(), ...own }, cwd: b.cwd };
    const key = keyOf(spec);
    if (waiting.has(key)) continue;
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, { env: spec.env, cwd: spec.cwd, stdio: ['pipe', 'pipe', 'pipe'], shell: false });
    } catch {
      continue; // the gateway's own spawn reports it
    }
    const w: Waiting = {
      child,
      exited: false,
      // A command that cannot start never exits: its spawn error ends it (the gateway's own spawn then reports why).
      exit: new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => child.pid === undefined && resolve());
      }),
    };
    void w.exit.then(() => {
      w.exited = true;
      if (waiting.get(key) === w) waiting.delete(key);
    });
    if (child.pid) void w.exit.then(trackChild(child.pid));
    waiting.set(key, w);
    n++;
  }
  if (n && !exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const w of waiting.values()) if (!w.exited) w.child.kill('SIGKILL');
    });
  }
  return n;
}

/** The waiting child for exactly this spawn, handed over once; undefined when there is none (or it exited). */
export function adoptEarly(spec: SpawnSpec): ChildProcess | undefined {
  if (!waiting.size) return undefined;
  const key = keyOf(spec);
  const w = waiting.get(key);
  if (!w) return undefined;
  waiting.delete(key);
  if (w.exited || w.child.exitCode !== null || w.child.signalCode !== null || w.child.pid === undefined) return undefined;
  return w.child;
}

/**
 * Stops every child no transport adopted (stdin closed, SIGTERM, SIGKILL after 2 s) and resolves
 * once they have all exited. Calls meanwhile return the same promise, and spawn nothing.
 */
export function releaseEarly(): Promise<void> {
  if (releasing) return releasing;
  const left = [...waiting.values()];
  waiting.clear();
  releasing = Promise.all(
    left.map(async (w) => {
      if (w.exited) return;
      w.child.stdin?.end();
      w.child.kill('SIGTERM');
      const timer = setTimeout(() => w.child.kill('SIGKILL'), 2_000);
      timer.unref();
      // Bounded even if no exit is ever reported: a stop never waits forever on a child.
      await Promise.race([w.exit, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      clearTimeout(timer);
    }),
  ).then(() => {
    releasing = undefined;
  });
  return releasing;
}
