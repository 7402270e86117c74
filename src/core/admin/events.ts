/**
 * The contract of the admin API's read-only event stream (GET /admin/events): server-sent events,
 * authenticated like every admin route. The first message is `event: hello`; then the backfill
 * (recent events, oldest first) and live events follow, each `id: <n>` and `data: <GatewayEvent>`
 * (already redacted on the gateway's bus). A `: keep-alive` comment comes whenever it is quiet.
 */
export const ADMIN_EVENTS_PATH = '/admin/events';

/** Sent on reconnect with `Last-Event-ID`, so a gateway resumes only a stream it started itself. */
export const INSTANCE_HEADER = 'x-gatehouse-instance';

export interface AdminEventsHello {
  /** Random per gateway process: a different one after reconnecting means the gateway restarted. */
  instance: string;
  startedAt: string;
  pid: number;
  /** How many recent events follow before the live ones. */
  backfill: number;
}

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental text/event-stream parser (the WHATWG rules this stream needs: `event`, `data`,
 * `id`, comments, LF or CRLF line ends). Feed it decoded chunks; it returns whole messages.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id?: string;

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      let line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n'), ...(this.id !== undefined ? { id: this.id } : {}) });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
      else if (field === 'id') this.id = value;
    }
    // One message is never this large; a stream that sends one is broken, not slow.
    if (this.buffer.length > 8 * 1024 * 1024) this.buffer = '';
    return out;
  }
}
