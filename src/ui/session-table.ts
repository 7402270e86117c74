import type { GatewayEvent } from '../core/events.js';
import { RingBuffer } from './ring-buffer.js';
import type { SessionCounts, SessionView } from './snapshot.js';
import { cleanLine } from './text.js';

const MAX_OPEN = 50_000;

interface SessionRecord {
  id: string;
  client: string;
  era: 'legacy' | 'modern';
  transport: string;
  identity?: string;
  openedAt: number;
  lastActiveAt: number;
  calls: number;
  view?: SessionView;
}

/**
 * Open sessions from `session.opened` / `session.closed`, with activity from calls that name them, and
 * a bounded ring of recently closed ones so a session that just went away can still be read.
 */
export class SessionTable {
  private readonly open = new Map<string, SessionRecord>();
  private readonly closed: RingBuffer<SessionView>;
  private list: readonly SessionView[] = Object.freeze([]);
  private dirty = false;

  constructor(closedCapacity = 100) {
    this.closed = new RingBuffer(closedCapacity);
  }

  opened(e: Extract<GatewayEvent, { type: 'session.opened' }>): void {
    const id = sessionIdOf(e);
    if (id === undefined) return;
    if (!this.open.has(id) && this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value as string);
    this.open.set(id, {
      id: cleanLine(id),
      client: cleanLine(e.client ?? '?'),
      era: e.era === 'modern' ? 'modern' : 'legacy',
      transport: cleanLine(e.transport ?? '?'),
      identity: e.identity === undefined ? undefined : cleanLine(e.identity),
      openedAt: e.at,
      lastActiveAt: e.at,
      calls: 0,
    });
    this.dirty = true;
  }

  closedEvent(e: Extract<GatewayEvent, { type: 'session.closed' }>): void {
    const id = sessionIdOf(e);
    if (id === undefined) return;
    const s = this.open.get(id);
    if (!s) return;
    this.open.delete(id);
    this.closed.push(Object.freeze({ ...view(s), closedAt: e.at, closeReason: e.reason === undefined ? undefined : cleanLine(e.reason) }));
    this.dirty = true;
  }

  /** A call on a session counts as activity (idle time restarts). */
  touched(sessionId: string | undefined, at: number): void {
    if (sessionId === undefined) return;
    const s = this.open.get(sessionId);
    if (!s) return;
    s.lastActiveAt = at;
    s.calls++;
    s.view = undefined;
    this.dirty = true;
  }

  counts(): SessionCounts {
    let legacy = 0;
    for (const s of this.open.values()) if (s.era === 'legacy') legacy++;
    return Object.freeze({ open: this.open.size, legacy, modern: this.open.size - legacy });
  }

  view(): readonly SessionView[] {
    if (this.dirty) {
      this.dirty = false;
      const out: SessionView[] = [];
      for (const s of this.open.values()) out.push((s.view ??= view(s)));
      out.push(...this.closed.toArray().reverse());
      this.list = Object.freeze(out);
    }
    return this.list;
  }
}

function view(s: SessionRecord): SessionView {
  const { view: _view, ...rest } = s;
  return Object.freeze({ ...rest });
}

/**
 * The payload is being reshaped (`sessionId` today, `id` in the sessions registry's version); accept
 * either so the dashboard works on both sides of that change.
 */
function sessionIdOf(e: { sessionId?: string; id?: string }): string | undefined {
  return e.sessionId ?? e.id;
}
