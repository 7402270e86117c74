import { ExitCode, UserError } from '../errors.js';
import type { SecretManager, SecretInfo, WritableStore } from '../secrets/manager.js';
import { CF_ACCESS_PREFIX } from '../secrets/names.js';
import type { SecretStore } from '../secrets/resolve.js';

/** Token names are what backends reference as `cfAccessToken: <name>`. */
export const TOKEN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export interface CfAccessToken {
  clientId: string;
  clientSecret: string;
}

/** What `tokens list` shows: never the secret, and only a masked client id. */
export interface CfAccessTokenInfo {
  name: string;
  store: WritableStore;
  team?: string;
  clientIdHint?: string;
  createdAt: string;
  updatedAt: string;
}

export function tokenKey(name: string): string {
  return `${CF_ACCESS_PREFIX}${name}`;
}

export function assertTokenName(name: string): void {
  if (!TOKEN_NAME_RE.test(name)) {
    throw new UserError(`Invalid token name "${name}".`, {
      code: 'token_name_invalid',
      exit: ExitCode.usage,
      hint: 'Use letters, digits, ".", "_" or "-", starting with a letter or digit (up to 64 characters).',
    });
  }
}

/**
 * Cloudflare issues ids like `<32 hex>.access` and secrets of 64 hex characters. A mismatch is
 * usually a copy-paste slip (or the two swapped), but Cloudflare may change formats, so it only
 * warns.
 */
export function checkTokenShape(token: CfAccessToken): string[] {
  const warnings: string[] = [];
  const { clientId, clientSecret } = token;
  if (/^[0-9a-f]{64}$/i.test(clientId) && clientSecret.endsWith('.access')) {
    warnings.push('The Client ID and Client Secret look swapped: the ID should end in ".access" and the secret be 64 hex characters.');
    return warnings;
  }
  if (!clientId.endsWith('.access')) warnings.push('The Client ID does not end in ".access", which Cloudflare Access service token IDs do. Check you copied the "CF-Access-Client-Id" value.');
  if (!/^[0-9a-f]{64}$/i.test(clientSecret)) warnings.push(`The Client Secret is not 64 hex characters (it has ${clientSecret.length} characters). Check you copied the whole "CF-Access-Client-Secret" value.`);
  if (/\s/.test(clientId) || /\s/.test(clientSecret)) warnings.push('The Client ID or Secret contains whitespace, which Cloudflare tokens never do.');
  return warnings;
}

/** Accepts `myteam`, `myteam.cloudflareaccess.com` or `https://myteam.cloudflareaccess.com/…`. */
export function normalizeTeam(team: string): string {
  let t = team.trim().toLowerCase();
  t = t.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(t)) {
    throw new UserError(`Invalid team domain "${team}".`, {
      code: 'team_invalid',
      exit: ExitCode.usage,
      hint: 'Pass your Zero Trust team name or domain, e.g. --team myteam or --team myteam.cloudflareaccess.com.',
    });
  }
  return t.includes('.') ? t : `${t}.cloudflareaccess.com`;
}

export function maskClientId(clientId: string): string {
  const suffix = clientId.endsWith('.access') ? '.access' : '';
  const head = clientId.slice(0, Math.min(6, Math.max(0, clientId.length - suffix.length - 4)));
  return `${head}…${suffix}`;
}

function toInfo(info: SecretInfo): CfAccessTokenInfo {
  return {
    name: info.name.slice(CF_ACCESS_PREFIX.length),
    store: info.store,
    ...(info.meta?.team ? { team: info.meta.team } : {}),
    ...(info.meta?.clientIdHint ? { clientIdHint: info.meta.clientIdHint } : {}),
    createdAt: info.createdAt,
    updatedAt: info.updatedAt,
  };
}

export async function listTokens(secrets: SecretManager): Promise<CfAccessTokenInfo[]> {
  return (await secrets.list('cf-access-token')).map(toInfo);
}

export async function tokenInfo(secrets: SecretManager, name: string): Promise<CfAccessTokenInfo | undefined> {
  const info = await secrets.info(tokenKey(name));
  return info?.kind === 'cf-access-token' ? toInfo(info) : undefined;
}

export interface SaveTokenOptions {
  store?: WritableStore;
  team?: string;
  /** add: the name must be new. rotate: it must exist, and keeps its team and store unless given. */
  mode: 'add' | 'rotate';
}

