import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { closest } from '../cli/suggest.js';
import { UserError } from '../errors.js';
import { tokenKey } from '../cfaccess/tokens.js';
import type { GatehouseConfig } from './schema.js';
import { SECRET_REF_RE } from '../secrets/resolve.js';
import { CF_ACCESS_PREFIX } from '../secrets/names.js';
import type { SecretManager } from '../secrets/manager.js';

/**
 * Every credential a config refers to, by name: `secret:`, `env:` and `file:` values, and Cloudflare Access
 * token names. `config validate` and `doctor` check them before anything is served, so a typo is
 * an error at the prompt rather than a backend that fails in the serve log.
 */
export interface Reference {
  backend: string;
  /** Where in the file, e.g. backends.argocd.headers.Authorization. */
  path: string;
  kind: 'secret' | 'env' | 'file' | 'cf-access-token';
  /** The secret name, env var or token name (never a value). */
  name: string;
}

export interface ReferenceProblem {
  ref?: Reference;
  path: string;
  severity: 'error' | 'warning';
  message: string;
  hint: string;
}

/** A value meant as a reference that is not one (a wrong prefix, a space, an unsupported kind). */
const NEAR_REF_RE = /^\s*(secrets?|env|file|keychain|vault)\s*:/i;

export function configReferences(config: GatehouseConfig): { refs: Reference[]; malformed: ReferenceProblem[] } {
  const refs: Reference[] = [];
  const malformed: ReferenceProblem[] = [];
  const value = (backend: string, path: string, v: string | undefined) => {
    if (v === undefined) return;
    const m = SECRET_REF_RE.exec(v);
    if (m) {
      refs.push({ backend, path, kind: m[1] as 'secret' | 'env' | 'file', name: m[2]! });
      return;
    }
    const near = NEAR_REF_RE.exec(v);
    if (near) {
      const kind = near[1]!.toLowerCase();
      malformed.push({
        path,
        severity: 'error',
        message: `${path} looks like a reference ("${near[0].trim()}…") but is not one, so it would be sent literally`,
        hint: 'Write secret:<name> (a name stored with `gatehouse secrets set <name>`), env:<VAR> or file:/absolute/path; names use letters, digits, ".", "_", "-" or "/".',
      });
    }
  };
  const token = (backend: string, path: string, name: string | undefined) => {
    if (name === undefined) return;
    if (/^env:/.test(name)) refs.push({ backend, path, kind: 'env', name: `${name.slice(4)}_CLIENT_ID` }, { backend, path, kind: 'env', name: `${name.slice(4)}_CLIENT_SECRET` });
    else refs.push({ backend, path, kind: 'cf-access-token', name });
  };
  for (const [name, b] of Object.entries(config.backends)) {
    const at = `backends.${name}`;
    if (b.type === 'stdio') for (const [k, v] of Object.entries(b.env ?? {})) value(name, `${at}.env.${k}`, v);
    if (b.type === 'http' || b.type === 'rest') {
      for (const [k, v] of Object.entries(b.headers ?? {})) value(name, `${at}.headers.${k}`, v);
      token(name, `${at}.cfAccessToken`, b.cfAccessToken);
    }
    if (b.type === 'rest' && b.auth) {
      const a = b.auth;
      if (a.type === 'bearer') value(name, `${at}.auth.token`, a.token);
      else if (a.type === 'header') value(name, `${at}.auth.value`, a.value);
      else {
        token(name, `${at}.auth.token`, a.token);
        value(name, `${at}.auth.clientId`, a.clientId);
        value(name, `${at}.auth.clientSecret`, a.clientSecret);
      }
    }
  }
  return { refs, malformed };
}

/**
 * Checks every reference against what exists, without reading a single secret value: stored names
 * come from the secrets index (names only), env vars from `env`. Unknown secrets and tokens are
 * errors (with the nearest known name); unset env vars are warnings, since the serving environment
 * may set them.
 */
