import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { UserError, isUserError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { parseConfigText, validateConfig } from './load.js';
import { configDir } from './paths.js';
import type { BackendConfig, GatehouseConfig, GatewayConfig } from './schema.js';

export const CONFIG_FILE = 'config.json';

/**
 * The user's persistent config (backends, gateway settings), kept by conf in the config dir.
 * Every mutation validates the whole result first and writes atomically (conf writes a temp file
 * and renames it), so a failed command leaves the file as it was.
 */
export class ConfigStore {
  readonly dir: string;
  readonly path: string;
  private conf?: Conf<GatehouseConfig>;

  constructor(dir: string = configDir()) {
    this.dir = dir;
    this.path = join(dir, CONFIG_FILE);
  }

  /** Whether the store file exists yet (it is created by the first write). */
  exists(): boolean {
    return existsSync(this.path);
  }

  private open(): Conf<GatehouseConfig> {
    if (this.conf) return this.conf;
    this.check();
    this.conf = new Conf<GatehouseConfig>({
      projectName: 'gatehouse',
      cwd: this.dir,
      configName: CONFIG_FILE.replace(/\.json$/, ''),
      accessPropertiesByDotNotation: false,
      clearInvalidConfig: false,
      configFileMode: 0o600,
    });
    return this.conf;
  }

  /** conf would throw a bare SyntaxError; check first so the message names the file, the line and the fix. */
  private check(): void {
    if (!this.exists()) return;
    const text = readFileSync(this.path, 'utf8');
    try {
      JSON.parse(text);
    } catch (e) {
      throw new UserError(`The config file ${this.path} is not valid JSON: ${(e as Error).message}`, {
        code: 'config_parse',
        hint: `Repair the file by hand, or replace it from an export with \`gatehouse config import --replace <file>\`.`,
      });
    }
    parseConfigText(text, this.path);
  }

  read(): GatehouseConfig {
    return validateConfig(this.open().store, this.path);
  }

  /**
   * Replaces the whole config after validating it. A store file that is itself broken is replaced
   * too (that is how `config import --replace` repairs it), with the same atomic write.
   */
  write(next: GatehouseConfig): GatehouseConfig {
    const valid = validateConfig(next, this.path);
    let conf: Conf<GatehouseConfig>;
    try {
      conf = this.open();
    } catch (e) {
      if (!isUserError(e) || (e.code !== 'config_parse' && e.code !== 'config_invalid')) throw e;
      writeFileAtomic(this.path, JSON.stringify(valid, undefined, '\t'), { mode: 0o600, keepMode: false });
      return valid;
    }
    conf.store = valid;
    return valid;
  }

  update(mutate: (draft: GatehouseConfig) => GatehouseConfig | void): GatehouseConfig {
    const draft = structuredClone(this.read());
    const result = mutate(draft) ?? draft;
    return this.write(result);
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
}

export function unknownBackend(name: string, known: string[]): UserError {
  return new UserError(`No backend named "${name}".`, {
    code: 'backend_unknown',
    hint: known.length ? `Known backends: ${known.join(', ')}. See \`gatehouse backends list\`.` : 'No backends are registered yet. Add one with `gatehouse backends add <name> --stdio "<command>"` or `--url <url>`.',
    details: { name, known },
  });
}
