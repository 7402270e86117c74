import { ExitCode, UserError } from '../errors.js';
import type { SecretStore } from './resolve.js';

/** `env:NAME` references: read-only, the environment that runs Gatehouse owns the values. */
export class EnvSecretStore implements SecretStore {
  readonly kind = 'env' as const;
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async get(name: string): Promise<string | undefined> {
    return this.env[name];
  }

  async set(name: string): Promise<void> {
    throw readOnly(name);
  }

  async remove(name: string): Promise<boolean> {
    throw readOnly(name);
  }

  async list(): Promise<Array<{ name: string }>> {
    return [];
  }
}

function readOnly(name: string): UserError {
  return new UserError(`Environment references are read-only; Gatehouse cannot change ${name}.`, {
    code: 'secret_store_read_only',
    exit: ExitCode.usage,
    hint: 'Set the variable in the environment that runs Gatehouse, or store the value with `gatehouse secrets set <name> --store keychain|file`.',
  });
}
