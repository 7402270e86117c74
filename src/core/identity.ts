/**
 * Who is calling. A session carries one, and every pipeline step reads it: events and the dashboard
 * show `client`, policy and virtual servers read `roles`, approvals compare `subject`. It never holds
 * a credential, only what the credential proved.
 */
export interface Identity {
  /** Display name: the client token's name, the JWT/Access subject or email, else the client's own clientInfo.name. */
  client: string;
  /** The authenticated subject; undefined for unauthenticated (loopback or stdio) use. */
  subject?: string;
  /** Roles or scopes granted by the auth mode (empty until roles are configured). */
  roles: readonly string[];
  /** How the caller got in. */
  via: 'none' | 'bearer' | 'jwt' | 'cloudflare-access' | 'stdio';
  /**
   * A stable, non-secret fingerprint of the credential that opened the session (for example the
   * client token's hash id), so a session is bound to that credential and not just to a name.
   */
  credentialId?: string;
}

/** The identity of an unauthenticated caller known only by the name its client announced. */
export function anonymousIdentity(client: string, via: Identity['via'] = 'none'): Identity {
  return { client, roles: [], via };
}
