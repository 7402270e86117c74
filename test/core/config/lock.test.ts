import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withFileLock, withFileLockSync } from '../../../src/core/config/lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'gh-lock-'));
  dirs.push(d);
  return d;
}

describe('state file locks', () => {
  it('a second writer waits a bounded time, then fails naming the holder; nothing is left behind', async () => {
    const d = tmp();
    const file = join(d, 'state.json');
    await withFileLock(file, async () => {
      expect(existsSync(`${file}.lock`)).toBe(true);
      let err: unknown;
      try {
        withFileLockSync(file, () => 1, { timeoutMs: 300 });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'state_locked' });
      expect((err as Error).message).toContain(`waiting for the lock on ${file}, held by pid ${process.pid}`);
    });
    expect(readdirSync(d)).toEqual([]);
    expect(withFileLockSync(file, () => 'ok')).toBe('ok');
  });

  it('a path through a symlink shares the lock of its target', async () => {
    const d = tmp();
    writeFileSync(join(d, 'real.yaml'), 'x');
    symlinkSync(join(d, 'real.yaml'), join(d, 'link.yaml'));
    await withFileLock(join(d, 'link.yaml'), async () => {
      expect(existsSync(join(d, 'real.yaml.lock'))).toBe(true);
      expect(() => withFileLockSync(join(d, 'real.yaml'), () => 1, { timeoutMs: 200 })).toThrow(/held by pid/);
    });
  });

  it('the lock is released when the critical section throws', () => {
    const file = join(tmp(), 'state.json');
    expect(() =>
      withFileLockSync(file, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
