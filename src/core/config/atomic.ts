import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode for a new file (default 0600). */
  mode?: number;
  /** An existing file keeps its own mode (default true); false forces `mode`. */
  keepMode?: boolean;
}

const MAX_LINKS = 40;

/**
 * The file a write to `path` must replace: symlinks followed (even one whose target does not exist
 * yet), so a rename replaces the target and the link survives. Renaming over the link itself would
 * turn a linked config or secrets file into a private copy.
 */
export function resolveWriteTarget(path: string): string {
  let cur = resolve(path);
  for (let i = 0; i < MAX_LINKS; i++) {
    let isLink: boolean;
    try {
      isLink = lstatSync(cur).isSymbolicLink();
    } catch {
      return cur;
    }
    if (!isLink) return cur;
    cur = resolve(dirname(cur), readlinkSync(cur));
  }
  throw Object.assign(new Error(`Too many levels of symbolic links at ${path}`), { code: 'ELOOP' });
}

/**
 * Writes a file so that readers see either the old bytes or the new ones, never a torn mix:
 * temp file in the same folder as the real target (same filesystem, so rename is atomic), fsync, rename.
 */
export function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): void {
  const path = resolveWriteTarget(file);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  let mode = options.mode ?? 0o600;
  if (options.keepMode !== false) {
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      // new file: use the requested mode
    }
  }
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    safeUnlink(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    safeUnlink(tmp);
    throw e;
  }
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
