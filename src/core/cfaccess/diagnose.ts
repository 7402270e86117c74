/**
 * Recognises what Cloudflare's edge and Access put in front of an application, from one HTTP
 * response: a redirect to the Access login, an Access "Forbidden" page, a session cookie, an edge
 * error (tunnel down). Used by `tokens test`, `backends test` and upstream error reports.
 */

export type HeaderBag = Headers | Record<string, string | string[] | number | undefined>;

export interface HttpResponseFacts {
  status: number;
  headers: HeaderBag;
  /** The first few KB of the body, if read. */
  bodySnippet?: string;
  /** The URL that was requested (relative Location headers resolve against it). */
  url: string;
}

export type HttpDiagnosisKind =
  | 'ok' // 2xx from the application
  | 'access-login' // redirected to (or served) the Access login page
  | 'access-denied' // an Access 401/403 page
  | 'access-cookie-redirect' // Access issued CF_Authorization and redirected instead of passing the request on
  | 'redirect' // a redirect that is not Access's
  | 'cloudflare-error' // an edge error: origin or tunnel unreachable (52x, 530/1033)
  | 'html' // an HTML page where an API answer was expected
  | 'http-error'; // any other non-2xx

export interface HttpDiagnosis {
  kind: HttpDiagnosisKind;
  /** True when Cloudflare Access stopped the request before the application saw it. */
  accessBlocked: boolean;
  message: string;
  hint?: string;
  status: number;
  /** `<team>.cloudflareaccess.com`, when the response names it. */
  teamDomain?: string;
  /** The login URL without its query. */
  loginUrl?: string;
  location?: string;
  /** The response set a CF_Authorization cookie. */
  cookieSet: boolean;
  /** The response carries Cloudflare edge headers (cf-ray or server: cloudflare). */
  viaCloudflare: boolean;
}

const ACCESS_FIX =
  'Either the service token is unknown, expired or revoked (check Zero Trust → Access → Service credentials; replace it with `gatehouse tokens rotate <name>`), or no token was sent (attach one with `--cf-access-token <name>`), or the application\'s policy has no "Service Auth" rule that includes this token (an "Allow" rule alone sends service tokens to the login page).';

export function headerValues(headers: HeaderBag, name: string): string[] {
  const lower = name.toLowerCase();
  if (typeof (headers as Headers).get === 'function' && typeof (headers as Headers).forEach === 'function') {
    const h = headers as Headers;
    if (lower === 'set-cookie' && typeof h.getSetCookie === 'function') return h.getSetCookie();
    const v = h.get(lower);
    return v === null ? [] : [v];
  }
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (k.toLowerCase() !== lower || v === undefined) continue;
    return Array.isArray(v) ? v.map(String) : [String(v)];
  }
  return [];
}

export function isAccessLoginUrl(u: URL): boolean {
  return u.hostname.endsWith('.cloudflareaccess.com') || /\/cdn-cgi\/access\/(login|authorized)/.test(u.pathname);
}

const ACCESS_PAGE_RE = /cloudflareaccess\.com|\/cdn-cgi\/access\/|Cloudflare Access|cf-access|Sign in\s*[・|-]\s*Cloudflare/i;
const EDGE_ERROR_RE = /Error\s*(1033|1016|1014|502|503|504|521|522|523|524|525|526|530)|cf-error-details|Cloudflare Tunnel error|Argo Tunnel/i;

