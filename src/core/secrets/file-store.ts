import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { withFileLock } from '../config/lock.js';
import { atomicWriteFile } from './atomic.js';
import type { SecretStore } from './resolve.js';

export const SECRETS_FILE = 'secrets.json';

interface FileShape {
  version: 1;
  secrets: Record<string, { value: string; updatedAt: string }>;
}

/**
 * Secrets in one JSON file, mode 0600, in the config dir: for headless hosts and containers where
 * no keychain runs. Every change is a read-modify-write under a cross-process lock, and replaces
 * the file atomically (through a symlink, at its target).
 */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file' as const;
  readonly path: string;

  constructor(dir: string) {
    this.path = join(dir, SECRETS_FILE);
  }

  private async read(): Promise<FileShape> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw new UserError(`Cannot read the secrets file ${this.path}: ${(e as Error).message}`, {
        code: 'secret_file_unreadable',
        hint: 'Check its owner and permissions (it should be mode 0600 and owned by you).',
      });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // The parser's message can quote file content, which is secret; keep it out.
      throw new UserError(`The secrets file ${this.path} is not valid JSON.`, {
        code: 'secret_file_invalid',
        hint: 'Repair it by hand or move it aside and set the secrets again with `gatehouse secrets set`.',
      });
    }
    const d = data as Partial<FileShape>;
    if (!d || typeof d !== 'object' || typeof d.secrets !== 'object' || d.secrets === null) {
      throw new UserError(`The secrets file ${this.path} does not look like a Gatehouse secrets file (no "secrets" object).`, {
        code: 'secret_file_invalid',
        hint: 'Repair it by hand or move it aside and set the secrets again with `gatehouse secrets set`.',
      });
    }
    return { version: 1, secrets: d.secrets };
  }

  private async write(data: FileShape): Promise<void> {
    await atomicWriteFile(this.path, `${JSON.stringify(data, null, 2)}\n`, 0o600);
  }

  async get(name: string): Promise<string | undefined> {
    const data = await this.read();
    return Object.hasOwn(data.secrets, name) ? data.secrets[name]!.value : undefined;
  }

  async set(name: string, value: string): Promise<void> {
    await withFileLock(this.path, async () => {
      const data = await this.read();
      data.secrets[name] = { value, updatedAt: new Date().toISOString() };
      await this.write(data);
    });
  }

  async remove(name: string): Promise<boolean> {
    return withFileLock(this.path, async () => {
      const data = await this.read();
      if (!Object.hasOwn(data.secrets, name)) return false;
      delete data.secrets[name];
      await this.write(data);
      return true;
    });
  }

  async list(): Promise<Array<{ name: string; updatedAt?: string }>> {
    const data = await this.read();
    return Object.entries(data.secrets).map(([name, v]) => ({ name, updatedAt: v.updatedAt }));
  }
}
