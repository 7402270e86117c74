/**
 * Cloudflare Access (and other SSO fronts) answer an unauthenticated API call with a 302 to a login
 * page, or with the login page itself. Agents and operators need to hear that, not "invalid JSON".
 */
export function looksLikeLoginRedirect(location: string): boolean {
  return /cloudflareaccess\.com|\/cdn-cgi\/access\/|\/(?:login|signin|sign-in|sso|oauth2?\/(?:auth|authorize)|auth\/realms)\b/i.test(location);
}

export function looksLikeHtml(contentType: string | undefined, head: string): boolean {
  return /text\/html|application\/xhtml/i.test(contentType ?? '') || /^\s*(?:<!doctype html|<html[\s>])/i.test(head);
}

export function isCloudflareAccess(text: string): boolean {
  return /cloudflareaccess\.com|cdn-cgi\/access|Cloudflare Access|cf-access/i.test(text);
}

export function cfAccessDiagnosis(backend: string, evidence: string): string {
  const cf = isCloudflareAccess(evidence);
  return cf
    ? `Backend "${backend}" answered with a Cloudflare Access login page instead of the API: the request was not authenticated to Access. ` +
        `Give the backend a service token (auth: {type: cf-access, clientId: secret:…, clientSecret: secret:…}) and make sure the Access policy has a Service Auth rule.`
    : `Backend "${backend}" answered with a login page or HTML instead of the API. It is probably behind an SSO proxy such as Cloudflare Access, ` +
        `or the baseUrl points at a web UI. Check the baseUrl, and give the backend credentials (auth: bearer, header or cf-access).`;
}
