import type { IncomingMessage } from 'node:http';
import type { RemoteAdminConfig } from '../../core/config/schema-access.js';
import type { Identity } from '../../core/identity.js';
import type { AuthOutcome } from './http.js';

/**
 * The admin API for callers that are not on loopback (`gatehouse dashboard --url` through a Tunnel,
 * or from another pod). Off by default: only `gateway.admin.remote` opens it, and then only to
 * callers the gateway's own inbound auth identifies with one of the roles it names.
 *
 * - `watch` roles read: every GET under /admin (status, the event stream, aliases, approvals, pins).
 * - `decide` roles may also approve or deny a plan and accept a pinned tool's change, and only when
 *   the credential is a person's (a JWT user, or an Access user with a subject). Client tokens and
 *   Access service tokens belong to agents and machines: they never decide, as on the approval page.
 * - Refresh, reload and everything else stay loopback-only.
 */
export type RemoteVerdict =
  | { ok: true; identity: Identity; mayDecide: boolean }
  | { ok: false; status: number; error: string; message: string; headers?: Record<string, string> };

const DECISION = /^\/admin\/(?:approvals\/[A-Za-z0-9_-]{1,64}\/(?:approve|deny)|pins\/accept)$/;

export async function remoteAdminVerdict(
  req: IncomingMessage,
  path: string,
  remote: RemoteAdminConfig | undefined,
  authenticate: ((req: IncomingMessage) => Promise<AuthOutcome>) | undefined,
): Promise<RemoteVerdict> {
  if (!remote || !authenticate) {
    return refuse(403, 'forbidden', 'The admin API answers loopback clients only. To attach from elsewhere, set gateway.admin.remote.watch to the roles that may (it needs gateway.auth).');
  }
  const outcome = await authenticate(req);
  if (!outcome.ok) return { ok: false, status: outcome.status === 503 ? 503 : 401, error: 'unauthorized', message: `Not authenticated for the admin API: ${outcome.reason}`, ...(outcome.headers ? { headers: outcome.headers } : {}) };
  const identity = outcome.identity;
  const has = (roles: readonly string[] | undefined) => (roles ?? []).some((r) => identity.roles.includes(r));
  const watcher = has(remote.watch) || has(remote.decide);
  if (!watcher) {
    return refuse(403, 'forbidden', `${identity.client} holds no role that gateway.admin.remote lets in (watch: ${remote.watch.join(', ')}${remote.decide?.length ? `; decide: ${remote.decide.join(', ')}` : ''}).`);
  }
  const person = identity.via === 'jwt' || (identity.via === 'cloudflare-access' && identity.subject !== undefined);
  const mayDecide = person && has(remote.decide);
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return { ok: true, identity, mayDecide };
  if (method === 'POST' && DECISION.test(path)) {
    if (mayDecide) return { ok: true, identity, mayDecide };
    const why = !person
      ? 'client tokens and Access service tokens belong to agents and machines, and never decide'
      : `deciding needs a role in gateway.admin.remote.decide (${(remote.decide ?? []).join(', ') || 'none set'})`;
    return refuse(403, 'forbidden', `${identity.client} may watch but not decide: ${why}.`);
  }
  return refuse(403, 'forbidden', `${method} ${path} answers loopback clients only (remote callers may watch, and decide plans with a decide role).`);
}

function refuse(status: number, error: string, message: string): RemoteVerdict {
  return { ok: false, status, error, message };
}
