/**
 * Replica identity and sealed 2025 session ids (issue 12, "Several replicas"). Building blocks only:
 * nothing here is loaded unless `gateway.cluster` is configured.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random id per process; `where` is the URL it advertises (gateway.cluster.advertise), where other replicas forward its sessions' requests. */
export interface ReplicaIdentity {
  id: string;
  where?: string;
}

export function newReplica(where?: string): ReplicaIdentity {
  return { id: randomBytes(9).toString('base64url'), where };
}

/** The session-id key, derived from the cluster secret (its own HKDF label, so no other sealed value passes as one). */
export function sessionKey(clusterSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(clusterSecret, 'utf8'), Buffer.alloc(0), 'gatehouse cluster session-id v1', 32));
}

/** The key that seals held calls' requestState (cluster/held.ts); its own label, so a session id never passes as one. */
export function heldCallKey(clusterSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(clusterSecret, 'utf8'), Buffer.alloc(0), 'gatehouse cluster held-call v1', 32));
}

const PREFIX = 'gh1.';
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

function tag(key: Buffer, owner: string, local: string): string {
  return createHmac('sha256', key).update(`session\n${owner}\n${local}`).digest().subarray(0, 18).toString('base64url');
}

/**
 * `gh1.<owner>.<local>.<mac>`: the owner replica id and the owner's own session id, under an HMAC
 * with the cluster key. Only visible ASCII, as `Mcp-Session-Id` requires.
 */
export function sealSessionId(key: Buffer, owner: string, local: string): string {
  if (!ID_RE.test(owner) || !ID_RE.test(local)) throw new Error('a replica id and a local session id are 1-64 characters of [A-Za-z0-9_-]');
  return `${PREFIX}${owner}.${local}.${tag(key, owner, local)}`;
}

/** The owner and local id of a sealed session id the client sent; undefined when malformed or tampered. */
export function openSessionId(key: Buffer, sealed: string): { owner: string; local: string } | undefined {
  if (!sealed.startsWith(PREFIX) || sealed.length > 200) return undefined;
  const parts = sealed.slice(PREFIX.length).split('.');
  if (parts.length !== 3) return undefined;
  const [owner, local, mac] = parts as [string, string, string];
  if (!ID_RE.test(owner) || !ID_RE.test(local)) return undefined;
  const want = Buffer.from(tag(key, owner, local), 'base64url');
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  return { owner, local };
}
