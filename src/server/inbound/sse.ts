import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import type { StreamBound } from './web.js';

export interface SseTransportOptions {
  keepAliveMs?: number;
  /** Unread output beyond which the stream is closed rather than buffered (a client that stopped reading). */
  bound?: StreamBound;
}

/**
 * The legacy HTTP+SSE server transport (protocol 2024-11-05): GET /sse opens an event stream whose
 * first event names the POST endpoint; the client POSTs JSON-RPC messages there and every
 * server message goes down the stream. SDK v2 ships no server side for it, and older clients
 * still need it.
 */
export class SseServerTransport implements Transport {
  readonly sessionId = randomUUID();
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: { authInfo?: unknown; request?: Request }) => void;
  private closed = false;
  private keepAlive?: NodeJS.Timeout;
  private readonly keepAliveMs: number;

  constructor(
    private readonly res: ServerResponse,
    private readonly messagesPath: string,
    private readonly opts: SseTransportOptions = {},
  ) {
    this.keepAliveMs = opts.keepAliveMs ?? 15_000;
  }

  async start(): Promise<void> {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    this.res.write(`event: endpoint\ndata: ${this.messagesPath}?sessionId=${this.sessionId}\n\n`);
    this.res.on('close', () => this.finish());
    if (this.keepAliveMs > 0) {
      this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), this.keepAliveMs);
      this.keepAlive.unref();
    }
  }

  /**
   * Called by the HTTP app for each POST to the messages endpoint. The W3C trace headers of that POST,
   * when it carried any, reach the request handler as its HTTP request (as on streamable HTTP).
   */
  receive(message: JSONRPCMessage, traceHeaders?: Record<string, string>): void {
    this.onmessage?.(message, traceHeaders ? { request: new Request('http://gatehouse.local/messages', { method: 'POST', headers: traceHeaders }) } : undefined);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error('SSE stream closed');
    if (!this.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`)) throw new Error('SSE stream closed: the client stopped reading');
  }

  /** Checked before each write, so one large message passes while a stream nobody reads does not grow. */
  private write(text: string): boolean {
    const bound = this.opts.bound;
    if (bound && this.res.writableLength > bound.limitBytes) {
      bound.onDropped(this.res.writableLength);
      this.res.destroy();
      this.finish();
      return false;
    }
    this.res.write(text);
    return true;
  }

  async close(): Promise<void> {
    if (!this.closed) this.res.end();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    this.onclose?.();
  }
}
