import type { IncomingMessage, ServerResponse } from 'node:http';
import { STREAM_HEADERS, type StreamBound } from './web.js';

/** Node's header object read the way the web Headers are (one value; repeated ones joined). */
export function nodeHeaders(req: IncomingMessage): { get(name: string): string | null; forEach(cb: (value: string, key: string) => void): void } {
  const join = (v: string | string[]) => (Array.isArray(v) ? v.join(', ') : v);
  return {
    get: (name) => {
      const v = req.headers[name];
      return v === undefined ? null : join(v);
    },
    forEach: (cb) => {
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) cb(join(v), k);
    },
  };
}

/**
 * The response of one fast-path request: plain JSON when the answer is all there is; an event
 * stream (with the proxy-safe headers and keep-alive comments) once a related message has to go
 * first, or once the call has run one keep-alive interval without an answer and the client accepts
 * streams. Back-pressure is bounded as on every other stream.
 */
export class FastReply {
  private streaming = false;
  private early: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private readonly acceptsStream: boolean;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly id: string | number,
    private readonly bound: StreamBound,
    /** Headers every answer carries (a 2025 session's Mcp-Session-Id). */
    private readonly headers: Record<string, string> = {},
  ) {
    this.acceptsStream = String(req.headers.accept ?? '').includes('text/event-stream');
    const ms = bound.keepAliveMs ?? 0;
    if (ms && this.acceptsStream) {
      this.early = setTimeout(() => this.startStream(), ms);
      this.early.unref();
    }
  }

  event(message: Record<string, unknown>): void {
    if (this.closed()) return;
    if (!this.streaming) this.startStream();
    this.frame(message);
  }

  /** The answer; false when the response had already ended. */
  final(message: Record<string, unknown>): boolean {
    this.stop();
    if (this.closed()) return false;
    if (this.streaming) {
      this.frame(message);
      this.res.end();
      return true;
    }
    const body = JSON.stringify(message);
    // A missing client capability (-32021) is answered 400, as the SDK answers it; every other
    // handler error is in-band, 200.
    const status = (message.error as { code?: number } | undefined)?.code === -32021 ? 400 : 200;
    this.res.writeHead(status, { ...this.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
    return true;
  }

  /** Ends the response without an answer (a cancelled call gets none); an unstarted one gets 202. */
  end(): void {
    this.stop();
    if (this.closed()) return;
    if (!this.streaming) this.res.writeHead(202, this.headers);
    this.res.end();
  }

  stop(): void {
    clearTimeout(this.early);
    clearInterval(this.keepAlive);
  }

  private closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  private startStream(): void {
    if (this.streaming || this.closed()) return;
    this.streaming = true;
    clearTimeout(this.early);
    this.res.writeHead(200, { ...this.headers, 'content-type': 'text/event-stream', connection: 'keep-alive', ...STREAM_HEADERS });
    this.res.flushHeaders();
    const ms = this.bound.keepAliveMs ?? 0;
    if (ms) {
      this.keepAlive = setInterval(() => {
        if (!this.closed()) this.res.write(': keep-alive\n\n');
      }, ms);
      this.keepAlive.unref();
    }
  }

  private frame(message: Record<string, unknown>): void {
    if (this.res.writableLength > this.bound.limitBytes) {
      this.bound.onDropped(this.res.writableLength);
      this.res.destroy();
      return;
    }
    this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }
}
