import type { BackendState, CallOutcome, GatewayEvent } from '../core/events.js';
import type { EventSource } from '../core/log/logger.js';
import { redactString } from '../core/log/redact.js';
import { singleLine } from '../core/log/text.js';

export type { EventSource } from '../core/log/logger.js';

export interface CallCounters {
  readonly total: number;
  readonly ok: number;
  readonly toolError: number;
  readonly error: number;
  readonly timeout: number;
  readonly cancelled: number;
}

/** `unknown`: calls name a backend we have no state for (the dashboard attached after it started). */
export type BackendViewState = BackendState | 'unknown';

export interface BackendView {
  readonly name: string;
  readonly state: BackendViewState;
  /** Why it is in this state (failures, degraded, disabled); cleared when a state arrives without one. */
  readonly reason?: string;
  readonly tools?: number;
  readonly resources?: number;
  readonly prompts?: number;
  readonly protocolVersion?: string;
  readonly serverName?: string;
  readonly serverVersion?: string;
  /** Absolute time of the next reconnect attempt, when the gateway announced one. */
  readonly retryAt?: number;
  /** When the state last changed. */
  readonly since: number;
  readonly updatedAt: number;
  readonly calls: CallCounters;
  readonly inFlight: number;
  /** Sum of finished call durations, for averages. */
  readonly totalDurationMs: number;
  /** Last stderr lines (newest last), redacted and made single-line. */
  readonly stderrTail: readonly string[];
}

export interface CallView {
  /** Arrival order, unique within one store; stable across snapshots, so selection can key on it. */
  readonly seq: number;
  readonly callId: string;
  readonly client: string;
  readonly sessionId?: string;
  readonly method: string;
  readonly name?: string;
  readonly backend?: string;
  readonly startedAt: number;
  readonly requestBytes?: number;
  /** Undefined while in flight. */
  readonly outcome?: CallOutcome;
  readonly finishedAt?: number;
  readonly durationMs?: number;
  readonly responseBytes?: number;
  readonly error?: string;
}

export type WarningKind = 'naming' | 'relay' | 'auth' | 'backend';

export interface WarningView {
  readonly at: number;
  readonly kind: WarningKind;
  readonly message: string;
  readonly backend?: string;
}

export interface CatalogTotals {
  readonly tools?: number;
  readonly resources?: number;
  readonly resourceTemplates?: number;
  readonly prompts?: number;
}

export type GatewayPhase = 'starting' | 'listening' | 'stopping' | 'stopped';

export interface SessionCounts {
  readonly open: number;
  readonly legacy: number;
  readonly modern: number;
}

/** Everything the dashboard shows, immutable. A new object per publish; unchanged parts keep identity. */
export interface DashboardSnapshot {
  /** Increments on every publish. */
  readonly version: number;
  readonly endpoint?: string;
  readonly transports: readonly string[];
  readonly startedAt: number;
  readonly phase: GatewayPhase;
  readonly stopReason?: string;
  /** In first-seen order. */
  readonly backends: readonly BackendView[];
  /** Oldest first, at most `maxCalls`. In-flight calls are updated in place when they finish. */
  readonly calls: readonly CallView[];
  readonly inFlight: number;
  readonly totals: CallCounters;
  readonly catalog: CatalogTotals;
  readonly sessions: SessionCounts;
  /** Newest last, at most `maxWarnings`. */
  readonly warnings: readonly WarningView[];
  readonly events: number;
  readonly lastEventAt?: number;
}

export interface DashboardStoreOptions {
  /** Shown until (or instead of) the URL in `gateway.listening`. */
  endpoint?: string;
  startedAt?: number;
  /** Minimum time between two notifications. Default 100 ms. */
  throttleMs?: number;
  /** Size of the recent-calls ring. Default 500. */
  maxCalls?: number;
  maxWarnings?: number;
  stderrLines?: number;
  /**
   * Backends known before any event, e.g. from config, so disabled ones show too and order follows the
   * config. Later `backend.state` events update them.
   */
  backends?: ReadonlyArray<{ name: string; state?: BackendState }>;
  now?: () => number;
}

const ZERO: CallCounters = Object.freeze({ total: 0, ok: 0, toolError: 0, error: 0, timeout: 0, cancelled: 0 });

/** Bounds that keep a misbehaving event stream from growing the dashboard's memory. */
const MAX_IN_FLIGHT = 10_000;
const MAX_SESSIONS = 50_000;
const MAX_TEXT = 500;

