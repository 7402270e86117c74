import { UserError } from '../errors.js';
import type { BackendConfig, GatehouseConfig } from '../config/schema.js';
import { unknownBackend, type ConfigStore } from '../config/store.js';
import { formatCommandLine } from './command-line.js';
import { assertNoLiteralSecrets, redactBackend } from './sensitive.js';

export type BackendType = BackendConfig['type'];

/** One row of `backends list`, and the head of `backends show`. */
export interface BackendSummary {
  name: string;
  type: BackendType;
  /** The command line (stdio), URL (http) or base URL (rest). */
  target: string;
  /** The effective tool prefix: the configured one, else the backend name. */
  prefix: string;
  enabled: boolean;
  state: 'enabled' | 'disabled';
  transport?: string;
}

export interface BackendDetail extends BackendSummary {
  /** The stored settings; secrets appear only as their references. */
  config: BackendConfig;
}

export function backendTarget(b: BackendConfig): string {
  switch (b.type) {
    case 'stdio':
      return formatCommandLine(b.command, b.args);
    case 'http':
      return b.url;
    case 'rest':
      return b.baseUrl;
  }
}

export function summarizeBackend(name: string, b: BackendConfig): BackendSummary {
  const enabled = !b.disabled;
  return {
    name,
    type: b.type,
    // The target is shown by list and show, so a hand-edited secret in args or a URL is hidden there too.
    target: backendTarget(redactBackend(name, b)),
    prefix: b.prefix ?? name,
    enabled,
    state: enabled ? 'enabled' : 'disabled',
    ...(b.type === 'http' ? { transport: b.transport ?? 'auto' } : {}),
  };
}

/** Sorted by name so output is stable whatever order the file holds. */
export function listBackends(config: GatehouseConfig): BackendSummary[] {
  return Object.keys(config.backends ?? {})
    .sort((a, b) => a.localeCompare(b))
    .map((name) => summarizeBackend(name, config.backends[name]!));
}

export function describeBackend(name: string, b: BackendConfig): BackendDetail {
  return { ...summarizeBackend(name, b), config: redactBackend(name, b) };
}

export function findBackend(config: GatehouseConfig, name: string): BackendConfig {
  const b = config.backends?.[name];
  if (!b) throw unknownBackend(name, Object.keys(config.backends ?? {}));
  return b;
}

/**
 * Stores a backend. An existing name is an error unless `force`. The whole config is validated
 * before the single atomic write, so a failure leaves the store untouched.
 */
export function addBackend(store: ConfigStore, name: string, backend: BackendConfig, opts: { force?: boolean } = {}): { replaced: boolean } {
  let replaced = false;
  store.update((c) => {
    if (c.backends[name]) {
      if (!opts.force) {
        throw new UserError(`A backend named "${name}" already exists.`, {
          code: 'backend_exists',
          hint: `Pass --force to replace it, or pick another name. \`gatehouse backends show ${name}\` shows its settings.`,
          details: { name },
        });
      }
      replaced = true;
    }
    c.backends[name] = backend;
    assertNoLiteralSecrets({ ...c, backends: { [name]: backend } }, store.path);
  });
  return { replaced };
}

export function removeBackend(store: ConfigStore, name: string): BackendConfig {
  let removed: BackendConfig | undefined;
  store.update((c) => {
    removed = findBackend(c, name);
    delete c.backends[name];
  });
  return removed!;
}

/** Idempotent: `changed` is false when the backend was already in that state. */
export function setBackendEnabled(store: ConfigStore, name: string, enabled: boolean): { changed: boolean } {
  const current = findBackend(store.read(), name);
  if (!current.disabled === enabled) return { changed: false };
  store.update((c) => {
    const b = findBackend(c, name);
    // Enabled is the default, so enabling removes the key rather than writing `disabled: false`.
    if (enabled) delete b.disabled;
    else b.disabled = true;
  });
  return { changed: true };
}
