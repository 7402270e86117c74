import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt } from 'jose';
import type { Identity } from '../../../core/identity.js';
import type { AuthOutcome } from '../../inbound/http.js';
import { header } from '../../inbound/guards.js';
import { openValue, signValue, type ApprovalKeys } from '../seal.js';

/**
 * Browser sign-in for the approval page when the gateway's auth mode is jwt: OAuth 2
 * authorization code with PKCE (S256) at the configured issuer. The access token it yields is
 * checked by the gateway's own jwt verifier (issuer, audience, signature, scopes), exactly like a
 * token on /mcp; the page then keeps a signed session cookie naming only the identity.
 */
export interface LoginDeps {
  issuer: string;
  clientId: string;
  clientSecret?: () => Promise<string | undefined>;
  scopes: string[];
  /** The gateway's public origin (approvals.publicUrl), else the request's own. */
  publicUrl?: string;
  keys: ApprovalKeys;
  authenticate: (req: IncomingMessage) => Promise<AuthOutcome>;
}

const LOGIN_COOKIE = 'gatehouse_login';
export const SESSION_COOKIE = 'gatehouse_session';
const LOGIN_TTL_S = 600;
const SESSION_MAX_S = 8 * 3600;
export const CALLBACK_PATH = '/approvals/oauth/callback';

interface Endpoints {
  authorization: string;
  token: string;
}
const discovered = new Map<string, Promise<Endpoints>>();