interface BackendRecord {
  name: string;
  state: BackendViewState;
  reason?: string;
  tools?: number;
  resources?: number;
  prompts?: number;
  protocolVersion?: string;
  serverName?: string;
  serverVersion?: string;
  retryAt?: number;
  since: number;
  updatedAt: number;
  calls: CallCounters;
  inFlight: number;
  totalDurationMs: number;
  stderrTail: string[];
  /** Cached immutable view; dropped whenever the record changes. */
  view?: BackendView;
}

/**
 * Folds gateway events into dashboard state. Synchronous and side-effect free apart from its own
 * fields: folding costs O(1) per event, and the immutable snapshot is built only when asked for
 * (once per throttle window), so a burst of calls never costs the gateway more than a few map updates.
 */
export class DashboardModel {
  private readonly maxCalls: number;
  private readonly maxWarnings: number;
  private readonly stderrLines: number;
  private endpoint?: string;
  private transports: readonly string[] = [];
  private readonly startedAt: number;
  private phase: GatewayPhase = 'starting';
  private stopReason?: string;
  private readonly backends = new Map<string, BackendRecord>();
  private readonly ring: Array<CallView | undefined>;
  private nextSeq = 0;
  private readonly inFlight = new Map<string, { seq: number; backend?: string }>();
  private totals: CallCounters = ZERO;
  private catalog: CatalogTotals = {};
  private readonly sessions = new Map<string, 'legacy' | 'modern'>();
  private warnings: WarningView[] = [];
  private events = 0;
  private lastEventAt?: number;
  private version = 0;
  private readonly textCache = new Map<string, string>();

  constructor(options: DashboardStoreOptions = {}) {
    const now = options.now ?? (() => Date.now());
    this.maxCalls = Math.max(1, options.maxCalls ?? 500);
    this.maxWarnings = Math.max(1, options.maxWarnings ?? 50);
    this.stderrLines = Math.max(1, options.stderrLines ?? 20);
    this.endpoint = options.endpoint;
    this.startedAt = options.startedAt ?? now();
    this.ring = new Array<CallView | undefined>(this.maxCalls);
    for (const b of options.backends ?? []) {
      this.backend(b.name, this.startedAt).state = b.state ?? 'starting';
    }
  }

  apply(e: GatewayEvent): void {
    this.events++;
    this.lastEventAt = e.at;
    switch (e.type) {
      case 'gateway.listening':
        this.phase = 'listening';
        this.endpoint = this.clean(e.url);
        this.transports = e.transports.map((t) => this.name(t));
        break;
      case 'gateway.stopping':
        this.phase = 'stopping';
        this.stopReason = this.clean(e.reason);
        break;
      case 'gateway.stopped':
        this.phase = 'stopped';
        break;
      case 'backend.state': {
        const b = this.backend(this.name(e.backend), e.at);
        if (b.state !== e.state) b.since = e.at;
        b.state = e.state;
        b.reason = e.reason === undefined ? undefined : this.clean(e.reason);
        if (e.tools !== undefined) b.tools = e.tools;
        if (e.resources !== undefined) b.resources = e.resources;
        if (e.prompts !== undefined) b.prompts = e.prompts;
        if (e.protocolVersion !== undefined) b.protocolVersion = this.name(e.protocolVersion);
        if (e.serverName !== undefined) b.serverName = this.clean(e.serverName);
        if (e.serverVersion !== undefined) b.serverVersion = this.clean(e.serverVersion);
        b.retryAt = e.retryInMs === undefined ? undefined : e.at + e.retryInMs;
        b.updatedAt = e.at;
        b.view = undefined;
        if (e.state === 'failed' || e.state === 'degraded') {
          this.warn({ at: e.at, kind: 'backend', backend: b.name, message: `${b.name} ${e.state}${b.reason ? `: ${b.reason}` : ''}` });
        }
        break;
      }
      case 'backend.stderr': {
        const b = this.backend(this.name(e.backend), e.at);
        b.stderrTail.push(this.clean(e.line));
        if (b.stderrTail.length > this.stderrLines) b.stderrTail.splice(0, b.stderrTail.length - this.stderrLines);
        b.view = undefined;
        break;
      }
      case 'catalog.changed':
        this.catalog = { ...this.catalog, [e.kind]: e.total };
        break;
      case 'naming.warning':
        this.warn({ at: e.at, kind: 'naming', backend: e.backend === undefined ? undefined : this.name(e.backend), message: this.clean(e.message) });
        break;
      case 'relay.unattributed':
        this.warn({ at: e.at, kind: 'relay', backend: this.name(e.backend), message: `${this.name(e.backend)}: ${this.name(e.method)} not attributed (${this.clean(e.reason)})` });
        break;
      case 'auth.failed':
        this.warn({ at: e.at, kind: 'auth', message: `auth failed${e.remote ? ` from ${this.clean(e.remote)}` : ''}: ${this.clean(e.reason)}` });
        break;
      case 'session.opened':
        if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
        this.sessions.set(e.sessionId, e.era);
        break;
      case 'session.closed':
        this.sessions.delete(e.sessionId);
        break;
      case 'call.started':
        this.callStarted(e);
        break;
      case 'call.finished':
        this.callFinished(e);
        break;
      default:
        // Event types newer than this dashboard are counted (events, lastEventAt) and otherwise ignored.
        break;
    }
  }

