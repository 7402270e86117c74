import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';

/** The filesystem calls the atomic writers make; tests inject failures through it. */
export interface AtomicFs {
  stat(path: string): Promise<{ mode: number; size: number; mtimeMs: number }>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates `path` exclusively with `data` and `mode`, flushed to disk. */
  writeNew(path: string, data: Uint8Array, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** The real filesystem. */
export const nodeAtomicFs: AtomicFs = {
  stat: (path) => fsp.stat(path),
  readFile: (path) => fsp.readFile(path),
  async writeNew(path, data, mode) {
    const handle = await fsp.open(path, 'wx', mode);
    try {
      await handle.writeFile(data);
      // open() is subject to the umask; the copy must carry the original's exact mode.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
};

/** A temp name in the target's own folder, so the final rename stays on one filesystem. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.gatehouse-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

export interface FileWrite {
  path: string;
  data: Uint8Array;
  /** The bytes the new content was computed from; without it they are read before anything is written. */
  original?: Uint8Array;
  /** Size and mtime when the file was read; a mismatch means someone changed it meanwhile, and nothing is written. */
  expect?: { size: number; mtimeMs: number };
}

export interface AtomicOptions {
  fs?: AtomicFs;
  /** Mode for files that do not exist yet. Default 0o644. */
  mode?: number;
}

async function quietUnlink(fs: AtomicFs, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch {
    // already gone
  }
}

/** Replaces one file atomically (temp file in the same folder, then rename), keeping its mode. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicOptions = {}): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fs = options.fs ?? nodeAtomicFs;
  let mode = options.mode ?? 0o644;
  try {
    mode = (await fs.stat(path)).mode & 0o7777;
  } catch {
    // a new file takes the requested mode
  }
  const tmp = tempPathFor(path);
  try {
    await fs.writeNew(tmp, bytes, mode);
    await fs.rename(tmp, path);
  } catch (e) {
    await quietUnlink(fs, tmp);
    throw e;
  }
}

/**
 * Writes several files so that either all change or none do. Every temp file is written first
 * (any failure removes them and leaves every target untouched); then each is renamed into place.
 * If a rename fails part-way, the files already replaced get their original bytes back, again by
 * temp file and rename, before the error is thrown.
 */
export async function writeFilesAtomic(writes: readonly FileWrite[], options: AtomicOptions = {}): Promise<void> {
  const fs = options.fs ?? nodeAtomicFs;
  interface Staged {
    write: FileWrite;
    tmp: string;
    mode: number;
    original: Uint8Array;
  }
  const staged: Staged[] = [];
  let current = '(none)';
  try {
    for (const write of writes) {
      current = write.path;
      const info = await fs.stat(write.path);
      if (write.expect && (info.size !== write.expect.size || info.mtimeMs !== write.expect.mtimeMs)) {
        throw new UserError(`${write.path} changed after it was read; nothing was written`, {
          code: 'MIGRATE_FILE_CHANGED',
          hint: 'Run the command again.',
        });
      }
      const original = write.original ?? (await fs.readFile(write.path));
      const tmp = tempPathFor(write.path);
      const mode = info.mode & 0o7777;
      staged.push({ write, tmp, mode, original });
      await fs.writeNew(tmp, write.data, mode);
    }
  } catch (e) {
    for (const s of staged) await quietUnlink(fs, s.tmp);
    if (e instanceof UserError) throw e;
    throw new UserError(`could not prepare ${current}: ${(e as Error).message}; nothing was written`, {
      code: 'MIGRATE_WRITE_FAILED',
      cause: e,
      details: { failed: current, notRestored: [] },
    });
  }

  let done = 0;
  try {
    for (; done < staged.length; done++) await fs.rename(staged[done]!.tmp, staged[done]!.write.path);
  } catch (e) {
    for (const s of staged.slice(done)) await quietUnlink(fs, s.tmp);
    const notRestored: string[] = [];
    for (const s of staged.slice(0, done).reverse()) {
      const back = tempPathFor(s.write.path);
      try {
        await fs.writeNew(back, s.original, s.mode);
        await fs.rename(back, s.write.path);
      } catch {
        await quietUnlink(fs, back);
        notRestored.push(s.write.path);
      }
    }
    const failed = staged[done]?.write.path ?? '(unknown)';
    throw new UserError(
      notRestored.length
        ? `could not replace ${failed}; ${notRestored.length} already rewritten file(s) could not be restored: ${notRestored.join(', ')}`
        : `could not replace ${failed}; every file was left as it was`,
      { code: 'MIGRATE_WRITE_FAILED', cause: e, details: { failed, notRestored } },
    );
  }
}
