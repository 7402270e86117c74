import { ProtocolError } from '@modelcontextprotocol/server';
import { UpstreamError } from '../upstream/types.js';

/**
 * Label values are bounded: configured names, names a backend listed, and the fixed sets here.
 * Anything a client typed (an unknown tool, a resource URI, an error message) maps to one of these.
 */
export const UNKNOWN = '_unknown';
/** The backend label of a request no backend was chosen for (an unknown name, a refusal before resolve). */
export const NO_BACKEND = '_none';
/** OpenTelemetry's `error.type` value for a class it has no better name for. */
export const OTHER = '_OTHER';

/**
 * The OpenTelemetry `error.type` of a failed request: the JSON-RPC error code as a string. Codes are
 * integers a backend chooses, so only the reserved JSON-RPC range (-32768..-32000) is kept as is.
 */
export function errorType(e: unknown): string {
  const code = e instanceof ProtocolError || e instanceof UpstreamError ? e.code : (e as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && Number.isInteger(code) && code <= -32_000 && code >= -32_768) return String(code);
  return OTHER;
}

export const AUTH_MODES = ['bearer', 'jwt', 'cloudflare-access'] as const;

/** Fixed reasons an inbound credential is refused, matched from the auth step's own (fixed) phrases. */
const AUTH_REASONS: Array<[RegExp, string]> = [
  [/no Authorization header|no Cf-Access-Jwt-Assertion/i, 'missing'],
  [/malformed/i, 'malformed'],
  [/unknown or revoked/i, 'unknown_token'],
  [/expired/i, 'expired'],
  [/wrong issuer/i, 'wrong_issuer'],
  [/wrong audience/i, 'wrong_audience'],
  [/not yet valid/i, 'not_yet_valid'],
  [/signature/i, 'bad_signature'],
  [/keys unavailable|JWKS fetch/i, 'keys_unavailable'],
  [/signing key/i, 'unknown_key'],
  [/algorithm/i, 'algorithm'],
  [/scope/i, 'insufficient_scope'],
  [/no email or common_name|no identity/i, 'no_identity'],
];

/** `auth.failed` reasons ("jwt: token expired") as a bounded {mode, reason} pair. */
export function authLabels(reason: string): { mode: string; reason: string } {
  const colon = reason.indexOf(':');
  const head = colon > 0 ? reason.slice(0, colon) : '';
  const mode = (AUTH_MODES as readonly string[]).includes(head) ? head : 'other';
  for (const [re, label] of AUTH_REASONS) if (re.test(reason)) return { mode, reason: label };
  return { mode, reason: 'other' };
}

export const PLAN_STATES = ['pending', 'approved', 'denied', 'expired', 'executing', 'done', 'failed', 'interrupted'] as const;

export function planState(state: string): string {
  return (PLAN_STATES as readonly string[]).includes(state) ? state : 'other';
}
