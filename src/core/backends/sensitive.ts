import { ExitCode, UserError } from '../errors.js';
import type { BackendConfig, GatehouseConfig } from '../config/schema.js';
import { isSecretRef } from '../secrets/resolve.js';

/**
 * Header or variable names whose values are credentials. Deliberately broad: a false positive
 * costs one `env:`/`secret:` reference, a false negative leaks a secret into a config file.
 */
const SENSITIVE_NAME_RE = /authorization|cookie|token|secret|key|passw(or)?d|credential|private|signature/i;

/** Values that are credentials whatever they are called. */
const SECRET_VALUE_RES: RegExp[] = [
  /^(bearer|basic|token|bot|digest)\s+\S/i,
  /^eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./, // JWT
  /^gh[pousr]_[A-Za-z0-9]{20,}/, // GitHub
  /^github_pat_[A-Za-z0-9_]{20,}/,
  /^glpat-[A-Za-z0-9_-]{16,}/, // GitLab
  /^sk-[A-Za-z0-9_-]{16,}/, // OpenAI-style
  /^xox[abposr]-[A-Za-z0-9-]{10,}/, // Slack
  /^AKIA[0-9A-Z]{16}$/, // AWS access key id
];

/**
 * Values under a sensitive-looking name that cannot be credentials: flags, small numbers, file
 * paths, plain URLs (TOKENIZERS_PARALLELISM=false, SSH_KEY_PATH=/home/me/.ssh/id, TOKEN_URL=https://…).
 */
const NON_SECRET_VALUE_RE = /^(?:true|false|yes|no|on|off|none|null|\d{1,8}(?:\.\d+)?|(?:~|\.{1,2})?\/[^\s]*|[A-Za-z]:\\[^\s]*|https?:\/\/[^\s@?#]+)$/i;

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME_RE.test(name);
}

export function looksLikeSecretValue(value: string): boolean {
  return SECRET_VALUE_RES.some((re) => re.test(value.trim()));
}

/** A literal (not a reference), non-empty value that is or looks like a credential. */
export function isLiteralSecret(name: string, value: string): boolean {
  if (!value || isSecretRef(value)) return false;
  if (looksLikeSecretValue(value)) return true;
  return isSensitiveName(name) && !NON_SECRET_VALUE_RE.test(value.trim());
}

export interface LiteralSecret {
  /** Path inside the config, e.g. ["backends", "gh", "headers", "Authorization"]. */
  path: string[];
  /** The header, variable, flag or field name. */
  name: string;
  kind: 'header' | 'env' | 'auth' | 'arg' | 'url';
  /** What a safe copy shows instead (default "<redacted>"): the flag or URL kept, only the secret hidden. */
  redacted?: string;
}

/** A URL with a password in its userinfo (postgres://u:pw@host/db); user names alone are not secrets. */
export function urlPassword(value: string): { redacted: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*)@/i.exec(value.trim());
  if (!m) return undefined;
  const colon = m[2]!.indexOf(':');
  if (colon < 0 || colon === m[2]!.length - 1) return undefined;
  const password = m[2]!.slice(colon + 1);
  if (isSecretRef(password)) return undefined;
  return { redacted: `${m[1]}${m[2]!.slice(0, colon)}:${REDACTED}@${value.trim().slice(m[0].length)}` };
}

/** Flags whose value is a credential: --api-key, --token, --password, --client-secret, -p (psql/mysql style). */
const SENSITIVE_FLAG_RE = /^--?(?:[a-z0-9]+[-_])*(?:api[-_]?key|apikey|key|token|secret|passw(?:or)?d|pass|pwd|credentials?|auth|bearer)$/i;
const SHORT_PASSWORD_FLAGS = new Set(['-p']);
/** Commands where -p means something else (npx -p <package>, docker -p <ports>). */
const P_IS_NOT_PASSWORD = /(?:^|[\\/])(?:npx|npm|pnpm|pnpx|bunx|bun|yarn|uvx|uv|pipx|docker|podman|nerdctl|kubectl)(?:\.exe|\.cmd)?$/i;

/**
 * Literal secrets in a stdio command line, by index: `--api-key=…`, `--token X`, `-p pw`, a value that
 * looks like a token whatever precedes it, or a URL with a password.
 */
