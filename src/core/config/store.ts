import { existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError, isUserError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { parseConfigDocument, validateConfig } from './load.js';
import { withFileLockSync, type LockOptions } from './lock.js';
import { configDir } from './paths.js';
import { readBoundedFileSync } from './read-file.js';
import type { BackendConfig, GatehouseConfig, GatewayConfig } from './schema.js';
import { configToYamlText, deepEqual, stripUndefined, updateYamlText } from './yaml.js';

/** The one config file, in the config dir unless --config or GATEHOUSE_CONFIG names another. */
export const CONFIG_FILE = 'gatehouse.yaml';
/** The store before gatehouse.yaml: migrated on first use, then kept as a backup. */
export const LEGACY_CONFIG_FILE = 'config.json';

export interface ConfigStoreOptions {
  /** The config file; default `<dir>/gatehouse.yaml`. */
  path?: string;
  /** One-line notes for the person (the config.json migration); commands send them to stderr. */
  onNote?: (message: string) => void;
  lock?: LockOptions;
}

/** The config file a command or the gateway uses: an explicit path, then GATEHOUSE_CONFIG, then the config dir's gatehouse.yaml. */
export function configFilePath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.GATEHOUSE_CONFIG) return resolve(env.GATEHOUSE_CONFIG);
  return join(configDir(env), CONFIG_FILE);
}

const EMPTY: GatehouseConfig = { version: 1, backends: {} };

/**
 * gatehouse.yaml as the CLI edits it. Every change is a read-modify-write under a cross-process lock
 * on the file; it validates the whole result first, keeps the file's comments, key order and
 * formatting (the edit is applied to the parsed YAML document, to the data as written, so schema
 * defaults are not spilled into the file), and replaces the file atomically, through a symlink at
 * its target. A failed command leaves the file as it was.
 */
export class ConfigStore {
  readonly dir: string;
  readonly path: string;
  readonly legacyPath: string;
  private readonly isDefaultPath: boolean;
  private readonly onNote?: (message: string) => void;
  private readonly lockOptions?: LockOptions;

  constructor(dir: string = configDir(), opts: ConfigStoreOptions = {}) {
    this.dir = dir;
    const defaultPath = join(dir, CONFIG_FILE);
    this.path = opts.path ? resolve(opts.path) : defaultPath;
    this.isDefaultPath = this.path === resolve(defaultPath);
    this.legacyPath = join(dir, LEGACY_CONFIG_FILE);
    this.onNote = opts.onNote;
    this.lockOptions = opts.lock;
  }

  /** Whether there is a config yet (gatehouse.yaml, or a config.json still to migrate). */
  exists(): boolean {
    return existsSync(this.path) || (this.isDefaultPath && existsSync(this.legacyPath));
  }

  /** The file's text as it is now, or undefined when there is none. */
  readText(): string | undefined {
    this.migrate();
    return this.readRaw();
  }

  private readRaw(): string | undefined {
    return readBoundedFileSync(this.path, { what: 'config file', sizeHint: 'Keep large REST tool lists in their own files (toolsFile).' });
  }

  read(): GatehouseConfig {
    const text = this.readText();
    if (text === undefined) return structuredClone(EMPTY);
    return parseConfigDocument(text, this.path).config;
  }

  /**
   * Replaces the whole config after validating it, keeping the comments of what stays. A file that
   * no longer parses is replaced whole (that is how `config import --replace` repairs it).
   */
  write(next: GatehouseConfig): GatehouseConfig {
    const valid = validateConfig(next, this.path);
    this.migrate();
    this.locked(() => {
      const text = this.readRaw();
      let parses = false;
      if (text !== undefined) {
        try {
          parseConfigDocument(text, this.path);
          parses = true;
        } catch (e) {
          if (!isUserError(e)) throw e;
        }
      }
      this.save(text !== undefined && parses ? updateYamlText(text, stripUndefined(next)) : configToYamlText(stripUndefined(next)));
    });
    return valid;
  }

  /**
   * Read-modify-write under the lock. `mutate` gets the config as written in the file (no defaults
   * filled in), may change it in place or return a new one, and may throw to change nothing.
   */
  update(mutate: (draft: GatehouseConfig) => GatehouseConfig | void): GatehouseConfig {
    this.migrate();
    return this.locked(() => {
      const text = this.readRaw();
      const data = text === undefined ? structuredClone(EMPTY) : (structuredClone(parseConfigDocument(text, this.path).data) as GatehouseConfig);
      data.backends ??= {};
      const before = structuredClone(data);
      const result = mutate(data) ?? data;
      const valid = validateConfig(result, this.path);
      const plain = stripUndefined(result);
      // Nothing changed: leave the file (and its mtime, which a watching gateway reacts to) alone.
      if (text !== undefined && deepEqual(plain, stripUndefined(before))) return valid;
      this.save(text === undefined ? configToYamlText(plain) : updateYamlText(text, plain));
      return valid;
    });
  }

  getBackend(name: string): BackendConfig {
    const cfg = this.read();
    const b = cfg.backends[name];
    if (!b) throw unknownBackend(name, Object.keys(cfg.backends));
    return b;
  }

  setGateway(patch: Partial<GatewayConfig>): GatehouseConfig {
    return this.update((c) => {
      c.gateway = { ...(c.gateway ?? {}), ...patch };
    });
  }

  private locked<T>(fn: () => T): T {
    return withFileLockSync(this.path, fn, this.lockOptions);
  }

  private save(text: string): void {
    // 0600 for a new file (it can name secrets and hosts); an existing file keeps the mode its owner gave it.
    writeFileAtomic(this.path, text, { mode: 0o600 });
  }

  /** config.json → gatehouse.yaml, once, under the lock so concurrent first commands migrate it once. */
  private migrate(): void {
    if (!this.isDefaultPath || existsSync(this.path) || !existsSync(this.legacyPath)) return;
    this.locked(() => {
      if (existsSync(this.path) || !existsSync(this.legacyPath)) return;
      const text = readBoundedFileSync(this.legacyPath, { what: 'config file' }) ?? '{}';
      try {
        JSON.parse(text);
      } catch (e) {
        throw new UserError(`The old config file ${this.legacyPath} is not valid JSON (${(e as Error).message}), so it cannot be moved to ${this.path}.`, {
          code: 'config_parse',
          hint: `Repair it by hand, or move it aside and start afresh (\`gatehouse config import --replace <file>\` writes ${this.path}).`,
        });
      }
      const { data } = parseConfigDocument(text, this.legacyPath);
      writeFileAtomic(this.path, configToYamlText(stripUndefined(data as GatehouseConfig)), { mode: 0o600, keepMode: false });
      const backup = freeBackupName(`${this.legacyPath}.bak`);
      renameSync(this.legacyPath, backup);
      this.onNote?.(`Note: moved the configuration from ${this.legacyPath} to ${this.path}; the old file is kept as ${backup}.`);
    });
  }
}

function freeBackupName(base: string): string {
  if (!existsSync(base)) return base;
  for (let i = 1; ; i++) if (!existsSync(`${base}.${i}`)) return `${base}.${i}`;
}

export function unknownBackend(name: string, known: string[]): UserError {
  return new UserError(`No backend named "${name}".`, {
    code: 'backend_unknown',
    hint: known.length ? `Known backends: ${known.join(', ')}. See \`gatehouse backends list\`.` : 'No backends are registered yet. Add one with `gatehouse backends add <name> --stdio "<command>"` or `--url <url>`.',
    details: { name, known },
  });
}
