import type { IncomingMessage, ServerResponse } from 'node:http';

export function toWebRequest(req: IncomingMessage, res: ServerResponse, body?: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  const controller = new AbortController();
  // A client that goes away mid-call aborts the request (and so the backend call).
  res.once('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  // The Host header was parsed strictly before this point, so it is a plain host[:port].
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method,
    headers,
    body: body !== undefined && req.method !== 'GET' && req.method !== 'HEAD' ? body : undefined,
    signal: controller.signal,
  });
}

export interface StreamBound {
  /** Bytes of output the client has not read yet beyond which the stream is closed. */
  limitBytes: number;
  /** Told once when the bound closed the stream. */
  onDropped: (bufferedBytes: number) => void;
  /**
   * An event stream that has been quiet this long gets an SSE comment, so proxies that cut idle
   * connections (Cloudflare at about 100 s, nginx, haproxy) keep it open; 0 turns it off.
   */
  keepAliveMs?: number;
}

/** What every event stream says to the proxies on its way: do not buffer it, do not transform it. */
export const STREAM_HEADERS = { 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' } as const;

const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/**
 * Copies a web Response to the socket. The body is read as fast as it is produced, so nothing
 * piles up unseen in the SDK's stream queue; what the client has not read yet sits in the socket's
 * write buffer, where it is measured. A new chunk arriving while more than the bound is still
 * unread means the client stopped reading: the stream is closed rather than buffered without end.
 * One large message still passes, since the check is made before each write.
 */
export async function writeWebResponse(res: ServerResponse, response: Response, bound?: StreamBound): Promise<void> {
  if (res.writableEnded || res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k === 'set-cookie') return;
    headers[k] = v;
  });
  const stream = String(headers['content-type'] ?? '').includes('text/event-stream');
  if (stream) Object.assign(headers, STREAM_HEADERS);
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  // A stream's client learns it is open now, not at the first event (which may be minutes away).
  if (stream) res.flushHeaders();
  const reader = response.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  const keepAlive = stream && bound?.keepAliveMs ? startKeepAlive(res, bound.keepAliveMs) : undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed || res.writableEnded) break;
      if (bound && res.writableLength > bound.limitBytes) {
        bound.onDropped(res.writableLength);
        res.destroy();
        break;
      }
      res.write(value);
      keepAlive?.wrote(value);
    }
  } catch {
    // client went away
  } finally {
    keepAlive?.stop();
    if (!res.destroyed) res.end();
  }
}

/**
 * Writes a comment whenever the stream has been quiet for `ms`, but only between events: a chunk
 * that did not end an event (a message split over writes) holds the comment back until one does.
 */
function startKeepAlive(res: ServerResponse, ms: number): { wrote(chunk: Uint8Array): void; stop(): void } {
  let last = Date.now();
  let between = true;
  const timer = setInterval(
    () => {
      if (!between || res.destroyed || res.writableEnded || Date.now() - last < ms * 0.9) return;
      res.write(KEEP_ALIVE);
      last = Date.now();
    },
    Math.max(50, Math.floor(ms / 2)),
  );
  timer.unref();
  return {
    wrote(chunk) {
      last = Date.now();
      const n = chunk.length;
      between = n >= 2 ? chunk[n - 1] === 10 && chunk[n - 2] === 10 : between && n === 1 && chunk[0] === 10;
    },
    stop: () => clearInterval(timer),
  };
}
