import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { UserError } from '../errors.js';
import { registerSecretValue } from '../log/secret-values.js';

/**
 * Messages quote the path: a file named like `api-token` followed by a word would otherwise read as
 * a `--flag value` pair to the redaction rules, and lose that word.
 *
 * `file:/path` references: a secret read from a mounted file, the way Kubernetes Secret volumes and
 * the 1Password operator deliver them (one file per key, often ending in a newline). The file is
 * read whenever the value is resolved (a backend's start, restart or refresh), and a reload restarts
 * the backends whose referenced files changed since they last read them (`fileRefsChanged`).
 */

/** A secret file larger than this is not a secret but a mistake (a directory of keys, a whole bundle). */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Digest of what each path held when it was last resolved; values themselves are never kept here. */
const lastRead = new Map<string, string>();

const digest = (value: string) => createHash('sha256').update(value).digest('hex');

/** One trailing newline (LF or CRLF) is the file's, not the secret's: `echo value > file` writes it. */
function trimOneNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

function checkPath(path: string, ref: string): void {
  if (!isAbsolute(path)) {
    throw new UserError(`"${ref}" must name an absolute path.`, {
      code: 'secret_ref_invalid',
      hint: `Write the mounted file's full path, e.g. file:/var/run/secrets/gatehouse/${path.split('/').pop() || 'token'}.`,
    });
  }
}

function readProblem(path: string, ref: string, e: NodeJS.ErrnoException): UserError {
  if (e.code === 'ENOENT' || e.code === 'ENOTDIR') {
    return new UserError(`Secret file "${path}" does not exist (referenced as "${ref}").`, {
      code: 'secret_missing',
      hint: 'Mount the secret at that path (in Kubernetes, a Secret volume whose key is the file name), or correct the path in the config.',
    });
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    const uid = typeof process.getuid === 'function' ? ` (uid ${process.getuid()})` : '';
    return new UserError(`Secret file "${path}" is not readable by the gateway's user${uid} (referenced as "${ref}").`, {
      code: 'secret_unreadable',
      hint: "Make it readable by that user or its group: in Kubernetes, the Secret volume's defaultMode 0440 with the pod's fsGroup.",
    });
  }
  if (e.code === 'EISDIR') {
    return new UserError(`Secret file "${path}" is a directory (referenced as "${ref}").`, {
      code: 'secret_ref_invalid',
      hint: `A file: reference names one key's file: file:${path.replace(/\/$/, '')}/<key>.`,
    });
  }
  return new UserError(`Cannot read secret file "${path}" (referenced as "${ref}"): ${e.message}`, {
    code: 'secret_unreadable',
    hint: 'Check that the file is mounted and readable by the gateway.',
  });
}

function accept(path: string, ref: string, text: string): string {
  if (Buffer.byteLength(text) > MAX_SECRET_FILE_BYTES) {
    throw new UserError(`Secret file "${path}" is larger than ${MAX_SECRET_FILE_BYTES / 1024} KiB (referenced as "${ref}").`, {
      code: 'secret_ref_invalid',
      hint: 'A file: reference reads one secret value; point it at the file of a single key.',
    });
  }
  const value = trimOneNewline(text);
  if (value === '') {
    throw new UserError(`Secret file "${path}" is empty (referenced as "${ref}").`, {
      code: 'secret_missing',
      hint: 'Put the secret in the file (in Kubernetes, set the key in the Secret), or remove the reference.',
    });
  }
  lastRead.set(path, digest(value));
  // Every text the process emits is scrubbed of what it resolved (core/log/secret-values.ts).
  registerSecretValue(value);
  return value;
}

/** Resolves `file:<path>` (the `ref` as written, for messages). */
export async function readFileRef(path: string, ref: string): Promise<string> {
  checkPath(path, ref);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw readProblem(path, ref, e as NodeJS.ErrnoException);
  }
  return accept(path, ref, text);
}

const FILE_REF_RE = /^file:(\/[A-Za-z0-9_.\-/]+)$/;

/** The paths of every `file:` reference anywhere in a value (a backend block, say). */
export function fileRefPaths(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    const m = FILE_REF_RE.exec(value);
    if (m) out.add(m[1]!);
  } else if (Array.isArray(value)) for (const v of value) fileRefPaths(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) fileRefPaths(v, out);
  return out;
}

/**
 * Whether a file that `value` references now holds something other than what this process last
 * resolved from it (or cannot be read any more, so resolving again reports why). Files never read
 * yet are not "changed": whatever uses them has not resolved them.
 */
export function fileRefsChanged(value: unknown): boolean {
  for (const path of fileRefPaths(value)) {
    const before = lastRead.get(path);
    if (before === undefined) continue;
    let now: string | undefined;
    try {
      now = digest(trimOneNewline(readFileSync(path, 'utf8')));
    } catch {
      now = undefined;
    }
    if (now !== before) return true;
  }
  return false;
}

/** Tests only: forget what was read. */
export function clearFileRefs(): void {
  lastRead.clear();
}
