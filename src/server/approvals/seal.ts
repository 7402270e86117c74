import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GatehouseConfig } from '../../core/config/schema.js';
import type { Identity } from '../../core/identity.js';
import { resolveValue, type SecretStore } from '../../core/secrets/resolve.js';

/** The requestState prefix of a guarded call's URL elicitation (the era bridge's is gatehouse-held:). */
export const PLAN_STATE_PREFIX = 'gatehouse-plan:';

/**
 * The keys of the approval flow, derived from one secret: `gateway.cluster.secret` when set (so
 * every replica seals and checks alike), else a per-process random secret (one process serves
 * every round). Separate keys per use, so a CSRF token can never pass as a requestState.
 */
export class ApprovalKeys {
  readonly state: Buffer;
  readonly csrf: Buffer;
  /** Signs the page's sign-in cookies (the OAuth login in progress, the signed-in session). */
  readonly session: Buffer;
  readonly shared: boolean;

  constructor(secret?: string) {
    this.shared = Boolean(secret);
    const ikm = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), info, 32));
    this.state = derive('gatehouse approvals requestState v1');
    this.csrf = derive('gatehouse approvals csrf v1');
    this.session = derive('gatehouse approvals session v1');
  }
}

/**
 * `gateway.cluster.secret` (a literal or a secret:/env: reference), read without depending on the
 * cluster settings' schema (the deploy work owns that block); undefined when not configured.
 */
export async function clusterSecret(config: GatehouseConfig, secrets?: SecretStore): Promise<string | undefined> {
  const ref = (config.gateway as { cluster?: { secret?: unknown } } | undefined)?.cluster?.secret;
  return typeof ref === 'string' && ref ? resolveValue(ref, { store: secrets }) : undefined;
}

/** What a sealed state carries: which plan, bound to its digest, the identity that asked, and its expiry. */
export interface PlanStatePayload {
  planId: string;
  digest: string;
  /** Unix seconds (the plan's expiry). */
  exp: number;
}

export type OpenFailure = 'malformed' | 'mac' | 'bind' | 'expired';

/** The identity a state is bound to: how it got in, its credential and its names. Never a credential itself. */
export function identityKey(identity: Identity | undefined): string {
  if (!identity) return 'anonymous';
  return [identity.via, identity.credentialId ?? '', identity.subject ?? '', identity.client].join('\n');
}

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

function mac(key: Buffer, label: string, data: string): Buffer {
  return createHmac('sha256', key).update(`${label}\n`).update(data).digest();
}

/**
 * Seals the requestState of a URL-elicitation round with HMAC-SHA256:
 * `gatehouse-plan:v1.<body>.<mac>`, body = {p: planId, d: digest, e: exp, b: bind tag}. The bind tag
 * is an HMAC of the identity key, so the identity never appears in the state the client holds. The
 * body is signed, not encrypted: it names only the plan id and digest, which the agent was told anyway.
 */
export function sealPlanState(keys: ApprovalKeys, payload: PlanStatePayload, identity: Identity | undefined): string {
  const body = b64(Buffer.from(JSON.stringify({ p: payload.planId, d: payload.digest, e: payload.exp, b: b64(mac(keys.state, 'bind', identityKey(identity)).subarray(0, 16)) })));
  return `${PLAN_STATE_PREFIX}v1.${body}.${b64(mac(keys.state, 'state', body))}`;
}

/** Opens a state the client echoed: attacker-controlled input, so every part is checked before any is used. */
export function openPlanState(keys: ApprovalKeys, state: string, identity: Identity | undefined, nowMs: number): { ok: true; payload: PlanStatePayload } | { ok: false; why: OpenFailure } {
  if (!state.startsWith(`${PLAN_STATE_PREFIX}v1.`) || state.length > 2048) return { ok: false, why: 'malformed' };
  const parts = state.slice(PLAN_STATE_PREFIX.length + 3).split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return { ok: false, why: 'malformed' };
  const [body, tag] = parts as [string, string];
  const want = mac(keys.state, 'state', body);
  const got = Buffer.from(tag, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, why: 'mac' };
  let parsed: { p?: unknown; d?: unknown; e?: unknown; b?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    return { ok: false, why: 'malformed' };
  }
  if (typeof parsed.p !== 'string' || typeof parsed.d !== 'string' || typeof parsed.e !== 'number' || typeof parsed.b !== 'string') return { ok: false, why: 'malformed' };
  const bind = mac(keys.state, 'bind', identityKey(identity)).subarray(0, 16);
  const seen = Buffer.from(parsed.b, 'base64url');
  if (seen.length !== bind.length || !timingSafeEqual(seen, bind)) return { ok: false, why: 'bind' };
  if (nowMs >= parsed.e * 1000) return { ok: false, why: 'expired' };
  return { ok: true, payload: { planId: parsed.p, digest: parsed.d, exp: parsed.e } };
}

/** The page's CSRF token: an HMAC of the browser's cookie nonce, the signed-in identity and the plan. */
export function csrfToken(keys: ApprovalKeys, nonce: string, identity: Identity | undefined, planId: string): string {
  return b64(mac(keys.csrf, 'csrf', `${nonce}\n${identityKey(identity)}\n${planId}`));
}

export function csrfValid(keys: ApprovalKeys, nonce: string, identity: Identity | undefined, planId: string, token: string): boolean {
  const want = Buffer.from(csrfToken(keys, nonce, identity, planId), 'base64url');
  const got = Buffer.from(token, 'base64url');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A small signed value for a cookie: `<body>.<mac>`, the body a JSON object with `e` (expiry, unix seconds). */
export function signValue(key: Buffer, label: string, value: Record<string, unknown> & { e: number }): string {
  const body = b64(Buffer.from(JSON.stringify(value)));
  return `${body}.${b64(mac(key, label, body))}`;
}

/** The value when the MAC matches and it has not expired; undefined otherwise. */
export function openValue(key: Buffer, label: string, signed: string | undefined, nowMs: number): Record<string, unknown> | undefined {
  if (!signed || signed.length > 4096) return undefined;
  const [body, tag, extra] = signed.split('.');
  if (!body || !tag || extra !== undefined) return undefined;
  const want = mac(key, label, body);
  const got = Buffer.from(tag, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof v.e === 'number' && nowMs < v.e * 1000 ? v : undefined;
  } catch {
    return undefined;
  }
}
