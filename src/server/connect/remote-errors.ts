import { diagnoseHttpResponse } from '../../core/cfaccess/diagnose.js';

/**
 * What `gatehouse connect` makes of the remote's failures: a refusal of its credentials (fatal,
 * with one diagnosis), and the network and HTTP errors it retries or reports.
 */
/** The remote refused our credentials: retrying cannot help. */
export class BridgeAuthError extends Error {
  constructor(
    message: string,
    readonly hint: string | undefined,
    readonly status: number,
  ) {
    super(message);
    this.name = 'BridgeAuthError';
  }
}

/**
 * The remote's answer as a refusal of our credentials, or undefined when it is not one: 401 and 403,
 * and a redirect or an HTML page that is Cloudflare Access asking for a login.
 */
export async function refusal(res: Response, url: string, origin: string): Promise<BridgeAuthError | undefined> {
  const type = res.headers.get('content-type') ?? '';
  const suspicious = res.status === 401 || res.status === 403 || (res.status >= 300 && res.status < 400) || (res.ok && /text\/html/i.test(type));
  if (!suspicious) return undefined;
  let snippet = '';
  try {
    snippet = (await res.clone().text()).slice(0, 4096);
  } catch {
    // the body is only for the diagnosis
  }
  const d = diagnoseHttpResponse({ status: res.status, headers: res.headers, bodySnippet: snippet, url });
  if (res.status !== 401 && res.status !== 403 && !d.accessBlocked) return undefined;
  return authError(origin, res, d.accessBlocked ? { message: d.message, hint: d.hint } : undefined, snippet);
}

function authError(origin: string, res: Response, access: { message: string; hint?: string } | undefined, body: string): BridgeAuthError {
  if (access) return new BridgeAuthError(access.message, (access.hint ?? 'Pass a Cloudflare Access service token with --token <name>.').replace('`--cf-access-token <name>`', '`--token <name>`'), res.status);
  const challenge = res.headers.get('www-authenticate') ?? '';
  const description = /error_description="([^"]*)"/.exec(challenge)?.[1] ?? jsonMessage(body);
  const what = description ? `: ${description}` : '';
  if (res.status === 401) {
    return new BridgeAuthError(`${origin} refused the request (HTTP 401)${what}.`, 'Pass a valid token with --bearer-secret <secret-name> (store it with `gatehouse secrets set <name>`; a Gatehouse issues them with `gatehouse clients token create <client>`).', 401);
  }
  return new BridgeAuthError(`${origin} refused the request (HTTP 403)${what}.`, 'The credentials were accepted but not allowed here; check the token and the access policy of the remote.', 403);
}

export function httpStatusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | undefined)?.status;
  if (typeof s === 'number') return s;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number' && code >= 300 && code < 600 && (e as Error).name === 'SseError') return code;
  const m = /\(HTTP (\d{3})\)/.exec(String((e as Error | undefined)?.message ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** The Node/undici error code somewhere in the cause chain (ECONNREFUSED, UND_ERR_SOCKET, …). */
function causeCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isNetworkError(e: unknown): boolean {
  if (causeCode(e)) return true;
  const m = String((e as Error | undefined)?.message ?? '');
  return /fetch failed|terminated|socket|ECONN|network/i.test(m);
}

/** The request never reached the server, so sending it again is safe. */
export function notDelivered(e: unknown): boolean {
  const code = causeCode(e);
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

export function describeError(e: unknown): string {
  const status = httpStatusOf(e);
  const raw = String((e as Error | undefined)?.message ?? e);
  if (status !== undefined) {
    // The SDK puts the response body after its own prefix; keep a short, tag-free piece of it.
    const body = raw.replace(/^Error POSTing to endpoint(?: \(HTTP \d+\))?:\s*/, '').replace(/^Failed to open SSE stream:\s*/, '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
    return body ? `HTTP ${status}: ${body}` : `HTTP ${status}`;
  }
  const code = causeCode(e);
  const msg = raw.replace(/\s+/g, ' ').trim().slice(0, 200);
  return code && !msg.includes(code) ? `${msg} (${code})` : msg;
}

function jsonMessage(body: string): string | undefined {
  try {
    const j = JSON.parse(body) as { error_description?: unknown; message?: unknown; error?: { message?: unknown } | string };
    const m = j.error_description ?? j.message ?? (typeof j.error === 'object' ? j.error?.message : j.error);
    return typeof m === 'string' ? m.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
