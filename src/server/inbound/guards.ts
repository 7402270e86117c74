import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { EventBus } from '../../core/events.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Inbound HTTP limits; gateway.inbound overrides them. Seconds unless named bytes. */
export const INBOUND_DEFAULTS = {
  /** Slow-header clients are cut off well before Node's 60 s. */
  headersTimeout: 15,
  /** A whole request body (not the response: streams are long-lived by design). */
  requestTimeout: 60,
  maxConnectionsPerAddress: 256,
  maxStreamBufferBytes: 8 * 1024 * 1024,
  keepAliveInterval: 15,
};
export type InboundLimits = typeof INBOUND_DEFAULTS;

export function inboundLimits(cfg: Partial<InboundLimits> | undefined): InboundLimits {
  const out = { ...INBOUND_DEFAULTS };
  for (const [k, v] of Object.entries(cfg ?? {})) if (v !== undefined) (out as Record<string, number>)[k] = v as number;
  return out;
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

const REG_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/**
 * The hostname of a Host header (RFC 9110 §7.2: uri-host [":" port]), lower-cased; undefined when
 * it is not exactly that. A URL parser is too lenient here: it reads `evil.com@127.0.0.1` as
 * userinfo plus host, which is how a forged Host once passed the check.
 */
export function parseHostHeader(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  let host = v;
  let port: string | undefined;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0) return undefined;
    host = v.slice(0, end + 1);
    const rest = v.slice(end + 1);
    if (rest) {
      if (!rest.startsWith(':')) return undefined;
      port = rest.slice(1);
    }
    if (!IPV6.test(host)) return undefined;
  } else {
    const colon = v.lastIndexOf(':');
    if (colon >= 0) {
      host = v.slice(0, colon);
      port = v.slice(colon + 1);
    }
    if (!REG_NAME.test(host)) return undefined;
  }
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return undefined;
  if (port !== undefined && Number(port) > 65_535) return undefined;
  return host;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** A JSON-RPC error body with no id (the request could not be read or routed). */
export function rpcError(code: number, message: string, id: string | number | null = null): unknown {
  return { jsonrpc: '2.0', error: { code, message }, id };
}

/** How much of an oversized body is read and dropped after the 413, and for how long, before the socket is cut. */
const DRAIN_BYTES = 8 * 1024 * 1024;
const DRAIN_MS = 2_000;

/**
 * 413, then close. A keep-alive answer here once left the socket dead (the rest of the body was
 * never read, so the next request on it was never answered). The rest of the body is read and
 * dropped for a bounded time and size first: closing on a client still sending makes the kernel
 * reset the connection, and the reset can discard the 413 before the client reads it.
 */
export function sendTooLarge(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  res.shouldKeepAlive = false;
  if (socket) lingerOnClose(socket);
  sendJson(res, 413, { ...(rpcError(-32000, `Request body too large: the limit is ${MAX_BODY_BYTES} bytes.`) as object), error_code: 'payload_too_large' }, { Connection: 'close' });
  let drained = 0;
  const done = () => {
    clearTimeout(timer);
    req.removeAllListeners('data');
    socket?.destroySoon();
  };
  const timer = setTimeout(done, DRAIN_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_BYTES) done();
  });
  req.once('end', done);
  req.once('error', done);
  req.resume();
}

/**
 * Node closes a `Connection: close` socket as soon as the answer is written. With the client still
 * sending its body, closing with unread bytes makes the kernel reset the connection, and a reset can
 * discard the 413 before the client has read it. So this socket lingers instead: it half-closes after
 * the answer (the client sees the end of the response), keeps discarding what arrives, and is
 * destroyed when the client closes its side or after DRAIN_MS.
 */
function lingerOnClose(socket: Socket): void {
  let lingering = false;
  socket.destroySoon = () => {
    if (lingering) return;
    lingering = true;
    if (!socket.writableEnded) socket.end();
    const timer = setTimeout(() => socket.destroy(), DRAIN_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
    socket.resume();
  };
}

/** Answers an unexpected failure with a generic 500; the detail goes to the bus (and so the log), never to the client. */
export function sendInternalError(req: IncomingMessage, res: ServerResponse, bus: EventBus, e: unknown): void {
  const path = (req.url ?? '/').split('?')[0]!;
  bus.emit('inbound.error', { method: req.method ?? '?', path, message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, 500, rpcError(-32603, 'Internal error in the gateway; the gateway log has the details.'));
}

export type Body = { text: string; json?: unknown; parseError?: boolean } | { tooLarge: true };

/**
 * Reads a JSON body up to MAX_BODY_BYTES. Over the limit it stops reading without destroying the
 * request (that would take the socket, and the 413, with it); sendTooLarge then closes.
 */
export function readBody(req: IncomingMessage): Promise<Body> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) return Promise.resolve({ tooLarge: true });
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        stop();
        req.pause();
        chunks.length = 0;
        return resolve({ tooLarge: true });
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text) return resolve({ text, json: undefined, parseError: true });
      try {
        resolve({ text, json: JSON.parse(text) });
      } catch {
        resolve({ text, parseError: true });
      }
    };
    const onError = (e: Error) => {
      stop();
      reject(e);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

/**
 * Caps open connections per remote address. Over the cap the connection gets a bare 503 and is
 * closed before any request is parsed, so a single client cannot hold every socket.
 */
export function limitConnections(http: HttpServer, limit: number, bus: EventBus): void {
  const open = new Map<string, number>();
  http.on('connection', (socket: Socket) => {
    const remote = socket.remoteAddress ?? '?';
    const n = (open.get(remote) ?? 0) + 1;
    if (n > limit) {
      bus.emit('inbound.refused', { remote, limit });
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n');
      socket.destroySoon?.();
      return;
    }
    open.set(remote, n);
    socket.once('close', () => {
      const left = (open.get(remote) ?? 1) - 1;
      if (left <= 0) open.delete(remote);
      else open.set(remote, left);
    });
  });
}

/** A long-lived stream must not be cut by socket inactivity timers meant for requests. */
export function exemptFromTimeouts(req: IncomingMessage): void {
  req.socket.setTimeout(0);
}
