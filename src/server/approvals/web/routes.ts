import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { planView } from '../../../core/admin/approvals.js';
import type { AuthMode } from '../../../core/config/schema.js';
import type { EventBus } from '../../../core/events.js';
import type { Identity } from '../../../core/identity.js';
import type { AuthOutcome } from '../../inbound/http.js';
import { header, isLoopback } from '../../inbound/guards.js';
import { csrfToken, csrfValid } from '../seal.js';
import { ApprovalError, type Approvals } from '../service.js';
import { CALLBACK_PATH, SESSION_COOKIE, finishLogin, sessionIdentity, startLogin, type LoginDeps } from './login.js';
import { PAGE_HEADERS, listPage, messagePage, planPage, type PlanPageOptions } from './page.js';

export interface ApprovalPageDeps {
  approvals: Approvals;
  bus: EventBus;
  /** The gateway's inbound auth mode (for the sign-in advice). */
  authMode: AuthMode;
  /** Inbound auth; without it the page is read-only unless approvals.webLoopback (loopback browsers only). */
  authenticate?: (req: IncomingMessage) => Promise<AuthOutcome>;
  /** Auth mode jwt: the issuer and scopes of gateway.auth.jwt (browser sign-in with approvals.login). */
  jwt?: () => { issuer: string; scopes?: string[] } | undefined;
  /** Resolves approvals.login.clientSecret when it is a reference. */
  resolveSecret?: (ref: string) => Promise<string>;
}

const CSRF_COOKIE = 'gatehouse_csrf';
const MAX_FORM_BYTES = 8 * 1024;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Who is looking at the page, and whether they may decide. */
type Viewer = { ok: true; name: string; identity?: Identity; mayDecide: boolean; why?: string } | { ok: false; status: number; title: string; text: string; login?: boolean };

/**
 * The approval page at /approvals (list) and /approvals/<id> (one plan), on the gateway's main
 * port. GET only reads. A decision is a POST of the plan's form, accepted only from this origin
 * (Origin, else Sec-Fetch-Site), with a CSRF token that is an HMAC of the browser's SameSite=Strict
 * cookie nonce, the signed-in identity and the plan id. Answers true when the path was its own.
 */
export async function handleApprovalPage(deps: ApprovalPageDeps, req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
  if (path !== '/approvals' && !path.startsWith('/approvals/')) return false;
  if (path === CALLBACK_PATH) return callback(deps, req, res, url);
  const m = /^\/approvals(?:\/([^/]+)(?:\/(approve|deny))?)?\/?$/.exec(path);
  if (!m || (m[1] !== undefined && !ID.test(m[1]))) return send(res, 404, messagePage('Not found', `No approval page at ${path}.`));
  const [, id, action] = m;
  const method = req.method ?? 'GET';
  if (action) {
    if (method !== 'POST') return send(res, 405, messagePage('Method not allowed', 'A decision is made with the form on the plan page (POST); nothing changes on GET.'), { Allow: 'POST' });
    return decide(deps, req, res, id!, action === 'approve' ? 'approved' : 'denied');
  }
  if (method !== 'GET' && method !== 'HEAD') return send(res, 405, messagePage('Method not allowed', `${method} is not served at ${path}.`), { Allow: 'GET, HEAD' });
  const viewer = await viewerOf(deps, req);
  if (!viewer.ok) {
    const login = viewer.login ? await loginDeps(deps) : undefined;
    if (login) {
      await startLogin(login, req, res, path);
      return true;
    }
    return send(res, viewer.status, messagePage(viewer.title, viewer.text));
  }
  if (!id) return send(res, 200, listPage((await deps.approvals.list()).map(planView), viewer.name));
  return showPlan(deps, req, res, id, viewer);
}

async function showPlan(deps: ApprovalPageDeps, req: IncomingMessage, res: ServerResponse, id: string, viewer: Extract<Viewer, { ok: true }>, flash?: PlanPageOptions['flash'], status = 200): Promise<true> {
  const plan = await deps.approvals.get(id);
  if (!plan) return send(res, 404, messagePage('No such plan', `No plan "${id}". A guarded call returns the plan id.`));
  const extra: Record<string, string> = {};
  let nonce = cookie(header(req, 'cookie'), CSRF_COOKIE);
  if (!nonce) {
    nonce = randomBytes(24).toString('base64url');
    const secure = header(req, 'x-forwarded-proto') === 'https' || (req.socket as { encrypted?: boolean }).encrypted ? '; Secure' : '';
    extra['Set-Cookie'] = `${CSRF_COOKIE}=${nonce}; Path=/approvals; HttpOnly; SameSite=Strict${secure}`;
  }
  const options: PlanPageOptions = { viewer: viewer.name, ...(flash ? { flash } : {}) };
  if (plan.state !== 'pending') options.readOnly = `This plan is ${plan.state}; only a pending plan can be approved or denied.`;
  else if (!viewer.mayDecide) options.readOnly = viewer.why;
  else options.form = { csrf: csrfToken(await deps.approvals.keys(), nonce, viewer.identity, id) };
  return send(res, status, planPage(planView(plan), await deps.approvals.audit({ planId: id }), options), extra);
}

