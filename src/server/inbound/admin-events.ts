import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { EventBus, GatewayEvent } from '../../core/events.js';
import { ADMIN_EVENTS_PATH, type AdminEventsHello } from '../../core/admin/events.js';

export interface AdminEventStreamOptions {
  /** Recent events sent to a client when it connects. Default 500. */
  backfill?: number;
  /** A `: keep-alive` comment after this long without an event. Default 15 s. */
  keepAliveMs?: number;
  /** Unread output past this closes one client's stream (it reconnects with backfill). Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Open streams at most; more are refused with 503. Default 32. */
  maxClients?: number;
}

interface Client {
  res: ServerResponse;
  timer: ReturnType<typeof setInterval>;
  lastWrite: number;
}

/**
 * The admin API's read-only event stream (GET /admin/events, server-sent events). Keeps a bounded
 * ring of the bus's recent events (already redacted where they are emitted) for backfill, and fans
 * every new event out to the attached dashboards. Nothing here can block or fail the gateway: an
 * event costs one ring write, plus one JSON.stringify when anybody is attached.
 */
export class AdminEventStream {
  /** Distinguishes this gateway process from the one before a restart (ids restart at 1). */
  readonly instance = randomBytes(8).toString('hex');
  private readonly ring: Array<{ id: number; event: GatewayEvent } | undefined>;
  private next = 0;
  private seq = 0;
  private readonly clients = new Set<Client>();
  private readonly keepAliveMs: number;
  private readonly maxBuffered: number;
  private readonly maxClients: number;
  private readonly unsubscribe: () => void;

  constructor(
    bus: EventBus,
    private readonly gateway: { startedAt: number; pid?: number },
    opts: AdminEventStreamOptions = {},
  ) {
    this.ring = new Array(Math.max(1, opts.backfill ?? 500));
    this.keepAliveMs = Math.max(10, opts.keepAliveMs ?? 15_000);
    this.maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.maxClients = opts.maxClients ?? 32;
    this.unsubscribe = bus.onAny((e) => this.receive(e));
  }

  get attached(): number {
    return this.clients.size;
  }

  /** Answers GET /admin/events (after the admin API's loopback and token checks); false for other paths. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (path !== ADMIN_EVENTS_PATH) return false;
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET' }).end(JSON.stringify({ error: 'method_not_allowed', message: 'The event stream is read-only: GET /admin/events.' }));
      return true;
    }
    if (this.clients.size >= this.maxClients) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '5' }).end(JSON.stringify({ error: 'too_many_streams', message: `${this.maxClients} dashboards are attached already; detach one and retry.` }));
      return true;
    }
    const last = Number(req.headers['last-event-id'] ?? '');
    const resumeInstance = typeof req.headers['x-gatehouse-instance'] === 'string' ? req.headers['x-gatehouse-instance'] : undefined;
    // Resume after the last id seen only on the same gateway process; otherwise send the whole ring.
    const after = Number.isInteger(last) && last > 0 && resumeInstance === this.instance ? last : 0;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.socket?.setNoDelay(true);
    const hello: AdminEventsHello = { instance: this.instance, startedAt: new Date(this.gateway.startedAt).toISOString(), pid: this.gateway.pid ?? process.pid, backfill: 0 };
    const backlog = this.recent(after);
    hello.backfill = backlog.length;
    let out = `retry: 2000\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`;
    for (const r of backlog) out += frame(r.id, r.event);
    res.write(out);
    const client: Client = { res, lastWrite: Date.now(), timer: undefined as unknown as ReturnType<typeof setInterval> };
    client.timer = setInterval(() => {
      if (Date.now() - client.lastWrite >= this.keepAliveMs) this.write(client, ': keep-alive\n\n');
    }, Math.max(5, Math.floor(this.keepAliveMs / 2)));
    client.timer.unref?.();
    this.clients.add(client);
    const drop = () => this.drop(client);
    res.on('close', drop);
    res.on('error', drop);
    return true;
  }

  /** Ends every stream (gateway stop); attached dashboards see the drop and reconnect. */
  close(): void {
    for (const c of [...this.clients]) {
      this.drop(c);
      c.res.end();
    }
  }

  dispose(): void {
    this.close();
    this.unsubscribe();
  }

  private receive(event: GatewayEvent): void {
    const id = ++this.seq;
    this.ring[this.next] = { id, event };
    this.next = (this.next + 1) % this.ring.length;
    if (this.clients.size === 0) return;
    const text = frame(id, event);
    for (const c of this.clients) this.write(c, text);
  }

  private recent(after: number): Array<{ id: number; event: GatewayEvent }> {
    const out: Array<{ id: number; event: GatewayEvent }> = [];
    for (let i = 0; i < this.ring.length; i++) {
      const r = this.ring[(this.next + i) % this.ring.length];
      if (r && r.id > after) out.push(r);
    }
    return out;
  }

  private write(c: Client, text: string): void {
    if (c.res.writableEnded || c.res.destroyed) return this.drop(c);
    // A dashboard that stopped reading must not grow the gateway's memory: cut it, it reconnects.
    if (c.res.writableLength > this.maxBuffered) {
      this.drop(c);
      c.res.destroy();
      return;
    }
    c.lastWrite = Date.now();
    c.res.write(text);
  }

  private drop(c: Client): void {
    if (!this.clients.delete(c)) return;
    clearInterval(c.timer);
  }
}

function frame(id: number, event: GatewayEvent): string {
  return `id: ${id}\ndata: ${JSON.stringify(event)}\n\n`;
}
