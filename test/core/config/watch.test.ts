// The config watcher on a real file system: every way a file gets replaced (in place, by rename,
// delete and recreate, the Kubernetes ConfigMap symlink swap) leads to exactly one call per content
// change, and a touch or a rewrite of the same bytes to none. "No call" is shown by the next real
// change arriving as the very next call, not by waiting for a quiet period.
import { mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashText, watchConfigFile, type ConfigWatcher } from '../../../src/core/config/watch.js';
import { tempDir, until, type TempDir } from '../../server/helpers.js';

describe('watchConfigFile', () => {
  let dir: TempDir;
  let watcher: ConfigWatcher | undefined;
  let seen: string[];
  const start = (path: string, initial?: string) => {
    watcher = watchConfigFile(path, (text) => seen.push(text), { debounceMs: 50, initialHash: initial === undefined ? undefined : hashText(initial) });
  };
  const next = async (n: number) => until(() => seen.length >= n, 5_000, `change #${n}`);

  beforeEach(() => {
    dir = tempDir('gatehouse-watch-');
    seen = [];
  });
  afterEach(() => {
    watcher?.close();
    watcher = undefined;
    dir.remove();
  });

  it('sees in-place writes, rename writes and delete + recreate, and ignores touches and same-content writes', async () => {
    const file = join(dir.path, 'gatehouse.yaml');
    writeFileSync(file, 'v: 1\n');
    start(file, 'v: 1\n');

    writeFileSync(file, 'v: 2\n'); // in place (truncate + write, same inode)
    await next(1);
    expect(seen).toEqual(['v: 2\n']);

    utimesSync(file, new Date(), new Date()); // touch
    writeFileSync(file, 'v: 2\n'); // same bytes again
    const tmp = join(dir.path, '.gatehouse.yaml.tmp');
    writeFileSync(tmp, 'v: 3\n');
    renameSync(tmp, file); // an editor's save-by-rename: a new inode at the path
    await next(2);
    expect(seen).toEqual(['v: 2\n', 'v: 3\n']);

    unlinkSync(file);
    writeFileSync(file, 'v: 4\n');
    await next(3);
    expect(seen).toEqual(['v: 2\n', 'v: 3\n', 'v: 4\n']);
    expect(watcher!.hash).toBe(hashText('v: 4\n'));
  });

  it('follows the ConfigMap layout: a symlink to ..data/<file>, with ..data swapped by rename', async () => {
    const stamp = (n: number, text: string) => {
      const d = join(dir.path, `..2026_12_02_00_00_0${n}.000000000`);
      mkdirSync(d);
      writeFileSync(join(d, 'gatehouse.yaml'), text);
      return d;
    };
    const first = stamp(1, 'v: 1\n');
    symlinkSync(first, join(dir.path, '..data'));
    symlinkSync(join('..data', 'gatehouse.yaml'), join(dir.path, 'gatehouse.yaml'));
    const file = join(dir.path, 'gatehouse.yaml');
    start(file, 'v: 1\n');

    // What the kubelet does: write a new timestamped dir, point a temp link at it, rename it over ..data.
    const swap = (n: number, text: string) => {
      const old = join(dir.path, '..data');
      const target = stamp(n, text);
      symlinkSync(target, join(dir.path, '..data_tmp'));
      renameSync(join(dir.path, '..data_tmp'), old);
      return target;
    };
    const second = swap(2, 'v: 2\n');
    rmSync(first, { recursive: true });
    await next(1);
    expect(seen).toEqual(['v: 2\n']);

    // A swap to identical content is no change.
    swap(3, 'v: 2\n');
    rmSync(second, { recursive: true });
    swap(4, 'v: 3\n');
    await next(2);
    expect(seen).toEqual(['v: 2\n', 'v: 3\n']);
  });

  it('coalesces a burst of writes into one call with the final content', async () => {
    const file = join(dir.path, 'gatehouse.yaml');
    writeFileSync(file, 'v: 0\n');
    watcher = watchConfigFile(file, (text) => seen.push(text), { debounceMs: 300, initialHash: hashText('v: 0\n') });
    for (let i = 1; i <= 5; i++) writeFileSync(file, `v: ${i}\n`);
    await next(1);
    writeFileSync(file, 'v: 6\n');
    await next(2);
    expect(seen).toEqual(['v: 5\n', 'v: 6\n']);
  });

  it('stops calling once closed', async () => {
    const file = join(dir.path, 'gatehouse.yaml');
    writeFileSync(file, 'v: 0\n');
    start(file, 'v: 0\n');
    writeFileSync(file, 'v: 1\n');
    await next(1);
    watcher!.close();
    writeFileSync(file, 'v: 2\n');
    // A second watcher on the same file proves the write was observable; the closed one stays silent.
    const other: string[] = [];
    const w2 = watchConfigFile(file, (t) => other.push(t), { debounceMs: 50, initialHash: hashText('v: 1\n') });
    writeFileSync(file, 'v: 3\n');
    await until(() => other.includes('v: 3\n'), 5_000, 'second watcher');
    w2.close();
    expect(seen).toEqual(['v: 1\n']);
  });
});
