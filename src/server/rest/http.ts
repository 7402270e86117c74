import { Agent, buildConnector, type Dispatcher } from 'undici';
import { ResolutionPins, checkSocket, defaultLookup, resolveAllowed, type LookupFn, type NetworkPolicy } from './ssrf.js';

export interface RestDispatcherOptions {
  policy: NetworkPolicy;
  lookup?: LookupFn;
  /** First-answer classes per host, kept across pools so a rebuilt pool still detects rebinding. */
  pins?: ResolutionPins;
  /** PEM text of extra CAs to trust (e.g. a cluster CA). */
  ca?: string;
  insecureSkipVerify?: boolean;
  connectTimeoutMs?: number;
  /** Idle keep-alive sockets are closed after this long. */
  keepAliveTimeoutMs?: number;
  connections?: number;
}

/**
 * One keep-alive pool per backend. Every new socket goes through the guard: the host is resolved
 * here, each answer is checked against the allowlist, and the socket is opened to the checked
 * address itself (TLS still verifies the certificate against the host name), so a DNS answer that
 * changes between check and connect (rebinding) is never used.
 */
// undici 7 follows no redirects unless a redirect interceptor is composed in; the caller handles them
// (same origin only), so none is added here.
export function createRestDispatcher(opts: RestDispatcherOptions): Agent {
  const lookup = opts.lookup ?? defaultLookup;
  const pins = opts.pins ?? new ResolutionPins();
  const base = buildConnector({
    timeout: opts.connectTimeoutMs ?? 10_000,
    ...(opts.ca ? { ca: opts.ca } : {}),
    ...(opts.insecureSkipVerify ? { rejectUnauthorized: false } : {}),
  });
  const connect: buildConnector.connector = (options, callback) => {
    resolveAllowed(options.hostname, opts.policy, lookup, pins).then(
      (address) => {
        base({ ...options, hostname: address }, (err, socket) => {
          if (err || !socket) return callback(err ?? new Error('connect failed'), null);
          const blocked = checkSocket(socket, opts.policy);
          if (blocked) {
            socket.destroy();
            return callback(blocked, null);
          }
          callback(null, socket);
        });
      },
      (err: Error) => callback(err, null),
    );
  };
  return new Agent({
    connect,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    connections: opts.connections ?? 32,
  });
}

export interface ReadResult {
  bytes: Buffer;
  truncated: boolean;
}

/** Reads at most `cap` bytes, then stops reading and closes the stream so the rest is never buffered. */
export async function readCapped(body: Dispatcher.ResponseData['body'], cap: number): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > cap) {
      chunks.push(buf.subarray(0, cap - size));
      size = cap;
      discard(body);
      return { bytes: Buffer.concat(chunks, size), truncated: true };
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), truncated: false };
}

/** Closes a body we will not read; undici reports the abort as an error event, which is expected here. */
export function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/**
 * Fetches a document (an OpenAPI spec) through the same SSRF guard as tool calls: the address is
 * checked at connect time, redirects are not followed, and the body is capped.
 */
export async function fetchGuardedText(
  url: string,
  opts: { policy: NetworkPolicy; lookup?: LookupFn; maxBytes?: number; timeoutMs?: number },
): Promise<{ status: number; contentType: string; text: string; truncated: boolean; location?: string }> {
  const u = new URL(url);
  const agent = createRestDispatcher({ policy: opts.policy, lookup: opts.lookup, connections: 1 });
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 30_000);
  try {
    const res = await agent.request({
      origin: u.origin,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      headers: { accept: 'application/json, application/yaml, text/yaml, */*;q=0.5', 'user-agent': 'gatehouse' },
      signal,
    });
    if (res.statusCode >= 300 && res.statusCode < 400) {
      discard(res.body);
      return { status: res.statusCode, contentType: '', text: '', truncated: false, location: String(res.headers.location ?? '') };
    }
    const { bytes, truncated } = await readCapped(res.body, opts.maxBytes ?? 20 * 1024 * 1024);
    return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), text: bytes.toString('utf8'), truncated };
  } finally {
    await agent.destroy().catch(() => {});
  }
}
