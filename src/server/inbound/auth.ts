/**
 * Inbound auth for the HTTP app, built from `gateway.auth`:
 *
 *   bearer             static client tokens (`gatehouse clients token create`), hashes in the config dir
 *   jwt                OAuth 2.1 resource server: issuer, audience, expiry and signature via a remote
 *                      JWKS (cached, re-fetched for an unknown kid); RFC 9728 metadata and challenges
 *   cloudflare-access  the Cf-Access-Jwt-Assertion header (or CF_Authorization cookie) that Access
 *                      adds, verified against the team's certs and the application's AUD tag
 *
 * Refusals carry a reason for the `auth.failed` event. Reasons never contain the credential: they
 * are built from fixed strings and the claim names jose reports, never from the token.
 */
import type { IncomingMessage } from 'node:http';
import {
  OAuthError,
  OAuthErrorCode,
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  verifyBearerToken,
  type AuthInfo,
  type OAuthMetadata,
  type OAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/server';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { createHash } from 'node:crypto';
import { ClientTokenVerifier } from '../../core/auth/client-tokens.js';
import type { Identity } from '../../core/identity.js';
import { normalizeTeam } from '../../core/cfaccess/tokens.js';
import type { AuthConfig, AuthMode } from '../../core/config/schema.js';
import { rolesFromClaims } from '../../core/policy/access.js';
import { ExitCode, UserError } from '../../core/errors.js';
import type { AuthOutcome, HttpAppOptions } from './http.js';

export interface InboundAuth {
  mode: AuthMode;
  authenticate?: HttpAppOptions['authenticate'];
  wellKnown?: HttpAppOptions['wellKnown'];
  /** One line for the startup log: the mode and what it checks (never a secret). */
  summary: string;
  /** Bearer mode: the token checker, so a cluster can relay revocations (issue 12). */
  tokens?: ClientTokenVerifier;
}

export interface InboundAuthOptions {
  /** Config dir holding client-tokens.json (bearer mode). */
  configDir: string;
  /** Seconds of clock skew allowed on exp/nbf (default 30). */
  clockToleranceSec?: number;
  /**
   * jose's remote JWKS settings: how long after a fetch an unknown kid may trigger another
   * (default 30 s), and how long keys are cached (default 10 min). Tests shorten the cooldown.
   */
  jwksCooldownMs?: number;
  jwksCacheMaxAgeMs?: number;
  jwksTimeoutMs?: number;
}

/** Asymmetric algorithms only: a JWKS never legitimately carries a shared (HS*) secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

export function buildInboundAuth(config: AuthConfig | undefined, opts: InboundAuthOptions): InboundAuth {
  const mode = config?.mode ?? 'none';
  if (mode === 'none') return { mode, summary: 'inbound auth: none (loopback clients only)' };
  if (mode === 'bearer') return bearerAuth(opts);
  if (mode === 'jwt') {
    if (!config?.jwt) throw missingSection('jwt', 'jwt: {issuer, audience, jwksUrl}');
    return jwtAuth(config.jwt, opts, config.roles);
  }
  if (!config?.cloudflareAccess) throw missingSection('cloudflare-access', 'cloudflareAccess: {team, aud}');
  return cloudflareAccessAuth(config.cloudflareAccess, opts, config.roles);
}

function missingSection(mode: string, shape: string): UserError {
  return new UserError(`Inbound auth mode "${mode}" is not configured.`, {
    code: 'auth_config_missing',
    exit: ExitCode.usage,
    hint: `Add gateway.auth.${shape} to gatehouse.yaml (or the user store via \`gatehouse config import\`).`,
  });
}

function accepted(identity: Identity): AuthOutcome {
  return { ok: true, client: identity.client, ...(identity.subject ? { subject: identity.subject } : {}), identity };
}

/** A short, non-reversible id for a credential; sessions compare it, nothing displays it. */
function fingerprint(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 22);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

// ---- bearer ---------------------------------------------------------------------------------

function bearerAuth(opts: InboundAuthOptions): InboundAuth {
  const verifier = new ClientTokenVerifier(opts.configDir);
  const refuse = (reason: string, description?: string): AuthOutcome => ({
    ok: false,
    status: 401,
    // RFC 6750 §3.1: no error code when the request carried no credentials at all.
    headers: { 'WWW-Authenticate': description ? `Bearer realm="gatehouse", error="invalid_token", error_description="${description}"` : 'Bearer realm="gatehouse"' },
    body: { error: description ? 'invalid_token' : 'unauthorized', error_description: description ?? 'This gateway needs a client token: send Authorization: Bearer <token>.' },
    reason,
  });
  return {
    mode: 'bearer',
    tokens: verifier,
    summary: 'inbound auth: bearer client tokens (gatehouse clients token create)',
    authenticate: async (req) => {
      const token = bearerToken(header(req, 'authorization'));
      if (token === undefined) return refuse('bearer: no Authorization header');
      if (token === '') return refuse('bearer: malformed Authorization header', 'Expected Authorization: Bearer <token>');
      const found = await verifier.identify(token);
      if (!found) return refuse('bearer: unknown or revoked token', 'The token is unknown or revoked');
      // Bound to this token, not its name: a revoked and re-created token for the same name is another credential.
      return accepted({ client: found.client, roles: found.roles, via: 'bearer', credentialId: `token:${fingerprint(token)}` });
    },
  };
}

/** undefined: no header; '': present but not a usable bearer credential. */
function bearerToken(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(value);
  return m ? m[1]! : '';
}

// ---- JWT verification (shared by jwt and cloudflare-access) ---------------------------------

/** The key source failed (JWKS unreachable, not JSON, timed out): not the client's fault. */
class KeySourceError extends Error {}

/** An invalid_token refusal that remembers the short reason for the auth.failed event. */
class JwtRejected extends OAuthError {
  constructor(
    readonly reason: string,
    description: string,
  ) {
    super(OAuthErrorCode.InvalidToken, description);
  }
}

interface JwtCheck {
  ok: boolean;
  payload?: JWTPayload;
  /** Short, credential-free reason for events and logs. */
  reason?: string;
  /** Safe to show the client (error_description). */
  description?: string;
  unavailable?: boolean;
}

function jwtChecker(p: { issuer: string; audience: string | string[]; jwksUrl: string }, opts: InboundAuthOptions): (token: string) => Promise<JwtCheck> {
  const jwks = createRemoteJWKSet(new URL(p.jwksUrl), {
    cooldownDuration: opts.jwksCooldownMs ?? 30_000,
    cacheMaxAge: opts.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: opts.jwksTimeoutMs ?? 5_000,
    headers: { 'user-agent': 'gatehouse' },
  });
  const getKey: JWTVerifyGetKey = async (protectedHeader, token) => {
    try {
      return await jwks(protectedHeader, token);
    } catch (e) {
      if (e instanceof joseErrors.JWKSNoMatchingKey || e instanceof joseErrors.JWKSMultipleMatchingKeys) throw e;
      throw new KeySourceError(e instanceof Error ? e.message : String(e));
    }
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: p.issuer,
        audience: p.audience,
        algorithms: ALGORITHMS,
        clockTolerance: opts.clockToleranceSec ?? 30,
        requiredClaims: ['exp'],
      });
      return { ok: true, payload };
    } catch (e) {
      return describeJwtError(e);
    }
  };
}

