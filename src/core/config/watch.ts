import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface ConfigWatchOptions {
  /** Quiet time after the last file-system event before the file is read (editors write in bursts). */
  debounceMs?: number;
  /** Content hash of what is already served, so the first event after start is compared against it. */
  initialHash?: string;
  /** A watch could not be set up or broke; the watcher keeps going with what it has. */
  onError?: (error: Error) => void;
}

export interface ConfigWatcher {
  close(): void;
  /** sha256 of the content last handed to onChange (or the initial hash). */
  readonly hash: string | undefined;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Calls onChange with the new text whenever the config file's content changes.
 *
 * The directory is watched rather than the file: editors that save by rename, a file deleted and
 * recreated, and the Kubernetes ConfigMap swap (`gatehouse.yaml -> ..data/gatehouse.yaml`, with
 * `..data` a symlink replaced by rename) all give the path a new inode, which a watch on the old
 * inode never sees. When the path is a symlink, the directory of its target is watched too, and
 * re-resolved after every change, so an edit at the far end is seen as well. Events are debounced
 * and the content hashed, so a touch, a chmod or the several events of one save lead to at most
 * one call, and only when the bytes differ. A missing or empty file (mid-swap, deleted, truncated
 * before a write) is not a change: the next time it has content it is compared as usual.
 */
export function watchConfigFile(path: string, onChange: (text: string, hash: string) => void, opts: ConfigWatchOptions = {}): ConfigWatcher {
  const file = resolve(path);
  const debounceMs = opts.debounceMs ?? 150;
  let lastHash = opts.initialHash;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let reading = false;
  let again = false;
  const watchers = new Map<string, FSWatcher>();

  const watchDir = (dir: string) => {
    if (closed || watchers.has(dir)) return;
    try {
      const w = watch(dir, { persistent: false }, () => schedule());
      w.on('error', (e) => {
        watchers.delete(dir);
        w.close();
        opts.onError?.(e);
      });
      watchers.set(dir, w);
    } catch (e) {
      opts.onError?.(e as Error);
    }
  };

  // The file's own directory always; the real target's directory when the path is a link.
  const arm = async () => {
    const want = new Set([dirname(file)]);
    const real = await realpath(file).catch(() => undefined);
    if (real && dirname(real) !== dirname(file)) want.add(dirname(real));
    for (const [dir, w] of watchers) {
      if (!want.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of want) watchDir(dir);
  };

  const check = async () => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      await arm();
      const text = await readFile(file, 'utf8').catch(() => undefined);
      // Missing, or empty: a writer that truncates and then writes is caught between the two more
      // often than one means to serve nothing; the finished write brings another event.
      if (text === undefined || text.trim() === '' || closed) return;
      const h = hashText(text);
      if (h === lastHash) return;
      lastHash = h;
      onChange(text, h);
    } finally {
      reading = false;
      if (again && !closed) {
        again = false;
        schedule();
      }
    }
  };

  const schedule = () => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
    timer.unref();
  };

  watchDir(dirname(file));
  void arm();

  return {
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
    get hash() {
      return lastHash;
    },
  };
}

