import { diagnoseHttpResponse, type HeaderBag } from '../../core/cfaccess/diagnose.js';

/**
 * Cloudflare Access (and other SSO fronts) answer an unauthenticated API call with a redirect to a
 * login page, or with the page itself. Agents and operators need to hear that, not "invalid JSON".
 * Access itself is recognised by the shared diagnosis (the same words as for MCP backends); other
 * login fronts by their URL shape.
 */
export function looksLikeLoginRedirect(location: string): boolean {
  return /cloudflareaccess\.com|\/cdn-cgi\/access\/|\/(?:login|signin|sign-in|sso|oauth2?\/(?:auth|authorize)|auth\/realms)\b/i.test(location);
}

export function looksLikeHtml(contentType: string | undefined, head: string): boolean {
  return /text\/html|application\/xhtml/i.test(contentType ?? '') || /^\s*(?:<!doctype html|<html[\s>])/i.test(head);
}

/** The Access-specific diagnosis of a response, when Access (or Cloudflare's edge) is what answered. */
export function accessDiagnosis(backend: string, facts: { status: number; headers: HeaderBag; url: string; bodySnippet?: string }): string | undefined {
  const d = diagnoseHttpResponse(facts);
  if (d.accessBlocked || d.kind === 'access-cookie-redirect' || d.kind === 'cloudflare-error') return `Backend "${backend}": ${d.message}${d.hint ? ` ${d.hint}` : ''}`;
  return undefined;
}

export function loginRedirectDiagnosis(backend: string, status: number, target: string): string {
  return `Backend "${backend}" answered HTTP ${status}, a redirect to a login page (${target}): the request was not authenticated. Give the backend credentials (auth: bearer, header or cf-access), or check the baseUrl.`;
}

export function htmlDiagnosis(backend: string, status: number): string {
  return `Backend "${backend}" answered HTTP ${status} with an HTML page where an API answer was expected: a login page in front of the service (an SSO proxy such as Cloudflare Access) or a web UI. Check that the baseUrl points at the API, and give the backend credentials if the service sits behind a login.`;
}
