/**
 * The task ids the gateway hands out (Tasks extension, io.modelcontextprotocol/tasks): the backend
 * that minted the task, the backend's own task id and a fingerprint of the identity that created it,
 * under an HMAC. Nothing is stored per task, so a restarted gateway (or another replica with the
 * same key) routes `tasks/get`, `tasks/update` and `tasks/cancel` just the same.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'ght1.';
/** The key file in the state directory when no cluster secret is configured. */
export const TASK_KEY_FILE = 'task-key';
const LABEL = 'gatehouse tasks task-id v1';
/** Bounds what a client can make us parse; a real id is far shorter. */
const MAX_ID = 2048;

export interface TaskRef {
  /** The backend (upstream) name. */
  backend: string;
  /** The backend's own task id. */
  task: string;
  /** A keyed fingerprint of the creating identity (never the identity itself). */
  owner: string;
  /** The exposed tool the task came from (access is checked against it again). */
  tool: string;
}

/**
 * The key material, in order: `gateway.cluster.secret` (every replica seals alike), else a random key
 * kept 0600 in the state directory (so ids survive a restart), else a per-process key (embedded use).
 */
export function taskKey(secret: string | undefined, stateDir: string | undefined): Buffer {
  const ikm = secret ? Buffer.from(secret, 'utf8') : stateDir ? stateKey(stateDir) : randomBytes(32);
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), LABEL, 32));
}

function stateKey(dir: string): Buffer {
  const file = join(dir, TASK_KEY_FILE);
  const existing = readKey(file);
  if (existing) return existing;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    // `wx`: when two processes race, one writes and both read the winner's key.
    writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`Cannot write the task key ${file}: ${(e as Error).message}. Make the state directory writable, or set gateway.cluster.secret.`);
  }
  chmodSync(file, 0o600);
  const key = readKey(file);
  if (!key) throw new Error(`The task key ${file} is not 64 hex digits. Delete it (task ids handed out before become unknown) and restart.`);
  return key;
}

function readKey(file: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

export class TaskIds {
  constructor(private readonly key: Buffer) {}

  /** The fingerprint of an identity key (see approvals/seal.ts identityKey). */
  owner(identityKey: string): string {
    return this.mac(`owner\n${identityKey}`).subarray(0, 12).toString('base64url');
  }

  seal(ref: TaskRef): string {
    const body = Buffer.from(JSON.stringify([ref.backend, ref.task, ref.owner, ref.tool]), 'utf8').toString('base64url');
    return `${PREFIX}${body}.${this.tag(body)}`;
  }

  /** The reference inside a gateway task id; undefined when it is not one of ours or was changed. */
  open(id: unknown): TaskRef | undefined {
    if (typeof id !== 'string' || id.length > MAX_ID || !id.startsWith(PREFIX)) return undefined;
    const [body, tag, extra] = id.slice(PREFIX.length).split('.');
    if (!body || !tag || extra !== undefined) return undefined;
    const want = Buffer.from(this.tag(body), 'base64url');
    const got = Buffer.from(tag, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    try {
      const parts = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
      if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === 'string')) return undefined;
      const [backend, task, owner, tool] = parts as [string, string, string, string];
      return { backend, task, owner, tool };
    } catch {
      return undefined;
    }
  }

  private tag(body: string): string {
    return this.mac(`task\n${body}`).subarray(0, 18).toString('base64url');
  }

  private mac(data: string): Buffer {
    return createHmac('sha256', this.key).update(data).digest();
  }
}