export function findArgSecrets(args: readonly string[], command = ''): Array<{ index: number; name: string; redacted: string }> {
  const shortP = !P_IS_NOT_PASSWORD.test(command);
  const found: Array<{ index: number; name: string; redacted: string }> = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.indexOf('=');
    if (a.startsWith('-') && eq > 0) {
      const flag = a.slice(0, eq);
      const value = a.slice(eq + 1);
      if (SENSITIVE_FLAG_RE.test(flag) && isLiteralSecret('secret', value)) {
        found.push({ index: i, name: flag, redacted: `${flag}=${REDACTED}` });
        continue;
      }
    }
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('-') && (SENSITIVE_FLAG_RE.test(a) || (shortP && SHORT_PASSWORD_FLAGS.has(a))) && isLiteralSecret('secret', next)) {
      found.push({ index: i + 1, name: a, redacted: REDACTED });
      i++;
      continue;
    }
    const inUrl = urlPassword(a);
    const inFlagUrl = a.startsWith('-') && eq > 0 ? urlPassword(a.slice(eq + 1)) : undefined;
    if (inUrl) found.push({ index: i, name: 'url', redacted: inUrl.redacted });
    else if (inFlagUrl) found.push({ index: i, name: a.slice(0, eq), redacted: `${a.slice(0, eq)}=${inFlagUrl.redacted}` });
    else if (looksLikeSecretValue(a) || (eq > 0 && looksLikeSecretValue(a.slice(eq + 1)))) found.push({ index: i, name: eq > 0 ? a.slice(0, eq) : 'argument', redacted: eq > 0 ? `${a.slice(0, eq)}=${REDACTED}` : REDACTED });
  }
  return found;
}

/** Every place in one backend where a secret is written literally instead of as a reference. */
export function findBackendLiteralSecrets(name: string, b: BackendConfig): LiteralSecret[] {
  const found: LiteralSecret[] = [];
  const base = ['backends', name];
  const scan = (record: Record<string, string> | undefined, path: string[], kind: LiteralSecret['kind']) => {
    for (const [k, v] of Object.entries(record ?? {})) if (typeof v === 'string' && isLiteralSecret(k, v)) found.push({ path: [...path, k], name: k, kind });
  };
  if (b.type === 'stdio') {
    scan(b.env, [...base, 'env'], 'env');
    for (const [k, v] of Object.entries(b.env ?? {})) {
      const inUrl = typeof v === 'string' && !isLiteralSecret(k, v) ? urlPassword(v) : undefined;
      if (inUrl) found.push({ path: [...base, 'env', k], name: k, kind: 'env', redacted: inUrl.redacted });
    }
    for (const a of findArgSecrets(b.args ?? [], b.command)) found.push({ path: [...base, 'args', String(a.index)], name: a.name, kind: 'arg', redacted: a.redacted });
  }
  if (b.type === 'http' && urlPassword(b.url)) found.push({ path: [...base, 'url'], name: 'url', kind: 'url', redacted: urlPassword(b.url)!.redacted });
  if (b.type === 'rest' && urlPassword(b.baseUrl)) found.push({ path: [...base, 'baseUrl'], name: 'baseUrl', kind: 'url', redacted: urlPassword(b.baseUrl)!.redacted });
  if (b.type === 'http' || b.type === 'rest') scan(b.headers, [...base, 'headers'], 'header');
  if (b.type === 'rest') {
    if (b.auth?.type === 'bearer' && b.auth.token && !isSecretRef(b.auth.token)) found.push({ path: [...base, 'auth', 'token'], name: 'token', kind: 'auth' });
    if (b.auth?.type === 'header' && b.auth.value && !isSecretRef(b.auth.value)) found.push({ path: [...base, 'auth', 'value'], name: b.auth.name, kind: 'auth' });
    if (b.auth?.type === 'cf-access') {
      const auth = b.auth as Record<string, unknown>;
      // `token` names a stored Cloudflare Access token (not a secret value); the pair itself may be given inline.
      for (const key of ['clientId', 'clientSecret']) {
        const v = auth[key];
        if (typeof v === 'string' && v && !isSecretRef(v)) found.push({ path: [...base, 'auth', key], name: key, kind: 'auth' });
      }
    }
    b.tools?.forEach((t, i) => scan(t.headers, [...base, 'tools', String(i), 'headers'], 'header'));
  }
  return found;
}

export function findLiteralSecrets(config: GatehouseConfig): LiteralSecret[] {
  return Object.entries(config.backends ?? {}).flatMap(([name, b]) => findBackendLiteralSecrets(name, b));
}

/** A reference name suggested for a secret found at `s` in backend `backend`. */
export function suggestSecretName(backend: string, s: Pick<LiteralSecret, 'name'>): string {
  const n = s.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const tail = n === 'authorization' ? 'token' : n;
  return `${backend}-${tail}`;
}

