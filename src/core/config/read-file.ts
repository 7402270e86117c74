import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { UserError } from '../errors.js';

/** Bigger than any hand-written gatehouse.yaml with inline REST tools; small enough that parsing stays quick. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export interface ReadBoundedOptions {
  /** What the file is, for messages ("config file", "secrets index"). */
  what: string;
  maxBytes?: number;
  /** Sentence appended to the hint for a too-large file. */
  sizeHint?: string;
}

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever, with SIGINT
// ignored while the main thread is blocked in open().
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function problem(path: string, what: string, kind: 'directory' | 'special' | 'size', maxBytes: number, size = 0, sizeHint = ''): UserError {
  if (kind === 'directory') {
    return new UserError(`The ${what} ${path} is a directory, not a file.`, {
      code: 'config_not_file',
      hint: `Point at the file inside it (for example ${path.replace(/\/$/, '')}/gatehouse.yaml), or move the directory away.`,
      details: { path },
    });
  }
  if (kind === 'special') {
    return new UserError(`The ${what} ${path} is not a regular file (a FIFO, socket or device); Gatehouse reads only regular files.`, {
      code: 'config_not_file',
      hint: 'Write the configuration to a regular file and point at that.',
      details: { path },
    });
  }
  return new UserError(`The ${what} ${path} is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit.`, {
    code: 'config_too_large',
    hint: `Check that it is the right file. ${sizeHint}`.trim(),
    details: { path, size, maxBytes },
  });
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/**
 * Reads a whole regular file with a size bound; undefined when it does not exist. A directory, a
 * FIFO or a device is named as such instead of EISDIR or a hang.
 */
export function readBoundedFileSync(path: string, opts: ReadBoundedOptions): string | undefined {
  const maxBytes = opts.maxBytes ?? MAX_CONFIG_BYTES;
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw problem(path, opts.what, 'directory', maxBytes);
    throw new UserError(`Cannot read the ${opts.what} ${path}: ${(e as Error).message}`, { code: 'config_unreadable', hint: 'Check the path, its owner and permissions.' });
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw problem(path, opts.what, 'directory', maxBytes);
    if (!st.isFile()) throw problem(path, opts.what, 'special', maxBytes);
    if (st.size > maxBytes) throw problem(path, opts.what, 'size', maxBytes, st.size, opts.sizeHint);
    // Read up to one byte past the bound, in case the file grew after fstat.
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let len = 0;
    for (;;) {
      const n = readSync(fd, buf, len, buf.length - len, null);
      if (n === 0) break;
      len += n;
      if (len >= buf.length) {
        if (len > maxBytes) throw problem(path, opts.what, 'size', maxBytes, len, opts.sizeHint);
        break;
      }
    }
    return buf.subarray(0, len).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The async form of readBoundedFileSync. */
export async function readBoundedFile(path: string, opts: ReadBoundedOptions): Promise<string | undefined> {
  const maxBytes = opts.maxBytes ?? MAX_CONFIG_BYTES;
  let fh;
  try {
    fh = await open(path, READ_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw problem(path, opts.what, 'directory', maxBytes);
    throw new UserError(`Cannot read the ${opts.what} ${path}: ${(e as Error).message}`, { code: 'config_unreadable', hint: 'Check the path, its owner and permissions.' });
  }
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw problem(path, opts.what, 'directory', maxBytes);
    if (!st.isFile()) throw problem(path, opts.what, 'special', maxBytes);
    if (st.size > maxBytes) throw problem(path, opts.what, 'size', maxBytes, st.size, opts.sizeHint);
    const text = await fh.readFile('utf8');
    if (Buffer.byteLength(text) > maxBytes) throw problem(path, opts.what, 'size', maxBytes, Buffer.byteLength(text), opts.sizeHint);
    return text;
  } finally {
    await fh.close();
  }
}
