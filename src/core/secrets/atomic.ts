import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { resolveWriteTarget } from '../config/atomic.js';

/**
 * Writes a file so that readers see either the old or the new content, never a torn one: a temp
 * file in the same folder (created with the final mode, so a secret is never briefly readable by
 * others), fsync, then rename over the target (a symlink's target, not the link).
 */
export async function atomicWriteFile(file: string, data: string, mode = 0o600, dirMode = 0o700): Promise<void> {
  // Through a symlink, replace its target, as the config file does (the link must survive).
  const path = resolveWriteTarget(file);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: dirMode });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    // The umask may have narrowed the mode at open(); make it exact.
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