  snapshot(): DashboardSnapshot {
    const backends: BackendView[] = [];
    for (const b of this.backends.values()) backends.push((b.view ??= freezeView(b)));
    let legacy = 0;
    for (const era of this.sessions.values()) if (era === 'legacy') legacy++;
    return Object.freeze({
      version: ++this.version,
      endpoint: this.endpoint,
      transports: this.transports,
      startedAt: this.startedAt,
      phase: this.phase,
      stopReason: this.stopReason,
      backends: Object.freeze(backends),
      calls: Object.freeze(this.orderedCalls()),
      inFlight: this.inFlight.size,
      totals: this.totals,
      catalog: this.catalog,
      sessions: Object.freeze({ open: this.sessions.size, legacy, modern: this.sessions.size - legacy }),
      warnings: Object.freeze(this.warnings.slice()),
      events: this.events,
      lastEventAt: this.lastEventAt,
    });
  }

  private callStarted(e: Extract<GatewayEvent, { type: 'call.started' }>): void {
    const backend = e.backend === undefined ? undefined : this.name(e.backend);
    const previous = this.inFlight.get(e.callId);
    if (previous) this.settleInFlight(e.callId, previous.backend);
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      // A finish that never came; forget the oldest so counts stay bounded.
      const [oldestId, oldest] = this.inFlight.entries().next().value as [string, { backend?: string }];
      this.settleInFlight(oldestId, oldest.backend);
    }
    const call: CallView = Object.freeze({
      seq: this.nextSeq,
      callId: this.name(e.callId),
      client: this.name(e.client),
      sessionId: e.sessionId === undefined ? undefined : this.name(e.sessionId),
      method: this.name(e.method),
      name: e.name === undefined ? undefined : this.name(e.name),
      backend,
      startedAt: e.at,
      requestBytes: e.requestBytes,
    });
    this.push(call);
    this.inFlight.set(e.callId, { seq: call.seq, backend });
    if (backend !== undefined) {
      const b = this.backend(backend, e.at);
      b.inFlight++;
      b.view = undefined;
    }
  }

  private callFinished(e: Extract<GatewayEvent, { type: 'call.finished' }>): void {
    const pending = this.inFlight.get(e.callId);
    const backend = e.backend === undefined ? pending?.backend : this.name(e.backend);
    if (pending) this.settleInFlight(e.callId, pending.backend);
    const slot = pending ? pending.seq % this.maxCalls : -1;
    const started = slot >= 0 && this.ring[slot]?.seq === pending?.seq ? this.ring[slot] : undefined;
    const finished: Partial<CallView> = {
      outcome: e.outcome,
      finishedAt: e.at,
      durationMs: e.durationMs,
      responseBytes: e.responseBytes,
      error: e.error === undefined ? undefined : this.clean(e.error),
    };
    if (started) {
      this.ring[slot] = Object.freeze({ ...started, ...finished, backend: started.backend ?? backend });
    } else {
      // Started before we attached, or already scrolled out of the ring: show it as a finished row.
      this.push(
        Object.freeze({
          seq: this.nextSeq,
          callId: this.name(e.callId),
          client: this.name(e.client),
          sessionId: e.sessionId === undefined ? undefined : this.name(e.sessionId),
          method: this.name(e.method),
          name: e.name === undefined ? undefined : this.name(e.name),
          backend,
          startedAt: e.at - e.durationMs,
          ...finished,
        }),
      );
    }
    this.totals = count(this.totals, e.outcome);
    if (backend !== undefined) {
      const b = this.backend(backend, e.at);
      b.calls = count(b.calls, e.outcome);
      b.totalDurationMs += e.durationMs;
      b.view = undefined;
    }
  }

  private settleInFlight(callId: string, backend: string | undefined): void {
    this.inFlight.delete(callId);
    if (backend === undefined) return;
    const b = this.backends.get(backend);
    if (b && b.inFlight > 0) {
      b.inFlight--;
      b.view = undefined;
    }
  }

  private push(call: CallView): void {
    this.ring[call.seq % this.maxCalls] = call;
    this.nextSeq = call.seq + 1;
  }

  private orderedCalls(): CallView[] {
    const n = Math.min(this.nextSeq, this.maxCalls);
    const out = new Array<CallView>(n);
    const first = this.nextSeq - n;
    for (let i = 0; i < n; i++) out[i] = this.ring[(first + i) % this.maxCalls] as CallView;
    return out;
  }

  private backend(name: string, at: number): BackendRecord {
    let b = this.backends.get(name);
    if (!b) {
      b = { name, state: 'unknown', since: at, updatedAt: at, calls: ZERO, inFlight: 0, totalDurationMs: 0, stderrTail: [] };
      this.backends.set(name, b);
    }
    return b;
  }

  private warn(w: WarningView): void {
    this.warnings.push(Object.freeze(w));
    if (this.warnings.length > this.maxWarnings) this.warnings.splice(0, this.warnings.length - this.maxWarnings);
  }

  /** Free text: redacted, one line, bounded. */
  private clean(s: string): string {
    const one = singleLine(redactString(s));
    return one.length > MAX_TEXT ? `${one.slice(0, MAX_TEXT - 1)}…` : one;
  }

  /**
   * Names and ids repeat on every call, so their cleaned form is cached. Still redacted: a client may
   * put anything in its name.
   */
  private name(s: string): string {
    const hit = this.textCache.get(s);
    if (hit !== undefined) return hit;
    const out = this.clean(s);
    if (this.textCache.size >= 2000) this.textCache.clear();
    this.textCache.set(s, out);
    return out;
  }
}

