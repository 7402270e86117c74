/**
 * Helpers for the inbound auth tests: an RSA key set served as a JWKS from a local HTTP server the
 * test controls (to rotate keys and count fetches), JWT minting with jose, and a recording proxy
 * that shows which headers reach a backend.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function makeKey(kid = randomBytes(8).toString('hex')): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey: privateKey as CryptoKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface JwksServer {
  url: string;
  /** The issuer the tests use: the JWKS server's own origin (loopback http is allowed for issuers). */
  origin: string;
  fetches: number;
  setKeys(keys: TestKey[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  let current = keys;
  const sockets = new Set<Socket>();
  const state = { fetches: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/jwks.json') {
      state.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: current.map((k) => k.jwk) }));
      return;
    }
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/jwks.json`,
    origin,
    get fetches() {
      return state.fetches;
    },
    setKeys: (k) => {
      current = k;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  } as JwksServer;
}

export interface SignOpts {
  issuer: string;
  audience: string | string[];
  /** Seconds from now; negative for an expired token; null for no exp claim. */
  expiresIn?: number | null;
  kid?: string;
  alg?: string;
}

export async function signToken(key: TestKey, claims: JWTPayload, o: SignOpts): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? key.kid, typ: 'at+jwt' })
    .setIssuer(o.issuer)
    .setAudience(o.audience)
    .setIssuedAt(now);
  if (o.expiresIn !== null) jwt.setExpirationTime(now + (o.expiresIn ?? 300));
  return jwt.sign(key.privateKey);
}

export interface RecordingProxy {
  url: string;
  /** Headers of every request that reached the backend through this proxy. */
  seen: IncomingHttpHeaders[];
  /** Request bodies (JSON-RPC messages) in arrival order. */
  bodies: string[];
  /** Points the proxy at another origin (a restarted gateway on a new port). */
  setTarget(upstream: string): void;
  close(): Promise<void>;
}

/** A transparent HTTP proxy to `upstream` that records request headers (the backend's view). */
export async function startRecordingProxy(upstream = 'http://127.0.0.1:9'): Promise<RecordingProxy> {
  let target = new URL(upstream);
  const seen: IncomingHttpHeaders[] = [];
  const bodies: string[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ ...req.headers });
    const out = http.request({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      res.flushHeaders();
      up.pipe(res);
    });
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    res.on('close', () => out.destroy());
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => chunks.length && bodies.push(Buffer.concat(chunks).toString('utf8')));
    req.pipe(out);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    bodies,
    setTarget: (u) => {
      target = new URL(u);
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Parses `Bearer a="b", c="d"` into its scheme and parameters (RFC 7235 §2.1, quoted strings only). */
export function parseChallenge(value: string): { scheme: string; params: Record<string, string> } {
  const m = /^(\S+)\s*(.*)$/.exec(value.trim());
  const params: Record<string, string> = {};
  for (const p of (m?.[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_-]*)="((?:[^"\\]|\\.)*)"/g)) params[p[1]!] = p[2]!.replace(/\\(.)/g, '$1');
  return { scheme: m?.[1] ?? '', params };
}
