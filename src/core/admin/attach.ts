import type { GatewayEvent } from '../events.js';
import { redactString } from '../log/redact.js';
import type { AdminClient, AdminTarget } from './admin-client.js';
import type { AdminStatus } from './contract.js';
import { ADMIN_EVENTS_PATH, INSTANCE_HEADER, SseParser, type AdminEventsHello } from './events.js';
import type { ApprovalsPort, DashboardFeed, LinkState, PinsPort } from './feed.js';

export interface AttachOptions {
  /** How often the status snapshot is polled while connected. Default 5 s. */
  statusMs?: number;
  /** First reconnect delay, doubled per failure up to `maxBackoffMs`. Default 500 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** No byte (event or keep-alive) for this long means the stream is dead. Default 45 s. */
  idleTimeoutMs?: number;
  approvals?: ApprovalsPort;
  pins?: PinsPort;
  /** Re-reads where the gateway is before each reconnect (a local gateway's run record: a restart brings a new token). */
  resolveTarget?: () => Promise<AdminTarget>;
}

/**
 * A running gateway seen over its admin API: the event stream (with backfill), reconnected with
 * backoff when it drops, and the status snapshot polled to fill in what the backfill no longer holds
 * (backends, sessions, the catalog). Read-only towards the gateway: detaching (close) only ends our
 * own connection.
 */
export class AttachedGateway implements DashboardFeed {
  readonly approvals?: ApprovalsPort;
  readonly pins?: PinsPort;
  /** When the gateway started, as its status said on attach (the header's uptime). */
  startedAt?: number;
  private readonly listeners = new Set<(e: GatewayEvent) => void>();
  private readonly linkListeners = new Set<() => void>();
  private readonly resetListeners = new Set<() => void>();
  private linkState: LinkState;
  private instance?: string;
  private lastId?: string;
  private abort?: AbortController;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private statusTimer?: ReturnType<typeof setInterval>;
  private closed = false;
  /** What the events said last, so a status poll only adds what they did not. */
  private readonly backendStates = new Map<string, string>();
  private readonly openSessions = new Set<string>();
  private sawToolCatalog = false;
  private readonly opts: Required<Omit<AttachOptions, 'approvals' | 'pins' | 'resolveTarget'>>;
  private readonly resolveTarget?: () => Promise<AdminTarget>;

  readonly link = {
    get: (): LinkState => this.linkState,
    subscribe: (l: () => void): (() => void) => {
      this.linkListeners.add(l);
      return () => this.linkListeners.delete(l);
    },
  };

  constructor(
    private readonly client: AdminClient,
    opts: AttachOptions = {},
  ) {
    this.approvals = opts.approvals;
    this.pins = opts.pins;
    this.resolveTarget = opts.resolveTarget;
    this.opts = { statusMs: opts.statusMs ?? 5_000, backoffMs: opts.backoffMs ?? 500, maxBackoffMs: opts.maxBackoffMs ?? 10_000, idleTimeoutMs: opts.idleTimeoutMs ?? 45_000 };
    this.linkState = { state: 'connecting', url: client.target.url, attempt: 0, since: Date.now() };
  }