async function decide(deps: ApprovalPageDeps, req: IncomingMessage, res: ServerResponse, id: string, verdict: 'approved' | 'denied'): Promise<true> {
  const cross = crossSite(req);
  if (cross) {
    req.resume();
    return send(res, 403, messagePage('Cross-site request refused', cross));
  }
  const viewer = await viewerOf(deps, req);
  if (!viewer.ok) {
    req.resume();
    return send(res, viewer.status, messagePage(viewer.title, viewer.text));
  }
  if (!/^application\/x-www-form-urlencoded\b/i.test(header(req, 'content-type') ?? '')) {
    req.resume();
    return send(res, 415, messagePage('Unsupported form', 'Send the plan page form (application/x-www-form-urlencoded).'));
  }
  const form = await readForm(req);
  if (!form) return send(res, 413, messagePage('Form too large', `The form may carry at most ${MAX_FORM_BYTES} bytes.`));
  if (!viewer.mayDecide) return send(res, 403, messagePage('Read-only', viewer.why ?? 'You cannot decide plans here.'));
  const nonce = cookie(header(req, 'cookie'), CSRF_COOKIE);
  const token = form.get('csrf') ?? '';
  if (!nonce || !token || !csrfValid(await deps.approvals.keys(), nonce, viewer.identity, id, token)) {
    return send(res, 403, messagePage('Form expired or forged', 'The form\u2019s CSRF token does not match this browser and identity. Reload the plan page and decide again.'));
  }
  const reason = (form.get('reason') ?? '').trim().slice(0, 500) || undefined;
  try {
    await deps.approvals.decide(id, verdict, viewer.name, reason, viewer.identity?.subject);
  } catch (e) {
    if (!(e instanceof ApprovalError)) throw e;
    const status = e.kind === 'unknown' ? 404 : e.kind === 'self-approval' ? 403 : e.kind === 'store' ? 503 : 409;
    return showPlan(deps, req, res, id, viewer, { kind: 'error', text: e.message }, status);
  }
  // Post/redirect/get: a reload of the result page never posts again.
  res.writeHead(303, { ...PAGE_HEADERS, Location: `/approvals/${encodeURIComponent(id)}` }).end();
  return true;
}

/** Undefined when the POST comes from a page of this origin; otherwise why it is refused. */
function crossSite(req: IncomingMessage): string | undefined {
  const origin = header(req, 'origin');
  const host = (header(req, 'host') ?? '').toLowerCase();
  if (origin !== undefined) {
    let from: string | undefined;
    try {
      from = new URL(origin).host.toLowerCase();
    } catch {
      from = undefined;
    }
    return from && from === host ? undefined : `A decision must come from this gateway's own page; this one came from ${origin.replace(/[^\x20-\x7e]/g, '?').slice(0, 100)}.`;
  }
  // Browsers send Origin on every form POST; without it, accept only what the browser says is same-origin.
  if (header(req, 'sec-fetch-site') === 'same-origin') return undefined;
  return 'A decision must come from this gateway\u2019s own page (the request carried no Origin).';
}