/** Refuses a config that carries a secret literally. Used before anything is written. */
export function assertNoLiteralSecrets(config: GatehouseConfig, source: string): void {
  const found = findLiteralSecrets(config);
  if (!found.length) return;
  const lines = found.map((s) => {
    const ref = suggestSecretName(s.path[1]!, s);
    if (s.kind === 'arg') return `  ${source}: ${s.path.join('.')}: ${s.name} carries a secret on the command line; pass it in the environment instead, e.g. env: { ${ref.toUpperCase().replace(/-/g, '_')}: "secret:${ref}" }`;
    if (s.kind === 'url') return `  ${source}: ${s.path.join('.')}: the URL carries a password; remove it from the URL and send it as a header with a secret: reference`;
    return `  ${source}: ${s.path.join('.')}: looks like a secret written literally; use a reference such as "secret:${ref}" or "env:${ref.toUpperCase().replace(/-/g, '_')}"`;
  });
  throw new UserError(`Refusing to store secrets in ${source}:\n${lines.join('\n')}`, {
    code: 'literal_secret',
    hint: 'Keep the value in the keychain (`gatehouse secrets set <name>`) or in the environment, and write only the reference (secret:<name> or env:<VAR>) in the config.',
    details: { source, paths: found.map((s) => s.path) },
  });
}

export const REDACTED = '<redacted>';

/**
 * A copy of a backend safe to print or export: references stay as they are (they are not
 * secrets), literal credentials become "<redacted>". Configs written by Gatehouse never hold
 * literals; this guards hand-edited ones.
 */
export function redactBackend<T extends BackendConfig>(name: string, b: T): T {
  const copy = structuredClone(b) as BackendConfig;
  for (const s of findBackendLiteralSecrets(name, copy)) {
    const rel = s.path.slice(2);
    let obj: Record<string, unknown> = copy as unknown as Record<string, unknown>;
    for (const seg of rel.slice(0, -1)) obj = obj[seg] as Record<string, unknown>;
    obj[rel[rel.length - 1]!] = s.redacted ?? REDACTED;
  }
  return copy as T;
}

export function redactConfig(config: GatehouseConfig): { config: GatehouseConfig; redacted: string[][] } {
  const redacted = findLiteralSecrets(config).map((s) => s.path);
  const backends = Object.fromEntries(Object.entries(config.backends ?? {}).map(([n, b]) => [n, redactBackend(n, b)]));
  return { config: { ...config, backends }, redacted };
}

/** For `backends add --stdio`: refuse a command line that carries a secret, with the way to pass it instead. */
export function assertArgsHoldNoSecrets(command: string, args: readonly string[], backend: string): void {
  const found = findArgSecrets(args, command);
  if (!found.length) return;
  const first = found[0]!;
  const ref = suggestSecretName(backend, { name: first.name === 'argument' || first.name === 'url' ? 'secret' : first.name.replace(/^-+/, '') });
  const envName = ref.toUpperCase().replace(/-/g, '_');
  const shown = found.map((f) => (f.name === 'argument' || f.name === 'url' ? `argument ${f.index + 1}` : f.name)).join(', ');
  throw new UserError(`--stdio: ${shown} ${found.length === 1 ? 'carries' : 'carry'} a secret given literally; Gatehouse never stores secrets in its config file.`, {
    code: 'literal_secret',
    exit: ExitCode.usage,
    hint: `Store it with \`gatehouse secrets set ${ref}\`, drop it from --stdio, and hand it to the server in its environment: --env ${envName}=secret:${ref} (most MCP servers read their key from an environment variable; see the server's docs for its name).`,
    details: { flag: '--stdio', arguments: found.map((f) => f.index + 1) },
  });
}

/** For `backends add`: refuse a literal secret given on the command line, naming the flag. */
export function assertFlagValueIsReference(flag: '--header' | '--env', name: string, value: string, backend: string): void {
  const inUrl = isLiteralSecret(name, value) ? undefined : urlPassword(value);
  if (inUrl) {
    const ref = suggestSecretName(backend, { name });
    throw new UserError(`${flag} ${name} holds a URL with a password in it; Gatehouse never stores secrets in its config file.`, {
      code: 'literal_secret',
      exit: ExitCode.usage,
      hint: `Store the whole URL with \`gatehouse secrets set ${ref}\` and pass ${flag} ${name}=secret:${ref} instead.`,
      details: { flag, name },
    });
  }
  if (!isLiteralSecret(name, value)) return;
  const ref = suggestSecretName(backend, { name });
  const example = flag === '--header' ? `--header "${name}: secret:${ref}"` : `--env ${name}=secret:${ref}`;
  const bearer = /^(bearer|basic|token)\s+(secret|env|file):/i.test(value);
  throw new UserError(`${flag} ${name} looks like a secret given literally; Gatehouse never stores secrets in its config file.`, {
    code: 'literal_secret',
    exit: ExitCode.usage,
    hint: bearer
      ? `A reference stands for the whole value: store "${value.split(/\s+/)[0]} <token>" as the secret, then pass ${example}.`
      : `Store the value with \`gatehouse secrets set ${ref}\` (or export it as an environment variable) and pass a reference instead: ${example} (or env:VAR).`,
    details: { flag, name },
  });
}