export async function saveToken(secrets: SecretManager, name: string, token: CfAccessToken, opts: SaveTokenOptions): Promise<{ info: CfAccessTokenInfo; warnings: string[] }> {
  assertTokenName(name);
  const existing = await tokenInfo(secrets, name);
  if (opts.mode === 'add' && existing) {
    throw new UserError(`A token named "${name}" already exists (in the ${existing.store} store).`, {
      code: 'token_exists',
      hint: `Replace its Client ID and Secret with \`gatehouse tokens rotate ${name}\` (backends keep referring to it), or pick another name.`,
    });
  }
  if (opts.mode === 'rotate' && !existing) throw unknownToken(name, (await listTokens(secrets)).map((t) => t.name));
  const clientId = token.clientId.trim();
  const clientSecret = token.clientSecret.trim();
  if (!clientId || !clientSecret) {
    throw new UserError('Both the Client ID and the Client Secret are needed.', { code: 'token_incomplete', exit: ExitCode.usage, hint: 'Copy both values from Zero Trust → Access → Service credentials.' });
  }
  const team = opts.team !== undefined ? normalizeTeam(opts.team) : existing?.team;
  const meta: Record<string, string> = { clientIdHint: maskClientId(clientId), ...(team ? { team } : {}) };
  const result = await secrets.put(tokenKey(name), JSON.stringify({ clientId, clientSecret }), {
    store: opts.store ?? existing?.store,
    kind: 'cf-access-token',
    meta,
  });
  return { info: toInfo(result.info), warnings: result.warnings };
}

export async function removeToken(secrets: SecretManager, name: string): Promise<void> {
  const existing = await tokenInfo(secrets, name);
  if (!existing) throw unknownToken(name, (await listTokens(secrets)).map((t) => t.name));
  await secrets.remove(tokenKey(name));
}

/**
 * Reads a token pair. `env:PREFIX` reads PREFIX_CLIENT_ID and PREFIX_CLIENT_SECRET from the
 * environment (for containers); anything else is a name in the store.
 */
export async function loadCfAccessToken(tokenName: string, store: SecretStore | undefined, env: NodeJS.ProcessEnv = process.env): Promise<CfAccessToken> {
  const envRef = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(tokenName);
  if (envRef) {
    const prefix = envRef[1]!;
    const clientId = env[`${prefix}_CLIENT_ID`];
    const clientSecret = env[`${prefix}_CLIENT_SECRET`];
    if (!clientId || !clientSecret) {
      const missing = [!clientId && `${prefix}_CLIENT_ID`, !clientSecret && `${prefix}_CLIENT_SECRET`].filter(Boolean).join(' and ');
      throw new UserError(`Cloudflare Access token "${tokenName}" needs ${missing} in the environment.`, {
        code: 'cf_access_token_missing',
        hint: `Export ${prefix}_CLIENT_ID and ${prefix}_CLIENT_SECRET where Gatehouse runs, or store the token with \`gatehouse tokens add <name>\`.`,
      });
    }
    return { clientId, clientSecret };
  }
  if (!store) {
    throw new UserError(`Cloudflare Access token "${tokenName}" needs a secret store, and none was given.`, { code: 'secret_store_missing' });
  }
  const raw = await store.get(tokenKey(tokenName));
  if (raw === undefined) {
    throw new UserError(`No Cloudflare Access token named "${tokenName}".`, {
      code: 'cf_access_token_missing',
      exit: ExitCode.failure,
      hint: `Add it with \`gatehouse tokens add ${tokenName}\` (see \`gatehouse tokens list\`), or reference env vars with cfAccessToken: env:PREFIX.`,
    });
  }
  try {
    const parsed = JSON.parse(raw) as Partial<CfAccessToken>;
    if (typeof parsed.clientId === 'string' && typeof parsed.clientSecret === 'string') return { clientId: parsed.clientId, clientSecret: parsed.clientSecret };
  } catch {
    /* fall through: never echo the stored text */
  }
  throw new UserError(`The stored Cloudflare Access token "${tokenName}" is damaged.`, {
    code: 'cf_access_token_invalid',
    hint: `Store it again with \`gatehouse tokens rotate ${tokenName}\`.`,
  });
}

export function unknownToken(name: string, known: string[]): UserError {
  return new UserError(`No Cloudflare Access token named "${name}".`, {
    code: 'token_unknown',
    hint: known.length ? `Known tokens: ${known.join(', ')}. See \`gatehouse tokens list\`.` : `No tokens are stored yet. Add one with \`gatehouse tokens add ${name}\`.`,
  });
}