  onAny(listener: (e: GatewayEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Connects, and keeps reconnecting until close(). */
  start(): void {
    if (this.closed || this.abort) return;
    void this.connect();
  }

  /** Detaches: ends the stream and the timers; the gateway is not told anything. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort?.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.setLink({ state: 'stopped', attempt: 0, retryAt: undefined });
  }

  private async connect(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    let idle: ReturnType<typeof setTimeout> | undefined;
    const bump = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => abort.abort(new Error(`no event or keep-alive for ${Math.round(this.opts.idleTimeoutMs / 1000)} s`)), this.opts.idleTimeoutMs);
      idle.unref?.();
    };
    let error: string;
    try {
      const headers: Record<string, string> = { ...this.client.headers, accept: 'text/event-stream' };
      if (this.lastId !== undefined && this.instance !== undefined) {
        headers['last-event-id'] = this.lastId;
        headers[INSTANCE_HEADER] = this.instance;
      }
      bump();
      const res = await fetch(`${this.client.target.adminUrl}${ADMIN_EVENTS_PATH.slice('/admin'.length)}`, { headers, signal: abort.signal });
      if (!res.ok || !res.body) {
        const body = (await res.json().catch(() => ({}))) as { message?: string };
        throw new Error(`the gateway answered ${res.status}${body.message ? `: ${body.message}` : ''}`);
      }
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        bump();
        for (const m of parser.push(decoder.decode(value, { stream: true }))) this.message(m.event, m.data, m.id);
      }
      error = 'the gateway closed the event stream';
    } catch (e) {
      error = abort.signal.aborted && abort.signal.reason instanceof Error ? abort.signal.reason.message : describe(e);
    } finally {
      if (idle) clearTimeout(idle);
      if (this.statusTimer) clearInterval(this.statusTimer);
      this.statusTimer = undefined;
      this.abort = undefined;
    }
    if (this.closed) return;
    const attempt = this.linkState.attempt + 1;
    const delay = Math.min(this.opts.maxBackoffMs, this.opts.backoffMs * 2 ** (attempt - 1));
    this.setLink({ state: 'reconnecting', attempt, retryAt: Date.now() + delay, error: redactString(error) });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      const next = this.resolveTarget ? this.resolveTarget().then((t) => this.client.retarget(t), () => undefined) : Promise.resolve();
      void next.then(() => {
        if (!this.closed) void this.connect();
      });
    }, delay);
    this.retryTimer.unref?.();
  }

  private message(event: string, data: string, id: string | undefined): void {
    if (event === 'hello') {
      let hello: AdminEventsHello;
      try {
        hello = JSON.parse(data) as AdminEventsHello;
      } catch {
        return;
      }
      if (this.instance !== undefined && hello.instance !== this.instance) {
        // Another gateway process: what we folded so far describes one that is gone.
        this.backendStates.clear();
        this.openSessions.clear();
        this.sawToolCatalog = false;
        for (const l of [...this.resetListeners]) l();
      }
      if (hello.instance !== this.instance) this.lastId = undefined;
      this.instance = hello.instance;
      this.setLink({ state: 'connected', attempt: 0, retryAt: undefined, error: undefined });
      this.statusTimer = setInterval(() => void this.pollStatus(), this.opts.statusMs);
      this.statusTimer.unref?.();
      void this.pollStatus();
      return;
    }
    let e: GatewayEvent;
    try {
      e = JSON.parse(data) as GatewayEvent;
    } catch {
      return;
    }
    if (!e || typeof e.type !== 'string' || typeof e.at !== 'number') return;
    if (id !== undefined) this.lastId = id;
    this.track(e);
    this.emit(e);
  }

  private track(e: GatewayEvent): void {
    if (e.type === 'backend.state') this.backendStates.set(e.backend, e.state);
    else if (e.type === 'session.opened') this.openSessions.add(e.sessionId);
    else if (e.type === 'session.closed') this.openSessions.delete(e.sessionId);
    else if (e.type === 'catalog.changed' && e.kind === 'tools') this.sawToolCatalog = true;
  }

  private emit(e: GatewayEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // A subscriber bug must not end the stream.
      }
    }
  }

  /** Fills in, as events, what the status says and the events have not (yet) told us. */
  private async pollStatus(): Promise<void> {
    let s: AdminStatus;
    try {
      s = await this.client.status(this.abort?.signal);
    } catch {
      return; // the stream's own failure handling says what is wrong
    }
    if (this.closed || this.linkState.state !== 'connected') return;
    const at = Date.now();
    const synth = (e: GatewayEvent) => {
      this.track(e);
      this.emit(e);
    };
    if (s.url) {
      const u = new URL(s.url);
      synth({ type: 'gateway.listening', at, url: s.url, host: u.hostname, port: Number(u.port), transports: ['streamable-http', 'sse'] });
    }
    for (const b of s.backends) {
      if (this.backendStates.get(b.name) === b.state) continue;
      synth({ type: 'backend.state', at, backend: b.name, state: b.state, ...(b.reason ? { reason: b.reason } : {}), tools: b.tools, resources: b.resources, prompts: b.prompts, ...(b.protocolVersion ? { protocolVersion: b.protocolVersion } : {}), ...(b.serverName ? { serverName: b.serverName } : {}), ...(b.serverVersion ? { serverVersion: b.serverVersion } : {}) });
    }
    for (const x of s.sessionList ?? []) {
      if (this.openSessions.has(x.id)) continue;
      synth({ type: 'session.opened', at: Date.parse(x.createdAt) || at, sessionId: x.id, client: x.client, era: x.era, transport: x.transport, ...(x.subject ? { identity: x.subject } : {}) });
    }
    if (!this.sawToolCatalog && s.exposedTools.length > 0) {
      synth({ type: 'catalog.changed', at, kind: 'tools', diff: { added: s.exposedTools.map((t) => t.name), removed: [], changed: [] }, total: s.catalog.tools, entries: s.exposedTools.map((t) => ({ name: t.name, backend: t.backend })) });
    }
  }

  private setLink(change: Partial<LinkState>): void {
    const next = { ...this.linkState, ...change };
    if (change.state && change.state !== this.linkState.state) next.since = Date.now();
    this.linkState = next;
    for (const l of [...this.linkListeners]) l();
  }
}

function describe(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  if (err?.cause?.code) return `${err.message ?? 'fetch failed'} (${err.cause.code})`;
  return err?.message ?? String(e);
}