export async function checkReferences(config: GatehouseConfig, secrets: SecretManager, env: NodeJS.ProcessEnv = process.env): Promise<ReferenceProblem[]> {
  const { refs, malformed } = configReferences(config);
  const problems = [...malformed];
  if (refs.length === 0) return problems;
  const stored = await secrets.list();
  const secretNames = stored.filter((s) => s.kind === 'secret').map((s) => s.name);
  const tokenNames = stored.filter((s) => s.kind === 'cf-access-token').map((s) => s.name.slice(CF_ACCESS_PREFIX.length));
  for (const ref of refs) {
    if (ref.kind === 'env') {
      if (env[ref.name] === undefined) {
        problems.push({ ref, path: ref.path, severity: 'warning', message: `${ref.path}: environment variable ${ref.name} is not set here`, hint: `Export ${ref.name} where \`gatehouse serve\` runs, or store the value with \`gatehouse secrets set <name>\` and use secret:<name>.` });
      }
    } else if (ref.kind === 'file') {
      // Only whether it is there: the value is read where the gateway serves (a mounted Secret, say).
      if (!isAbsolute(ref.name)) {
        problems.push({ ref, path: ref.path, severity: 'error', message: `${ref.path}: file:${ref.name} is not an absolute path`, hint: 'Write file:/absolute/path, e.g. file:/var/run/secrets/gatehouse/argocd-token.' });
      } else if (!existsSync(ref.name)) {
        problems.push({ ref, path: ref.path, severity: 'warning', message: `${ref.path}: file:${ref.name} does not exist here`, hint: 'Mount or create it where `gatehouse serve` runs (a Kubernetes Secret volume, say); the gateway reads it at start and on every reload.' });
      }
    } else if (ref.kind === 'secret') {
      if (ref.name.startsWith(CF_ACCESS_PREFIX)) {
        problems.push({ ref, path: ref.path, severity: 'error', message: `${ref.path}: secret:${ref.name} names a Cloudflare Access token, which cannot be used as a plain value`, hint: `Use cfAccessToken: ${ref.name.slice(CF_ACCESS_PREFIX.length)} on the backend instead.` });
      } else if (!secretNames.includes(ref.name)) {
        const near = closest(ref.name, secretNames);
        problems.push({
          ref,
          path: ref.path,
          severity: 'error',
          message: `${ref.path}: secret:${ref.name} is not stored${near ? ` (did you mean secret:${near}?)` : ''}`,
          hint: `Store it with \`gatehouse secrets set ${ref.name}\`${secretNames.length ? `, or fix the name (stored: ${secretNames.join(', ')})` : ''}.`,
        });
      }
    } else if (!tokenNames.includes(ref.name) && !stored.some((s) => s.name === tokenKey(ref.name))) {
      const near = closest(ref.name, tokenNames);
      problems.push({
        ref,
        path: ref.path,
        severity: 'error',
        message: `${ref.path}: no Cloudflare Access token named "${ref.name}"${near ? ` (did you mean "${near}"?)` : ''}`,
        hint: `Add it with \`gatehouse tokens add ${ref.name}\`${tokenNames.length ? `, or fix the name (stored: ${tokenNames.join(', ')})` : ''}.`,
      });
    }
  }
  return problems;
}

/** For `config validate`: throws one error naming every unknown reference; returns the warnings. */
export async function assertReferencesResolve(config: GatehouseConfig, source: string, secrets: SecretManager, env: NodeJS.ProcessEnv = process.env): Promise<Array<{ path: string[]; message: string }>> {
  const problems = await checkReferences(config, secrets, env);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    throw new UserError(`${source}: ${errors.length === 1 ? 'a reference does' : `${errors.length} references do`} not resolve:\n${errors.map((e) => `  ${e.message}`).join('\n')}`, {
      code: 'reference_unknown',
      hint: errors.length === 1 ? errors[0]!.hint : errors.map((e) => e.hint).filter((h, i, all) => all.indexOf(h) === i).join(' '),
      details: { problems: errors.map((e) => ({ path: e.path, message: e.message })) },
    });
  }
  return problems.map((p) => ({ path: p.path.split('.'), message: `${p.message.slice(p.path.length + 2)}. ${p.hint}` }));
}