async function viewerOf(deps: ApprovalPageDeps, req: IncomingMessage): Promise<Viewer> {
  if (!deps.authenticate) {
    const local = isLoopback(req.socket.remoteAddress ?? '');
    if (deps.approvals.config.webLoopback && local) return { ok: true, name: 'web-loopback', mayDecide: true };
    return {
      ok: true,
      name: 'nobody (no inbound auth)',
      mayDecide: false,
      why: deps.approvals.config.webLoopback
        ? 'Only a browser on this machine may decide plans here (approvals.webLoopback). Use `gatehouse approvals approve <id>`.'
        : 'This gateway runs without inbound auth, so this page is read-only. Approve with `gatehouse approvals approve <id>`, or set gateway.approvals.webLoopback: true to approve here from this machine (any local process could then approve).',
    };
  }
  // jwt mode: a browser signed in on this page (approvals.login) carries a session, not a token.
  if (deps.authMode === 'jwt' && !header(req, 'authorization')) {
    const identity = sessionIdentity(await deps.approvals.keys(), cookie(header(req, 'cookie'), SESSION_COOKIE));
    if (identity) return { ok: true, name: identity.client, identity, mayDecide: true };
    const can = Boolean(deps.approvals.config.login && deps.jwt?.());
    return {
      ok: false,
      status: 401,
      title: 'Sign-in required',
      text: can ? 'Not signed in: open the plan page to sign in.' : 'Not signed in: browser sign-in needs gateway.approvals.login (an OAuth client at the issuer); meanwhile approve with `gatehouse approvals approve <id>`.',
      login: can,
    };
  }
  const outcome = await deps.authenticate(req);
  if (!outcome.ok) {
    deps.bus.emit('auth.failed', { reason: outcome.reason, remote: req.socket.remoteAddress });
    const signIn =
      deps.authMode === 'cloudflare-access'
        ? 'Open this page through Cloudflare Access and sign in.'
        : deps.authMode === 'jwt'
          ? 'The access token was not accepted.'
          : 'Client tokens belong to agents; approve with `gatehouse approvals approve <id>`.';
    return { ok: false, status: outcome.status === 503 ? 503 : outcome.status === 401 ? 401 : 403, title: 'Sign-in required', text: `Not signed in: ${signIn}` };
  }
  const identity = outcome.identity;
  // A client token is an agent's credential: it may read plans, never decide them.
  if (identity.via === 'bearer') return { ok: true, name: identity.client, identity, mayDecide: false, why: 'Client tokens belong to agents and cannot decide plans. Approve with `gatehouse approvals approve <id>`.' };
  // An Access service token (common_name, no user subject) is a machine's credential, like a client token.
  if (identity.via === 'cloudflare-access' && !identity.subject) {
    return { ok: true, name: identity.client, identity, mayDecide: false, why: 'Cloudflare Access service tokens belong to machines and cannot decide plans; a person signs in through Access.' };
  }
  return { ok: true, name: identity.client, identity, mayDecide: true };
}

async function loginDeps(deps: ApprovalPageDeps): Promise<LoginDeps | undefined> {
  const cfg = deps.approvals.config.login;
  const jwt = deps.jwt?.();
  if (deps.authMode !== 'jwt' || !cfg || !jwt || !deps.authenticate) return undefined;
  const ref = cfg.clientSecret;
  return {
    issuer: jwt.issuer,
    clientId: cfg.clientId,
    ...(ref ? { clientSecret: async () => (deps.resolveSecret ? deps.resolveSecret(ref) : ref) } : {}),
    scopes: cfg.scopes ?? jwt.scopes ?? [],
    ...(deps.approvals.config.publicUrl ? { publicUrl: deps.approvals.config.publicUrl } : {}),
    keys: await deps.approvals.keys(),
    authenticate: deps.authenticate,
  };
}

/** The issuer's redirect back to the page (GET only: it carries no decision). */
async function callback(deps: ApprovalPageDeps, req: IncomingMessage, res: ServerResponse, url: URL): Promise<true> {
  if (req.method !== 'GET') return send(res, 405, messagePage('Method not allowed', 'The sign-in callback is a GET.'), { Allow: 'GET' });
  const login = await loginDeps(deps);
  if (!login) return send(res, 404, messagePage('Not found', 'Browser sign-in is not configured on this gateway (auth mode jwt with gateway.approvals.login).'));
  const r = await finishLogin(login, req, url, (name) => cookie(header(req, 'cookie'), name));
  if (!r.ok) {
    deps.bus.emit('auth.failed', { reason: `approval page sign-in: ${r.text}`, remote: req.socket.remoteAddress });
    return send(res, r.status, messagePage('Sign-in failed', r.text));
  }
  res.writeHead(303, { ...PAGE_HEADERS, Location: r.next, 'Set-Cookie': r.cookies }).end();
  return true;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end (keeping at most the limit), so the refusal is not lost to a reset connection.
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size <= MAX_FORM_BYTES) chunks.push(c);
  }
  return size > MAX_FORM_BYTES ? undefined : new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function cookie(value: string | undefined, name: string): string | undefined {
  for (const part of (value ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

function send(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): true {
  res.writeHead(status, { ...PAGE_HEADERS, ...extra });
  res.end(res.req?.method === 'HEAD' ? undefined : html);
  return true;
}
