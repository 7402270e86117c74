import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AdminErrorBody, AdminHandlers, AdminResponse, AdminRoute } from '../../core/admin/contract.js';
import type { RemoteAdminConfig } from '../../core/config/schema-access.js';
import type { Identity } from '../../core/identity.js';
import type { AuthOutcome } from './http.js';
import { remoteAdminVerdict } from './remote-admin.js';

/** Who called the admin API: undefined for the local CLI (loopback + admin token), else a remote caller. */
export interface AdminCaller {
  identity: Identity;
  mayDecide: boolean;
}
export type AdminRoutes = (req: IncomingMessage, res: ServerResponse, path: string, url: URL, caller?: AdminCaller) => Promise<boolean>;
/** gateway.admin.remote (read per request, so a reload applies) and the inbound auth that identifies remote callers. */
export interface RemoteAdminOptions {
  config: () => RemoteAdminConfig | undefined;
  authenticate?: (req: IncomingMessage) => Promise<AuthOutcome>;
}

/**
 * The admin API (/admin/*): status, aliases, refresh and reload, answered with the typed contract
 * in src/core/admin. A loopback caller needs the admin token from the run-state file; anyone else
 * gets in only through `gateway.admin.remote` (remote-admin.ts), as the roles there allow.
 */
export async function handleAdmin(req: IncomingMessage, res: ServerResponse, url: URL, api: AdminHandlers, more?: AdminRoutes, remote?: RemoteAdminOptions): Promise<void> {
  let caller: AdminCaller | undefined;
  if (remote && !isLoopback(req.socket.remoteAddress ?? '')) {
    const v = await remoteAdminVerdict(req, url.pathname, remote.config(), remote.authenticate);
    if (!v.ok) return fail(res, v.status, v.error, v.message, v.headers);
    caller = { identity: v.identity, mayDecide: v.mayDecide };
  } else if (!adminAllowed(req, res, api.adminToken)) return;
  // Routes of other concerns (approvals, pins, events) come after the same checks.
  if (more && (await more(req, res, url.pathname, url, caller))) return;
  // What is left (refresh, reload) is for the local CLI; a remote caller reads status and aliases only.
  if (caller && req.method !== 'GET') return fail(res, 403, 'forbidden', `${req.method} ${url.pathname} answers loopback clients only.`);
  const route = `${req.method ?? 'GET'} ${url.pathname.slice('/admin'.length)}`;
  switch (route) {
    case 'GET /status':
      return answer(res, 'GET /status', api.status());
    case 'GET /aliases':
      return answer(res, 'GET /aliases', api.aliases());
    case 'POST /refresh': {
      const backend = url.searchParams.get('backend') ?? undefined;
      try {
        return answer(res, 'POST /refresh', await api.refresh(backend));
      } catch (e) {
        return fail(res, 404, 'refresh_failed', (e as Error).message);
      }
    }
    case 'POST /reload':
      if (!api.reload) return fail(res, 404, 'reload_unsupported', 'This gateway serves no config file, so there is nothing to reload.');
      // An invalid file is a normal answer (applied: false), not a server error: the gateway is fine.
      return answer(res, 'POST /reload', await api.reload());
    default:
      return fail(res, 404, 'not_found', `No admin route ${route}.`);
  }
}

/**
 * The admin API's checks (a loopback client with the admin token), for every route behind them
 * (admin, /metrics on the main port). Answers the refusal itself and returns false.
 */
export function adminAllowed(req: IncomingMessage, res: ServerResponse, adminToken: string): boolean {
  const remote = req.socket.remoteAddress ?? '';
  if (!isLoopback(remote)) {
    fail(res, 403, 'forbidden', 'The admin API answers loopback clients only.');
    return false;
  }
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  if (!safeEqual(token, adminToken)) {
    fail(res, 401, 'unauthorized', 'Missing or wrong admin token (the CLI reads it from the gateway state file).');
    return false;
  }
  return true;
}

function answer<R extends AdminRoute>(res: ServerResponse, _route: R, body: AdminResponse<R>): void {
  sendJson(res, 200, body);
}

function fail(res: ServerResponse, status: number, error: string, message: string, headers?: Record<string, string>): void {
  const body: AdminErrorBody = { error, message };
  sendJson(res, status, body, headers);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