export function diagnoseHttpResponse(facts: HttpResponseFacts): HttpDiagnosis {
  const { status, headers, url } = facts;
  const body = facts.bodySnippet ?? '';
  const contentType = headerValues(headers, 'content-type')[0] ?? '';
  const cookieSet = headerValues(headers, 'set-cookie').some((c) => /^\s*CF_Authorization=/i.test(c));
  const viaCloudflare = headerValues(headers, 'cf-ray').length > 0 || headerValues(headers, 'server').some((s) => /cloudflare/i.test(s));
  const base = { status, cookieSet, viaCloudflare };
  const target = safeOrigin(url);

  const rawLocation = headerValues(headers, 'location')[0];
  let location: URL | undefined;
  if (rawLocation) {
    try {
      location = new URL(rawLocation, url);
    } catch {
      location = undefined;
    }
  }

  if (status >= 300 && status < 400 && location) {
    if (isAccessLoginUrl(location)) {
      const teamDomain = location.hostname.endsWith('.cloudflareaccess.com') ? location.hostname : undefined;
      return {
        ...base,
        kind: 'access-login',
        accessBlocked: true,
        teamDomain,
        loginUrl: `${location.origin}${location.pathname}`,
        location: `${location.origin}${location.pathname}`,
        message: `${target} answered HTTP ${status}, a redirect to the Cloudflare Access login${teamDomain ? ` (${teamDomain})` : ''}: Access did not accept the request.`,
        hint: ACCESS_FIX,
      };
    }
    if (cookieSet) {
      return {
        ...base,
        kind: 'access-cookie-redirect',
        accessBlocked: false,
        location: location.href,
        message: `${target} answered HTTP ${status} with a CF_Authorization cookie and a redirect to ${location.href}: Access accepted the token but issued a browser session instead of passing the request to the application.`,
        hint: `MCP clients neither keep cookies nor repeat a POST after a redirect. Use the final URL (${location.href}) directly; Gatehouse sends the token headers on every request, so the cookie is not needed.`,
      };
    }
    return {
      ...base,
      kind: 'redirect',
      accessBlocked: false,
      location: location.href,
      message: `${target} answered HTTP ${status}, a redirect to ${location.href}.`,
      hint: 'MCP clients do not follow redirects for POST requests; use the final URL directly (a missing or extra trailing slash, or http instead of https, are the usual causes).',
    };
  }

  const html = /text\/html/i.test(contentType) || /^\s*<(!doctype html|html)/i.test(body);
  if ((status === 401 || status === 403) && ACCESS_PAGE_RE.test(body)) {
    const team = /([a-z0-9-]+\.cloudflareaccess\.com)/i.exec(body)?.[1]?.toLowerCase();
    return {
      ...base,
      kind: 'access-denied',
      accessBlocked: true,
      ...(team ? { teamDomain: team } : {}),
      message: `${target} answered HTTP ${status} with a Cloudflare Access page: Access refused the request.`,
      hint: ACCESS_FIX,
    };
  }
  if (html && ACCESS_PAGE_RE.test(body) && /login|sign in/i.test(body)) {
    const team = /([a-z0-9-]+\.cloudflareaccess\.com)/i.exec(body)?.[1]?.toLowerCase();
    return {
      ...base,
      kind: 'access-login',
      accessBlocked: true,
      ...(team ? { teamDomain: team } : {}),
      message: `${target} answered with the Cloudflare Access login page (HTTP ${status}, text/html) instead of the application: Access did not accept the request.`,
      hint: ACCESS_FIX,
    };
  }
  if ((status >= 520 && status <= 530) || (viaCloudflare && status >= 500 && EDGE_ERROR_RE.test(body))) {
    const code = /Error\s*(\d{4}|\d{3})/i.exec(body)?.[1];
    return {
      ...base,
      kind: 'cloudflare-error',
      accessBlocked: false,
      message: `${target} answered HTTP ${status}${code ? ` (Cloudflare error ${code})` : ''}: Cloudflare could not reach the application behind it.`,
      hint: 'Check that the origin is up and, with Cloudflare Tunnel, that `cloudflared` is running and connected (Zero Trust → Networks → Tunnels).',
    };
  }
  if (status >= 200 && status < 300) {
    return { ...base, kind: 'ok', accessBlocked: false, message: `${target} answered HTTP ${status}${contentType ? ` (${contentType.split(';')[0]})` : ''}.` };
  }
  if (html) {
    return {
      ...base,
      kind: 'html',
      accessBlocked: false,
      message: `${target} answered HTTP ${status} with an HTML page where an API answer was expected.`,
      hint: 'Check that the URL points at the API or MCP endpoint (often /mcp or /sse), not the web UI.',
    };
  }
  return { ...base, kind: 'http-error', accessBlocked: false, message: `${target} answered HTTP ${status}${contentType ? ` (${contentType.split(';')[0]})` : ''}.` };
}

/** Host and path, without query or userinfo, for messages. */
export function safeOrigin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
