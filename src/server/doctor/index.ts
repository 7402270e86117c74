import { loadCfAccessToken } from '../../core/cfaccess/tokens.js';
import { checkReferences, configReferences } from '../../core/config/references.js';
import type { GatehouseConfig } from '../../core/config/schema.js';
import { errorMessage, isUserError } from '../../core/errors.js';
import type { SecretManager } from '../../core/secrets/manager.js';
import type { SecretStore } from '../../core/secrets/resolve.js';
import { backendChecks } from './backend-checks.js';
import { clientsCheck, keychainCheck, portCheck, tlsChecks } from './local-checks.js';
import type { DoctorCheck, DoctorReport } from './types.js';

export type { DoctorCheck, DoctorReport } from './types.js';

export interface DoctorOptions {
  /** Where the config is, for messages. */
  source: string;
  /** Reads and validates the config; throws the load error (a UserError naming file, line and fix). */
  load: () => GatehouseConfig;
  dir: string;
  secrets: SecretManager;
  baseDir: string;
  /** Injected for tests; default the OS keychain. */
  keychain?: SecretStore & { probe?: () => Promise<void> };
  port?: number;
  clientPaths?: { home?: string; cwd?: string; env?: NodeJS.ProcessEnv };
  env?: NodeJS.ProcessEnv;
}

/** Every `secret:` and `env:` reference exists and its value can be read (the value itself is not kept or shown). */
async function referenceCheck(config: GatehouseConfig, opts: DoctorOptions): Promise<DoctorCheck> {
  const env = opts.env ?? process.env;
  const problems = (await checkReferences(config, opts.secrets, env)).filter((p) => p.ref?.kind !== 'cf-access-token');
  const { refs } = configReferences(config);
  const values = refs.filter((r) => r.kind !== 'cf-access-token');
  const title = 'secret: and env: references';
  // Names exist in the index; now read each stored value once, through the store that holds it.
  const unreadable: string[] = [];
  let fix: string | undefined;
  for (const name of new Set(values.filter((r) => r.kind === 'secret' && !problems.some((p) => p.ref === r)).map((r) => r.name))) {
    try {
      if ((await opts.secrets.get(name)) === undefined) unreadable.push(`secret:${name} has no value in its store`);
    } catch (e) {
      unreadable.push(`secret:${name}: ${errorMessage(e)}`);
      fix ??= isUserError(e) ? e.hint : undefined;
    }
  }
  // An unset env var fails here: doctor checks the environment `serve` will run in, this one.
  const lines = [...problems.map((p) => p.message), ...unreadable];
  if (lines.length) return { id: 'references', title, status: 'fail', detail: lines.join('; '), fix: fix ?? problems.map((p) => p.hint).filter((h, i, all) => all.indexOf(h) === i).join(' ') };
  if (values.length === 0) return { id: 'references', title, status: 'pass', detail: 'the config references no secrets or env vars' };
  return { id: 'references', title, status: 'pass', detail: `${values.length} reference${values.length === 1 ? '' : 's'} resolve` };
}

/** Every Cloudflare Access token a backend names is stored, whole, and readable. */
async function tokenCheck(config: GatehouseConfig, opts: DoctorOptions): Promise<DoctorCheck> {
  const env = opts.env ?? process.env;
  const names = [...new Set(configReferences(config).refs.filter((r) => r.kind === 'cf-access-token').map((r) => r.name))];
  const title = 'Cloudflare Access tokens';
  if (names.length === 0) return { id: 'cf-access-tokens', title, status: 'pass', detail: 'no backend uses one' };
  const unknown = (await checkReferences(config, opts.secrets, env)).filter((p) => p.ref?.kind === 'cf-access-token');
  const lines = unknown.map((p) => p.message);
  let fix: string | undefined = unknown[0]?.hint;
  for (const name of names.filter((n) => !unknown.some((p) => p.ref?.name === n))) {
    try {
      await loadCfAccessToken(name, opts.secrets, env);
    } catch (e) {
      lines.push(`${name}: ${errorMessage(e)}`);
      fix ??= isUserError(e) ? e.hint : undefined;
    }
  }
  if (lines.length) return { id: 'cf-access-tokens', title, status: 'fail', detail: lines.join('; '), fix };
  return { id: 'cf-access-tokens', title, status: 'pass', detail: `stored: ${names.join(', ')}` };
}

/**
 * `gatehouse doctor`: the setup checked before it is served. The config comes first; when it does
 * not load nothing else can be judged, so the rest is skipped with that reason.
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  let config: GatehouseConfig | undefined;
  try {
    config = opts.load();
    const n = Object.keys(config.backends).length;
    checks.push({ id: 'config', title: 'config file', status: 'pass', detail: `${opts.source} is valid: ${n} backend${n === 1 ? '' : 's'}` });
  } catch (e) {
    checks.push({ id: 'config', title: 'config file', status: 'fail', detail: errorMessage(e), ...(isUserError(e) && e.hint ? { fix: e.hint } : {}) });
  }
  if (config) {
    const [refs, tokens, keychain, port, tls, clients] = await Promise.all([
      referenceCheck(config, opts),
      tokenCheck(config, opts),
      keychainCheck(opts.secrets, opts.keychain),
      portCheck(config, opts.dir, opts.port),
      tlsChecks(config, opts.baseDir),
      clientsCheck(config, opts.clientPaths),
    ]);
    checks.push(refs, tokens, keychain, port, ...tls);
    checks.push(...(await backendChecks(config, { secrets: opts.secrets, baseDir: opts.baseDir })));
    checks.push(clients);
  } else {
    checks.push({ id: 'rest', title: 'everything else', status: 'skip', detail: 'the config does not load, so nothing in it can be checked' });
  }
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) counts[c.status]++;
  return { ok: counts.fail === 0, config: opts.source, checks, counts };
}
