import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { UserError } from '../../core/errors.js';
import { registerSecretValue } from '../../core/log/secret-values.js';
import { isSecretRef, resolveValue, type SecretStore } from '../../core/secrets/resolve.js';
import type { PlanStore } from './store.js';

const PG_URL = /^postgres(?:ql)?:\/\//i;
/** `file:/path`: a mounted secret (a Kubernetes Secret volume) holding the connection string. */
const FILE_REF = /^file:(.+)$/;

/** Whether `approvals.store` names a PostgreSQL server, directly or through a reference. */
export function isStoreReference(store: string): boolean {
  return PG_URL.test(store) || isSecretRef(store) || FILE_REF.test(store);
}

export interface OpenStoreOptions {
  secrets?: SecretStore;
  /** Folder a relative `file:` reference is read from (the config file's). */
  baseDir?: string;
  now: Date;
}

/**
 * Opens the store `approvals.store` names: a postgres:// URL (or a secret:, env: or file: reference
 * to one) opens PostgreSQL, anything else is a SQLite file. Plans a dead gateway left executing
 * are failed before the store is used, never run again.
 */
export async function openPlanStore(location: string, opts: OpenStoreOptions): Promise<PlanStore> {
  if (isStoreReference(location)) {
    const url = await resolveStoreUrl(location, opts);
    const { PgPlanStore } = await import('./pg-store.js');
    const s = await PgPlanStore.open(url);
    await s.interruptExecuting(opts.now);
    return s;
  }
  const { SqlitePlanStore } = await import('./sqlite-store.js');
  const s = new SqlitePlanStore(location);
  s.interruptExecuting(opts.now);
  return s;
}

async function resolveStoreUrl(location: string, opts: OpenStoreOptions): Promise<string> {
  let url: string;
  const file = FILE_REF.exec(location);
  if (file) {
    const path = resolvePath(opts.baseDir ?? process.cwd(), file[1]!);
    try {
      url = (await readFile(path, 'utf8')).trim();
    } catch (e) {
      throw new UserError(`gateway.approvals.store reads ${path}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, {
        code: 'approvals_store',
        hint: 'Mount the file holding the postgres:// connection string there, or point the reference at it.',
      });
    }
  } else if (isSecretRef(location)) {
    url = (await resolveValue(location, { store: opts.secrets })).trim();
  } else {
    url = location;
  }
  // The connection string may carry a password: nothing the process prints may show it.
  registerSecretValue(url);
  try {
    registerSecretValue(decodeURIComponent(new URL(url).password));
  } catch {
    // not a URL: refused just below
  }
  if (!PG_URL.test(url)) {
    throw new UserError(`gateway.approvals.store is "${location}", which does not resolve to a postgres:// URL.`, {
      code: 'approvals_store',
      hint: 'Store a connection string such as postgres://user:password@db:5432/gatehouse, or give a SQLite file path instead.',
    });
  }
  return url;
}