function count(c: CallCounters, outcome: CallOutcome): CallCounters {
  return Object.freeze({
    total: c.total + 1,
    ok: c.ok + (outcome === 'ok' ? 1 : 0),
    toolError: c.toolError + (outcome === 'tool-error' ? 1 : 0),
    error: c.error + (outcome === 'error' ? 1 : 0),
    timeout: c.timeout + (outcome === 'timeout' ? 1 : 0),
    cancelled: c.cancelled + (outcome === 'cancelled' ? 1 : 0),
  });
}

function freezeView(b: BackendRecord): BackendView {
  const { view: _view, stderrTail, ...rest } = b;
  return Object.freeze({ ...rest, stderrTail: Object.freeze(stderrTail.slice()) });
}

/** What components need from a store; the remote-attach store of phase E implements the same. */
export interface SnapshotSource {
  subscribe(listener: () => void): () => void;
  getSnapshot(): DashboardSnapshot;
}

/**
 * Subscribes a DashboardModel to an event source and publishes snapshots for useSyncExternalStore.
 * Listeners are called from a timer, at most once per `throttleMs`, never from inside `emit`: the
 * gateway's emit returns after an O(1) fold and never runs React.
 */
export class DashboardStore implements SnapshotSource {
  private readonly model: DashboardModel;
  private readonly throttleMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeSource: () => void;
  private snapshot: DashboardSnapshot;
  private dirty = false;
  private lastPublish = Number.NEGATIVE_INFINITY;
  private timer?: ReturnType<typeof setTimeout>;
  private disposed = false;

  constructor(source: EventSource, options: DashboardStoreOptions = {}) {
    this.model = new DashboardModel(options);
    this.throttleMs = Math.max(0, options.throttleMs ?? 100);
    this.now = options.now ?? (() => Date.now());
    this.snapshot = this.model.snapshot();
    this.unsubscribeSource = source.onAny((e) => this.receive(e));
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Stable between publishes, as useSyncExternalStore requires. */
  readonly getSnapshot = (): DashboardSnapshot => {
    // Nobody is listening yet (first render, tests): there is no render to throttle, so be current.
    if (this.dirty && this.listeners.size === 0) this.publish();
    return this.snapshot;
  };

  /** Publishes pending changes now, e.g. before a final frame on shutdown. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty) this.publish();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribeSource();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private receive(e: GatewayEvent): void {
    if (this.disposed) return;
    this.model.apply(e);
    this.dirty = true;
    if (this.timer) return;
    const wait = Math.max(0, this.lastPublish + this.throttleMs - this.now());
    this.timer = setTimeout(this.onTimer, wait);
    // The dashboard must never be the reason the process stays up.
    this.timer.unref?.();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.dirty && !this.disposed) this.publish();
  };

  private publish(): void {
    this.dirty = false;
    this.snapshot = this.model.snapshot();
    this.lastPublish = this.now();
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // A rendering bug must not stop other listeners or the next publish.
      }
    }
  }
}