function describeJwtError(e: unknown): JwtCheck {
  if (e instanceof KeySourceError) return { ok: false, unavailable: true, reason: 'signing keys unavailable (JWKS fetch failed)', description: 'The signing keys could not be fetched; try again shortly' };
  if (e instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token expired', description: 'The token has expired' };
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    const what: Record<string, string> = { iss: 'wrong issuer', aud: 'wrong audience', nbf: 'token not yet valid', exp: 'token has no expiry', iat: 'invalid iat' };
    const reason = what[e.claim] ?? `claim ${e.claim} invalid`;
    return { ok: false, reason, description: `Token rejected: ${reason}` };
  }
  if (e instanceof joseErrors.JWKSNoMatchingKey) return { ok: false, reason: 'unknown signing key (kid not in JWKS)', description: 'No published key matches the token' };
  if (e instanceof joseErrors.JWKSMultipleMatchingKeys) return { ok: false, reason: 'ambiguous signing key', description: 'Several published keys match the token' };
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad signature', description: 'The token signature is invalid' };
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return { ok: false, reason: 'algorithm not allowed', description: 'The token uses an algorithm this gateway does not accept' };
  if (e instanceof joseErrors.JWTInvalid || e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JOSENotSupported) {
    return { ok: false, reason: 'malformed token', description: 'The token is not a valid JWT' };
  }
  return { ok: false, reason: 'token rejected', description: 'The token could not be verified' };
}

