import type { SecretStore } from '../secrets/resolve.js';
import { loadCfAccessToken } from './tokens.js';

export const CF_ACCESS_CLIENT_ID = 'CF-Access-Client-Id';
export const CF_ACCESS_CLIENT_SECRET = 'CF-Access-Client-Secret';

/**
 * The two headers Cloudflare Access wants from a service token. The gateway adds them to every
 * request to the backend that names the token (including SSE GETs and session DELETEs) and
 * nowhere else. `tokenName` is a name from `gatehouse tokens add`, or `env:PREFIX` for
 * PREFIX_CLIENT_ID/PREFIX_CLIENT_SECRET. Throws a UserError (code cf_access_token_missing,
 * keychain_unavailable, …) with a hint when the token cannot be read.
 */
export async function cfAccessHeaders(tokenName: string, store: SecretStore | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const { clientId, clientSecret } = await loadCfAccessToken(tokenName, store, env);
  return { [CF_ACCESS_CLIENT_ID]: clientId, [CF_ACCESS_CLIENT_SECRET]: clientSecret };
}

const SENSITIVE = new Set(['cf-access-client-secret', 'cf-access-client-id', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'cf-access-jwt-assertion', 'x-api-key']);

/** A copy of headers that is safe to log or emit in events. */
export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = SENSITIVE.has(k.toLowerCase()) && v !== undefined ? '[redacted]' : v;
  return out;
}
