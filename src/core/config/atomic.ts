import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode for a new file (default 0600). */
  mode?: number;
  /** An existing file keeps its own mode (default true); false forces `mode`. */
  keepMode?: boolean;
}

/**
 * Writes a file so that readers see either the old bytes or the new ones, never a torn mix:
 * temp file in the same folder (same filesystem, so rename is atomic), fsync, rename.
 */
export function writeFileAtomic(path: string, data: string, options: AtomicWriteOptions = {}): void {
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