// ---- jwt (OAuth 2.1 resource server) --------------------------------------------------------

type JwtConfig = NonNullable<AuthConfig['jwt']>;

function jwtAuth(cfg: JwtConfig, opts: InboundAuthOptions, roleRules?: AuthConfig['roles']): InboundAuth {
  const check = jwtChecker(cfg, opts);
  const requiredScopes = cfg.scopes ?? [];
  const configured = cfg.resource ? new URL(cfg.resource) : undefined;
  if (configured) configured.hash = '';

  const metadataFor = (resource: URL, exact?: string): OAuthProtectedResourceMetadata => {
    // The SDK builder checks the issuer (HTTPS outside loopback) and lays out the fields.
    const doc = buildOAuthProtectedResourceMetadata({
      // Only the issuer is read; the rest of RFC 8414 metadata belongs to the authorization server.
      oauthMetadata: { issuer: cfg.issuer } as OAuthMetadata,
      resourceServerUrl: resource,
      ...(requiredScopes.length ? { scopesSupported: requiredScopes } : {}),
      resourceName: 'Gatehouse MCP gateway',
    });
    return { ...doc, ...(exact ? { resource: exact } : {}), bearer_methods_supported: ['header'] };
  };
  // Fail at startup, not on the first request, when the issuer is not acceptable.
  try {
    metadataFor(configured ?? new URL('http://127.0.0.1/mcp'));
  } catch (e) {
    throw new UserError(`gateway.auth.jwt.issuer is not usable: ${(e as Error).message}.`, {
      code: 'auth_config_invalid',
      exit: ExitCode.usage,
      hint: 'The issuer must be an https URL (http only on localhost or 127.0.0.1) without query or fragment.',
    });
  }

  /** The MCP resource (…/mcp) as clients reach it; configured, or from the validated Host header. */
  const mcpResource = (req: IncomingMessage): URL => {
    if (configured) return new URL(configured);
    const proto = header(req, 'x-forwarded-proto') === 'https' || (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    return new URL(`${proto}://${header(req, 'host') ?? '127.0.0.1'}/mcp`);
  };
  /** The resource a request path belongs to: /mcp is its own resource; /sse and /messages fall under the origin. */
  const resourceFor = (req: IncomingMessage): { url: URL; metadataUrl: string } => {
    const mcp = mcpResource(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/mcp') return { url: mcp, metadataUrl: getOAuthProtectedResourceMetadataUrl(mcp) };
    const origin = new URL(mcp.origin);
    return { url: origin, metadataUrl: getOAuthProtectedResourceMetadataUrl(origin) };
  };

  const verifier = {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const r = await check(token);
      if (r.unavailable) throw new KeySourceError(r.reason);
      if (!r.ok || !r.payload) throw new JwtRejected(r.reason ?? 'token rejected', r.description ?? 'Invalid token');
      const p = r.payload;
      return {
        token,
        clientId: identityOf(p) ?? 'jwt-client',
        scopes: scopesOf(p),
        expiresAt: p.exp,
        extra: { sub: p.sub, reason: r.reason, roles: rolesFromClaims(roleRules, p) },
      };
    },
  };

  return {
    mode: 'jwt',
    summary: `inbound auth: jwt (issuer ${cfg.issuer}, audience ${[cfg.audience].flat().join(', ')}, keys ${cfg.jwksUrl})`,
    authenticate: async (req) => {
      const { metadataUrl } = resourceFor(req);
      const value = header(req, 'authorization');
      if (!value) {
        // RFC 6750 §3.1: a request without credentials gets the challenge but no error code; RFC 9728 §5.1
        // adds resource_metadata so the client can find the authorization server. (The SDK's
        // bearerAuthChallengeResponse always adds error="invalid_token", so this one case is built here.)
        const scope = requiredScopes.length ? `, scope="${requiredScopes.join(' ')}"` : '';
        return {
          ok: false,
          status: 401,
          headers: { 'WWW-Authenticate': `Bearer resource_metadata="${metadataUrl}"${scope}` },
          body: { error: 'unauthorized', error_description: 'This gateway needs an OAuth access token: send Authorization: Bearer <token>.' },
          reason: 'jwt: no Authorization header',
        };
      }
      let info: AuthInfo;
      try {
        info = await verifyBearerToken(value.split(',')[0], { verifier, requiredScopes, resourceMetadataUrl: metadataUrl });
      } catch (e) {
        if (e instanceof KeySourceError) {
          return { ok: false, status: 503, headers: { 'Retry-After': '5' }, body: { error: 'temporarily_unavailable', error_description: 'The signing keys could not be fetched; try again shortly.' }, reason: `jwt: ${e.message}` };
        }
        const res = bearerAuthChallengeResponse(e, { requiredScopes, resourceMetadataUrl: metadataUrl });
        const headers: Record<string, string> = {};
        const challenge = res.headers.get('www-authenticate');
        if (challenge) headers['WWW-Authenticate'] = challenge;
        const body = (await res.json().catch(() => ({ error: 'invalid_token' }))) as { error?: string; error_description?: string };
        return { ok: false, status: res.status, headers, body, reason: `jwt: ${jwtReason(e, body)}` };
      }
      const sub = typeof info.extra?.sub === 'string' ? info.extra.sub : undefined;
      // Bound to the subject (and issuer), not to one token: access tokens are refreshed during a session.
      const roles = Array.isArray(info.extra?.roles) ? (info.extra.roles as string[]) : [];
      return accepted({ client: info.clientId, ...(sub ? { subject: sub } : {}), roles, via: 'jwt', credentialId: `jwt:${fingerprint(`${cfg.issuer}\n${sub ?? info.clientId}`)}` });
    },
    wellKnown: (req, path) => {
      if (path !== WELL_KNOWN && !path.startsWith(`${WELL_KNOWN}/`)) return undefined;
      const mcp = mcpResource(req);
      const suffix = path.slice(WELL_KNOWN.length).replace(/\/+$/, '');
      const mcpPath = mcp.pathname.replace(/\/+$/, '');
      let doc: OAuthProtectedResourceMetadata;
      // RFC 9728 §3.3: `resource` must equal the identifier the well-known URL was built from.
      if (suffix === '') doc = metadataFor(new URL(mcp.origin), mcp.origin);
      else if (suffix === mcpPath) doc = metadataFor(mcp);
      else return undefined;
      const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, OPTIONS', 'Access-Control-Allow-Headers': 'mcp-protocol-version' };
      if (req.method === 'OPTIONS') return { status: 204, headers: cors, body: {} };
      if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, headers: { ...cors, Allow: 'GET, OPTIONS' }, body: { error: 'method_not_allowed' } };
      return { status: 200, headers: { ...cors, 'Cache-Control': 'public, max-age=300' }, body: doc };
    },
  };
}

