import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configDir } from '../config/paths.js';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import { withFileLock } from '../config/lock.js';
import { atomicWriteFile } from './atomic.js';
import { FileSecretStore } from './file-store.js';
import { KeychainStore } from './keychain.js';
import type { SecretStore } from './resolve.js';

export const WRITABLE_STORES = ['keychain', 'file'] as const;
export type WritableStore = (typeof WRITABLE_STORES)[number];
export type SecretKind = 'secret' | 'cf-access-token';

export const INDEX_FILE = 'secrets-index.json';

/** What Gatehouse remembers about a stored secret. Never the value. */
export interface IndexEntry {
  store: WritableStore;
  kind: SecretKind;
  createdAt: string;
  updatedAt: string;
  /** Non-secret facts shown by list commands (a token's team, a masked client id). */
  meta?: Record<string, string>;
}

export interface SecretInfo extends IndexEntry {
  name: string;
}

interface IndexShape {
  version: 1;
  defaultStore?: WritableStore;
  entries: Record<string, IndexEntry>;
}

export interface SecretManagerOptions {
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** Injected backends, for tests; by default the OS keychain and the 0600 file in `dir`. */
  keychain?: SecretStore;
  file?: SecretStore;
}

export interface SetResult {
  info: SecretInfo;
  replaced: boolean;
  /** Things the person should know, e.g. an old copy that could not be removed. Never values. */
  warnings: string[];
}

/**
 * The secret store Gatehouse hands around: an index of names (store, last update, never values)
 * in front of the keychain and file backends. The keychain cannot always enumerate, so the index
 * is what `secrets list` shows. A failed backend write leaves the index and the old value as they
 * were.
 */
export class SecretManager implements SecretStore {
  readonly kind = 'indexed' as const;
  readonly dir: string;
  readonly indexPath: string;
  private readonly env: NodeJS.ProcessEnv;
  private keychain?: SecretStore;
  private file?: SecretStore;

  constructor(opts: SecretManagerOptions = {}) {
    this.env = opts.env ?? process.env;
    this.dir = opts.dir ?? configDir(this.env);
    this.indexPath = join(this.dir, INDEX_FILE);
    this.keychain = opts.keychain;
    this.file = opts.file;
  }

  /** The store a write goes to without `--store`: GATEHOUSE_SECRET_STORE, then the index's default, then the keychain. */
  async defaultStore(): Promise<WritableStore> {
    const fromEnv = this.env.GATEHOUSE_SECRET_STORE;
    if (fromEnv) return parseStore(fromEnv, 'GATEHOUSE_SECRET_STORE');
    const index = await this.readIndex();
    return index.defaultStore ?? 'keychain';
  }

  async setDefaultStore(store: WritableStore): Promise<void> {
    await this.updateIndex((index) => {
      index.defaultStore = store;
    });
  }

  backend(store: WritableStore): SecretStore {
    if (store === 'keychain') return (this.keychain ??= new KeychainStore());
    return (this.file ??= new FileSecretStore(this.dir));
  }

  async info(name: string): Promise<SecretInfo | undefined> {
    const index = await this.readIndex();
    const e = index.entries[name];
    return e ? { name, ...e } : undefined;
  }

  async get(name: string): Promise<string | undefined> {
    const entry = await this.info(name);
    if (!entry) return undefined;
    return this.backend(entry.store).get(name);
  }

  async set(name: string, value: string): Promise<void> {
    await this.put(name, value);
  }

  /** Stores a value and records it in the index; `set` with the details commands report. */
  async put(name: string, value: string, opts: { store?: WritableStore; kind?: SecretKind; meta?: Record<string, string> } = {}): Promise<SetResult> {
    if (value.length === 0) {
      throw new UserError(`Refusing to store an empty value for "${name}".`, { code: 'secret_empty', exit: ExitCode.usage, hint: 'Provide a non-empty value.' });
    }
    const store = opts.store ?? (await this.defaultStore());
    const prev = await this.info(name);
    await this.backend(store).set(name, value);
    const now = new Date().toISOString();
    const info: SecretInfo = {
      name,
      store,
      kind: opts.kind ?? prev?.kind ?? 'secret',
      createdAt: prev?.createdAt ?? now,
      updatedAt: now,
      ...(opts.meta ?? prev?.meta ? { meta: opts.meta ?? prev!.meta } : {}),
    };
    const { name: _n, ...entry } = info;
    await this.updateIndex((index) => {
      // createdAt from the entry as it is now under the lock, in case another writer got there first.
      index.entries[name] = { ...entry, createdAt: index.entries[name]?.createdAt ?? entry.createdAt };
    });
    const warnings: string[] = [];
    if (prev && prev.store !== store) {
      try {
        await this.backend(prev.store).remove(name);
      } catch (e) {
        warnings.push(`The old copy of "${name}" in the ${prev.store} store could not be removed (${firstLine(errorMessage(e))}); remove it by hand once that store is reachable.`);
      }
    }
    return { info, replaced: prev !== undefined, warnings };
  }

  async remove(name: string): Promise<boolean> {
    const entry = await this.info(name);
    if (!entry) return false;
    // Backend first: if the keychain is unreachable nothing changes and the error says why.
    await this.backend(entry.store).remove(name);
    await this.updateIndex((index) => {
      delete index.entries[name];
    });
    return true;
  }

  async list(kind?: SecretKind): Promise<SecretInfo[]> {
    const index = await this.readIndex();
    return Object.entries(index.entries)
      .filter(([, e]) => kind === undefined || e.kind === kind)
      .map(([name, e]) => ({ name, ...e }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private async readIndex(): Promise<IndexShape> {
    let text: string;
    try {
      text = await readFile(this.indexPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: {} };
      throw new UserError(`Cannot read the secrets index ${this.indexPath}: ${(e as Error).message}`, { code: 'secret_index_unreadable', hint: 'Check its owner and permissions.' });
    }
    try {
      const data = JSON.parse(text) as Partial<IndexShape>;
      if (!data || typeof data.entries !== 'object' || data.entries === null) throw new Error('no "entries" object');
      return { version: 1, ...(data.defaultStore ? { defaultStore: parseStore(data.defaultStore, this.indexPath) } : {}), entries: data.entries };
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`The secrets index ${this.indexPath} is not valid: ${(e as Error).message}`, {
        code: 'secret_index_invalid',
        hint: 'It holds names only (no values): repair it, or move it aside and set the secrets again.',
      });
    }
  }

  /** Read-modify-write of the index under its cross-process lock, so concurrent `secrets set` lose nothing. */
  private async updateIndex(change: (index: IndexShape) => void): Promise<void> {
    await withFileLock(this.indexPath, async () => {
      const index = await this.readIndex();
      change(index);
      await atomicWriteFile(this.indexPath, `${JSON.stringify(index, null, 2)}\n`, 0o600);
    });
  }
}

export function parseStore(value: string, source = '--store'): WritableStore {
  if ((WRITABLE_STORES as readonly string[]).includes(value)) return value as WritableStore;
  throw new UserError(`Unknown secret store "${value}" (from ${source}).`, {
    code: 'secret_store_unknown',
    exit: ExitCode.usage,
    hint: 'Use "keychain" (the OS keychain) or "file" (a 0600 JSON file in the config dir). For environment variables, reference them as env:NAME in the config.',
  });
}

/** The store the gateway and commands use, rooted at the config dir. */
export function openSecrets(opts: SecretManagerOptions = {}): SecretManager {
  return new SecretManager(opts);
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
