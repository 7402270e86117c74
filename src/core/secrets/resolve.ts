import { UserError } from '../errors.js';
import { registerSecretValue } from '../log/secret-values.js';
import { readFileRef } from './file-ref.js';
import { CF_ACCESS_PREFIX } from './names.js';

/**
 * A place secrets live. Implementations: keychain, file (0600), env (read-only), and `indexed`
 * (SecretManager: the index in front of keychain and file, which is what the gateway gets).
 */
export interface SecretStore {
  readonly kind: 'keychain' | 'file' | 'env' | 'indexed';
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  remove(name: string): Promise<boolean>;
  list(): Promise<Array<{ name: string; updatedAt?: string }>>;
}

/** `secret:<name>` (SecretStore), `env:<VAR>` (environment), `file:/path` (a mounted file, core/secrets/file-ref.ts). */
export const SECRET_REF_RE = /^(secret|env|file):([A-Za-z0-9_.\-/]+)$/;

export function isSecretRef(value: string): boolean {
  return SECRET_REF_RE.test(value);
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  /** Needed only for `secret:` references. */
  store?: SecretStore;
}

/**
 * Resolves a config value: `env:NAME` from the environment, `secret:name` from the SecretStore,
 * `file:/path` from a mounted file, anything else is a literal. Values are resolved at connect time and only go into the outbound
 * request that needs them.
 */
export async function resolveValue(value: string, opts: ResolveOptions = {}): Promise<string> {
  const m = SECRET_REF_RE.exec(value);
  if (!m) return value;
  const [, kind, name] = m;
  if (kind === 'file') return readFileRef(name!, value);
  if (kind === 'env') {
    const v = (opts.env ?? process.env)[name!];
    if (v === undefined) {
      throw new UserError(`Environment variable ${name} is not set (referenced as "${value}").`, {
        code: 'secret_missing',
        hint: `Export ${name} in the environment that runs Gatehouse, or store it with \`gatehouse secrets set ${name.toLowerCase()}\` and reference it as secret:${name.toLowerCase()}.`,
      });
    }
    registerSecretValue(v);
    return v;
  }
  if (name!.startsWith(CF_ACCESS_PREFIX)) {
    throw new UserError(`"${value}" names a Cloudflare Access token, which cannot be used as a plain value.`, {
      code: 'secret_ref_reserved',
      hint: `Attach the token to the backend with \`cfAccessToken: ${name!.slice(CF_ACCESS_PREFIX.length)}\` instead; Gatehouse then adds both CF-Access headers itself.`,
    });
  }
  if (!opts.store) {
    throw new UserError(`Secret reference "${value}" needs a secret store, and none is configured here.`, {
      code: 'secret_store_missing',
      hint: 'Use an env: reference, or set the secret with `gatehouse secrets set`.',
    });
  }
  const v = await opts.store.get(name!);
  if (v === undefined) {
    const where = opts.store.kind === 'indexed' ? 'stored' : `in the ${opts.store.kind} store`;
    throw new UserError(`Secret "${name}" is not ${where} (referenced as "${value}").`, {
      code: 'secret_missing',
      hint: `Set it with \`gatehouse secrets set ${name}\`.`,
    });
  }
  // Every text the process emits is scrubbed of what it resolved (core/log/secret-values.ts).
  registerSecretValue(v);
  return v;
}

export async function resolveRecord(record: Record<string, string> | undefined, opts: ResolveOptions = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) out[k] = await resolveValue(v, opts);
  return out;
}
