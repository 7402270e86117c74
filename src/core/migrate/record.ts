/**
 * What a migration leaves behind for `clients install`: the URLs of the gateway being left
 * (`migrate map --old-url`), so a client entry that still names one can be repointed at Gatehouse.
 * Kept in the config directory as migration.json (0600); URLs only, never a credential.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { atomicWriteFile } from '../secrets/atomic.js';

export const MIGRATION_RECORD = 'migration.json';

export interface MigrationRecord {
  /** The old gateway's endpoints, as given. */
  oldUrls: string[];
  /** The map file written with them, when there was one. */
  map?: string;
  recordedAt: string;
}

/** An old gateway URL, checked: http(s), and no user, password or token in it (it is stored). */
export function checkOldUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UserError(`--old-url "${raw}" is not a URL.`, { code: 'usage', exit: ExitCode.usage, hint: 'Give the old gateway\'s endpoint as clients name it, e.g. --old-url https://forge.example.dev/servers/1a2b/mcp' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UserError(`--old-url "${raw}" is not an http(s) URL.`, { code: 'usage', exit: ExitCode.usage, hint: 'Give the endpoint clients connect to (http:// or https://).' });
  if (u.username || u.password || [...u.searchParams.keys()].some((k) => /token|key|secret|password|auth|sig/i.test(k))) {
    throw new UserError('--old-url carries a credential (a user, password or token parameter); Gatehouse stores this URL, so it must not.', {
      code: 'url_has_credentials',
      exit: ExitCode.usage,
      hint: 'Drop the credential: only the endpoint is needed to recognise client entries that still use it.',
    });
  }
  return raw;
}

export async function writeMigrationRecord(dir: string, record: Omit<MigrationRecord, 'recordedAt'>, now = new Date()): Promise<string> {
  const file = join(dir, MIGRATION_RECORD);
  await atomicWriteFile(file, `${JSON.stringify({ ...record, recordedAt: now.toISOString() }, null, 2)}\n`, 0o600);
  return file;
}

/** The record, or undefined when no migration recorded old URLs here (or the file is unreadable). */
export async function readMigrationRecord(dir: string): Promise<MigrationRecord | undefined> {
  try {
    const doc = JSON.parse(await readFile(join(dir, MIGRATION_RECORD), 'utf8')) as Partial<MigrationRecord>;
    const oldUrls = Array.isArray(doc.oldUrls) ? doc.oldUrls.filter((u): u is string => typeof u === 'string') : [];
    return oldUrls.length ? { oldUrls, ...(typeof doc.map === 'string' ? { map: doc.map } : {}), recordedAt: String(doc.recordedAt ?? '') } : undefined;
  } catch {
    return undefined;
  }
}