function jwtReason(e: unknown, body: { error?: string; error_description?: string }): string {
  if (e instanceof JwtRejected) return e.reason;
  if (e instanceof OAuthError && e.code === OAuthErrorCode.InsufficientScope) return 'insufficient scope';
  return (body.error_description ?? body.error ?? 'invalid token').replace(/^Token rejected: /, '').toLowerCase();
}

/** RFC 9068 client_id, else azp, else the subject's email or sub. */
function identityOf(p: JWTPayload): string | undefined {
  for (const k of ['client_id', 'azp', 'email', 'sub']) {
    const v = p[k];
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** `scope` (RFC 9068, space-separated) or `scp` (an array, as some providers send). */
function scopesOf(p: JWTPayload): string[] {
  if (typeof p.scope === 'string') return p.scope.split(' ').filter(Boolean);
  if (Array.isArray(p.scp)) return p.scp.filter((s): s is string => typeof s === 'string');
  if (typeof p.scp === 'string') return p.scp.split(' ').filter(Boolean);
  return [];
}

// ---- cloudflare-access ----------------------------------------------------------------------

type CfConfig = NonNullable<AuthConfig['cloudflareAccess']>;

function cloudflareAccessAuth(cfg: CfConfig, opts: InboundAuthOptions, roleRules?: AuthConfig['roles']): InboundAuth {
  const teamDomain = normalizeTeam(cfg.team);
  const issuer = `https://${teamDomain}`;
  const certsUrl = cfg.certsUrl ?? `${issuer}/cdn-cgi/access/certs`;
  const check = jwtChecker({ issuer, audience: cfg.aud, jwksUrl: certsUrl }, opts);
  const refuse = (reason: string, message: string, status = 403): AuthOutcome => ({
    ok: false,
    status,
    ...(status === 503 ? { headers: { 'Retry-After': '5' } } : {}),
    body: { error: status === 503 ? 'temporarily_unavailable' : 'access_denied', message },
    reason: `cloudflare-access: ${reason}`,
  });
  return {
    mode: 'cloudflare-access',
    summary: `inbound auth: cloudflare-access (team ${teamDomain}, keys ${certsUrl})`,
    authenticate: async (req) => {
      const assertion = header(req, 'cf-access-jwt-assertion') ?? cookie(header(req, 'cookie'), 'CF_Authorization');
      if (!assertion) {
        return refuse('no Cf-Access-Jwt-Assertion header or CF_Authorization cookie', 'This gateway is only reachable through Cloudflare Access (no Access assertion on the request).');
      }
      const r = await check(assertion);
      if (r.unavailable) return refuse(r.reason!, 'Cloudflare Access signing keys could not be fetched; try again shortly.', 503);
      if (!r.ok || !r.payload) return refuse(r.reason ?? 'invalid assertion', `The Cloudflare Access assertion was rejected: ${r.reason ?? 'invalid'}.`);
      // A user's token names an email; a service token's names its client id as common_name.
      const p = r.payload;
      const client = (typeof p.email === 'string' && p.email) || (typeof p.common_name === 'string' && p.common_name) || undefined;
      if (!client) return refuse('assertion names no email or common_name', 'The Cloudflare Access assertion carries no identity.');
      const sub = typeof p.sub === 'string' && p.sub ? p.sub : undefined;
      return accepted({ client, ...(sub ? { subject: sub } : {}), roles: rolesFromClaims(roleRules, p), via: 'cloudflare-access', credentialId: `cf:${fingerprint(`${teamDomain}\n${sub ?? client}`)}` });
    },
  };
}

function cookie(headerValue: string | undefined, name: string): string | undefined {
  if (!headerValue) return undefined;
  for (const part of headerValue.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}
