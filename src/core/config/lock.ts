import { hostname } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from '../errors.js';
import { resolveWriteTarget } from './atomic.js';

/**
 * Cross-process locks for state files (config, secrets index and file store, client tokens, the
 * running-gateway record), on proper-lockfile: a `<file>.lock` directory whose mtime the holder
 * keeps fresh, so a lock left by a crashed writer is recognised as stale and taken over.
 *
 * proper-lockfile removes its directory with rmdir, so the holder's identity lives next to it
 * (`<file>.lock.holder`) rather than inside; it is only ever used to name the holder in an error.
 */

export interface LockOptions {
  /** Give up after this long (default GATEHOUSE_LOCK_TIMEOUT_MS, else 30 s). */
  timeoutMs?: number;
  /** A lock not refreshed for this long belongs to a dead writer (default 10 s; proper-lockfile's minimum is 2 s). */
  staleMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const DEFAULT_STALE_MS = 10_000;

function defaultTimeout(): number {
  const fromEnv = Number(process.env.GATEHOUSE_LOCK_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 30_000;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** Short random waits so twenty writers started together do not retry in lockstep. */
function backoff(attempt: number): number {
  return Math.min(200, 10 + attempt * 5) * (0.5 + Math.random());
}

function holderPath(target: string): string {
  return `${target}.lock.holder`;
}

function recordHolder(target: string): void {
  const holder: Holder = { pid: process.pid, host: hostname(), command: process.argv.slice(2, 4).join(' ') || process.argv[1] || 'node', since: new Date().toISOString() };
  try {
    writeFileSync(holderPath(target), JSON.stringify(holder), { mode: 0o600 });
  } catch {
    // Naming the holder is a courtesy for error messages; the lock itself is held.
  }
}

function clearHolder(target: string): void {
  rmSync(holderPath(target), { force: true });
}

function describeHolder(target: string): string {
  try {
    const h = JSON.parse(readFileSync(holderPath(target), 'utf8')) as Partial<Holder>;
    if (typeof h.pid !== 'number') return 'another process';
    let alive = true;
    if (h.host === hostname()) {
      try {
        process.kill(h.pid, 0);
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    return `pid ${h.pid}${h.command ? ` (gatehouse ${h.command})` : ''}${h.host && h.host !== hostname() ? ` on ${h.host}` : ''}${h.since ? ` since ${h.since}` : ''}${alive ? '' : ', which is no longer running'}`;
  } catch {
    return 'another process';
  }
}

function timeoutError(target: string, waitedMs: number, staleMs: number): UserError {
  const holder = describeHolder(target);
  return new UserError(`Timed out after ${Math.round(waitedMs / 1000)} s waiting for the lock on ${target}, held by ${holder}.`, {
    code: 'state_locked',
    hint: `Wait for that command to finish and try again. A lock whose holder died is taken over once it is ${Math.round(staleMs / 1000)} s old; if ${target}.lock stays, remove it by hand.`,
    details: { file: target, lock: `${target}.lock` },
  });
}

function lockOptions(target: string, staleMs: number): lockfile.LockOptions {
  return {
    realpath: false,
    stale: staleMs,
    lockfilePath: `${target}.lock`,
    // A lock is only held around one read-modify-write; losing it there means another writer judged
    // us dead, and the atomic rename still leaves a whole file, so do not crash a timer callback.
    onCompromised: () => {},
  };
}

function isBusy(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ELOCKED';
}

/** Runs `fn` holding the lock on `file` (symlinks resolved, so every path to one file shares one lock). */
export function withFileLockSync<T>(file: string, fn: () => T, opts: LockOptions = {}): T {
  const target = resolveWriteTarget(file);
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const timeoutMs = opts.timeoutMs ?? defaultTimeout();
  mkdirSync(dirname(target), { recursive: true });
  const start = Date.now();
  let release: (() => void) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = lockfile.lockSync(target, lockOptions(target, staleMs));
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() - start >= timeoutMs) throw timeoutError(target, Date.now() - start, staleMs);
      sleepSync(backoff(attempt));
    }
  }
  recordHolder(target);
  try {
    return fn();
  } finally {
    clearHolder(target);
    try {
      release();
    } catch {
      // Already taken over as stale; nothing of ours is left to remove.
    }
  }
}

/** The async form, for stores whose critical section awaits (secrets). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const target = resolveWriteTarget(file);
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const timeoutMs = opts.timeoutMs ?? defaultTimeout();
  mkdirSync(dirname(target), { recursive: true });
  const start = Date.now();
  let release: (() => Promise<void>) | undefined;
  for (let attempt = 0; !release; attempt++) {
    try {
      release = await lockfile.lock(target, lockOptions(target, staleMs));
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() - start >= timeoutMs) throw timeoutError(target, Date.now() - start, staleMs);
      await new Promise((r) => setTimeout(r, backoff(attempt)));
    }
  }
  recordHolder(target);
  try {
    return await fn();
  } finally {
    clearHolder(target);
    await release().catch(() => {});
  }
}