/** RFC 8414 metadata, else OpenID discovery; its issuer must be the configured one. */
function discover(issuer: string): Promise<Endpoints> {
  let p = discovered.get(issuer);
  if (!p) {
    p = (async () => {
      const base = issuer.replace(/\/+$/, '');
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const res = await fetch(`${base}${path}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
        if (!res?.ok) continue;
        const doc = (await res.json().catch(() => ({}))) as { issuer?: string; authorization_endpoint?: string; token_endpoint?: string };
        if (doc.issuer?.replace(/\/+$/, '') !== base || !doc.authorization_endpoint || !doc.token_endpoint) continue;
        return { authorization: doc.authorization_endpoint, token: doc.token_endpoint };
      }
      throw new Error(`the issuer ${issuer} publishes no authorization server metadata with authorization and token endpoints`);
    })();
    discovered.set(issuer, p);
    p.catch(() => discovered.delete(issuer));
  }
  return p;
}

function origin(deps: LoginDeps, req: IncomingMessage): string {
  if (deps.publicUrl) return deps.publicUrl.replace(/\/+$/, '');
  const proto = header(req, 'x-forwarded-proto') === 'https' || (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return `${proto}://${header(req, 'host')}`;
}

function secure(req: IncomingMessage): string {
  return header(req, 'x-forwarded-proto') === 'https' || (req.socket as { encrypted?: boolean }).encrypted ? '; Secure' : '';
}

/** Sends the browser to the issuer; the state, PKCE verifier and return path ride in a signed cookie. */
export async function startLogin(deps: LoginDeps, req: IncomingMessage, res: ServerResponse, next: string): Promise<void> {
  const ep = await discover(deps.issuer);
  const state = randomBytes(24).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const cookie = signValue(deps.keys.session, 'login', { s: state, v: verifier, n: next, e: Math.floor(Date.now() / 1000) + LOGIN_TTL_S });
  const url = new URL(ep.authorization);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', deps.clientId);
  url.searchParams.set('redirect_uri', `${origin(deps, req)}${CALLBACK_PATH}`);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (deps.scopes.length) url.searchParams.set('scope', deps.scopes.join(' '));
  // Lax, not Strict: the issuer's redirect back is a cross-site navigation that must carry it.
  res.writeHead(302, { Location: url.href, 'Set-Cookie': `${LOGIN_COOKIE}=${cookie}; Path=/approvals; HttpOnly; SameSite=Lax; Max-Age=${LOGIN_TTL_S}${secure(req)}`, 'Cache-Control': 'no-store' }).end();
}

export type LoginResult = { ok: true; next: string; cookies: string[]; identity: Identity } | { ok: false; status: number; text: string };

/** The issuer's redirect back: state checked, code exchanged with the verifier, token verified by the gateway. */
export async function finishLogin(deps: LoginDeps, req: IncomingMessage, url: URL, cookies: (name: string) => string | undefined): Promise<LoginResult> {
  const pending = openValue(deps.keys.session, 'login', cookies(LOGIN_COOKIE), Date.now());
  if (!pending || typeof pending.s !== 'string' || typeof pending.v !== 'string') return { ok: false, status: 400, text: 'This sign-in was not started here or took too long. Open the plan page again.' };
  const state = url.searchParams.get('state') ?? '';
  if (state.length !== pending.s.length || !timingSafeEqual(Buffer.from(state), Buffer.from(pending.s))) return { ok: false, status: 400, text: 'The sign-in answer does not belong to this browser (state mismatch). Open the plan page again.' };
  const error = url.searchParams.get('error');
  if (error) return { ok: false, status: 403, text: `The issuer refused the sign-in: ${error.replace(/[^\x20-\x7e]/g, '?').slice(0, 100)}.` };
  const code = url.searchParams.get('code');
  if (!code) return { ok: false, status: 400, text: 'The issuer sent no authorization code.' };
  const ep = await discover(deps.issuer);
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: `${origin(deps, req)}${CALLBACK_PATH}`, client_id: deps.clientId, code_verifier: pending.v });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const secret = await deps.clientSecret?.();
  if (secret) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(deps.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const res = await fetch(ep.token, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  const body = (await res?.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown } | undefined;
  if (!res?.ok || typeof body?.access_token !== 'string') {
    return { ok: false, status: 502, text: `The issuer did not issue a token${typeof body?.error === 'string' ? ` (${body.error.replace(/[^\x20-\x7e]/g, '?').slice(0, 60)})` : ''}. Open the plan page again.` };
  }
  // The gateway's own verifier decides, as for any bearer token on /mcp (only headers are read).
  const probe = { headers: { authorization: `Bearer ${body.access_token}`, host: header(req, 'host') }, url: '/approvals', socket: req.socket } as unknown as IncomingMessage;
  const outcome = await deps.authenticate(probe);
  if (!outcome.ok) return { ok: false, status: 403, text: `The issued token was not accepted: ${outcome.reason.replace(/^jwt: /, '')}.` };
  // A person is named by their email (else subject), not by the OAuth client the page signed in with.
  const claims = decodeJwt(body.access_token);
  const person = (typeof claims.email === 'string' && claims.email) || outcome.identity.subject || outcome.identity.client;
  const id: Identity = { ...outcome.identity, client: person };
  const session = signValue(deps.keys.session, 'session', { c: id.client, s: id.subject ?? '', i: id.credentialId ?? '', e: Math.floor(Date.now() / 1000) + SESSION_MAX_S });
  const next = typeof pending.n === 'string' && /^\/approvals(\/[A-Za-z0-9_-]{1,64})?$/.test(pending.n) ? pending.n : '/approvals';
  return {
    ok: true,
    next,
    identity: id,
    // Lax: the first page after the issuer's redirect is still a cross-site navigation.
    cookies: [`${SESSION_COOKIE}=${session}; Path=/approvals; HttpOnly; SameSite=Lax; Max-Age=${SESSION_MAX_S}${secure(req)}`, `${LOGIN_COOKIE}=; Path=/approvals; HttpOnly; SameSite=Lax; Max-Age=0`],
  };
}

/** The identity of a signed-in browser session, if its cookie is valid and current. */
export function sessionIdentity(keys: ApprovalKeys, value: string | undefined): Identity | undefined {
  const v = openValue(keys.session, 'session', value, Date.now());
  if (!v || typeof v.c !== 'string' || !v.c) return undefined;
  return { client: v.c, ...(typeof v.s === 'string' && v.s ? { subject: v.s } : {}), roles: [], via: 'jwt', ...(typeof v.i === 'string' && v.i ? { credentialId: v.i } : {}) };
}
