import type { BackendState, CallOutcome, GatewayEvent } from '../core/events.js';
import type { PlanView } from '../core/admin/approvals.js';
import { ApprovalsTable } from './approvals-table.js';
import { CatalogIndex } from './catalog-index.js';
import { PinsTable } from './pins-table.js';
import type { PinChange } from '../core/admin/pins.js';
import { RingBuffer } from './ring-buffer.js';
import { SessionTable } from './session-table.js';
import { TaskTable } from './task-table.js';
import type { BackendView, BackendViewState, CallCounters, CallView, DashboardSnapshot, ErrorView, GatewayPhase, LinkView, StateChange, WarningView } from './snapshot.js';
import { cleanBlock, cleanLine, prettyJson } from './text.js';
import { count, freezeView } from './model-views.js';

export interface DashboardModelOptions {
  /** Shown until (or instead of) the URL in `gateway.listening`. */
  endpoint?: string;
  startedAt?: number;
  /** Size of the recent-calls ring. Default 500. */
  maxCalls?: number;
  maxWarnings?: number;
  /** Size of the error history. Default 200. */
  maxErrors?: number;
  stderrLines?: number;
  /** State changes kept per backend. Default 30. */
  historyLength?: number;
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
const MAX_BACKENDS = 1_000;

interface BackendRecord {
  name: string;
  state: BackendViewState;
  reason?: string;
  tools?: number;
  resources?: number;
  prompts?: number;
  protocolVersion?: string;
  era?: 'legacy' | 'modern';
  serverName?: string;
  serverVersion?: string;
  retryAt?: number;
  since: number;
  updatedAt: number;
  calls: CallCounters;
  inFlight: number;
  totalDurationMs: number;
  stderrTail: RingBuffer<string>;
  history: RingBuffer<StateChange>;
  restarts: number;
  /** Cached immutable view; dropped whenever the record changes. */
  view?: BackendView;
}

/**
 * Folds gateway events into dashboard state. Synchronous and side-effect free apart from its own
 * fields: folding costs O(1) per event (catalog diffs: per name), and the immutable snapshot is built
 * only when asked for (once per throttle window), so a burst of calls costs the gateway a few map updates.
 */
export class DashboardModel {
  private readonly stderrLines: number;
  private readonly historyLength: number;
  private endpoint?: string;
  private transports: readonly string[] = [];
  private readonly startedAt: number;
  private phase: GatewayPhase = 'starting';
  private stopReason?: string;
  private readonly backends = new Map<string, BackendRecord>();
  private readonly calls: RingBuffer<{ call: CallView }>;
  private nextSeq = 0;
  /** In-flight calls by id, pointing at the live row so a finish can replace it. */
  private readonly inFlight = new Map<string, { seq: number; backend?: string; row: { call: CallView } }>();
  private totals: CallCounters = ZERO;
  private readonly catalog = new CatalogIndex();
  private readonly sessions = new SessionTable();
  private readonly plans = new ApprovalsTable();
  private readonly pins = new PinsTable();
  private readonly tasks = new TaskTable();
  private link?: LinkView;
  private readonly warnings: RingBuffer<WarningView>;
  private readonly errors: RingBuffer<ErrorView>;
  private nextErrorSeq = 0;
  private events = 0;
  private lastEventAt?: number;
  private version = 0;
  private readonly textCache = new Map<string, string>();

  constructor(options: DashboardModelOptions = {}) {
    const now = options.now ?? (() => Date.now());
    this.calls = new RingBuffer(Math.max(1, options.maxCalls ?? 500));
    this.warnings = new RingBuffer(Math.max(1, options.maxWarnings ?? 50));
    this.errors = new RingBuffer(Math.max(1, options.maxErrors ?? 200));
    this.stderrLines = Math.max(1, options.stderrLines ?? 20);
    this.historyLength = Math.max(1, options.historyLength ?? 30);
    this.endpoint = options.endpoint;
    this.startedAt = options.startedAt ?? now();
    for (const b of options.backends ?? []) {
      const r = this.backend(b.name, this.startedAt);
      r.state = b.state ?? 'starting';
      r.history.push(Object.freeze({ at: this.startedAt, state: r.state }));
    }
  }

  apply(e: GatewayEvent): void {
    this.events++;
    this.lastEventAt = e.at;
    switch (e.type) {
      case 'gateway.listening':
        this.phase = 'listening';
        this.endpoint = cleanLine(e.url);
        this.transports = e.transports.map((t) => this.name(t));
        break;
      case 'gateway.stopping':
        this.phase = 'stopping';
        this.stopReason = cleanLine(e.reason);
        break;
      case 'gateway.stopped':
        this.phase = 'stopped';
        break;
      case 'backend.state':
        this.backendState(e);
        break;
      case 'backend.stderr': {
        const b = this.backend(this.name(e.backend), e.at);
        b.stderrTail.push(cleanLine(e.line));
        b.view = undefined;
        break;
      }
      case 'catalog.changed':
        this.catalog.applyCatalog(e);
        break;
      case 'catalog.pin_held':
        this.pins.pinHeld(e);
        break;
      case 'catalog.pin_accepted':
        this.pins.accepted(e);
        break;
      case 'alias.used':
        this.catalog.applyAlias(e);
        break;
      case 'naming.warning':
        this.warn({ at: e.at, kind: 'naming', backend: e.backend === undefined ? undefined : this.name(e.backend), message: cleanLine(e.message) }, e.message);
        break;
      case 'relay.unattributed':
        this.warn({ at: e.at, kind: 'relay', backend: this.name(e.backend), message: `${this.name(e.backend)}: ${this.name(e.method)} not attributed (${cleanLine(e.reason)})` });
        break;
      case 'backend.invalid': {
        // The whole reason list goes to the error history; the warning line says how many were dropped.
        const name = this.name(e.backend);
        this.warn(
          { at: e.at, kind: 'backend', backend: name, message: `${name}: dropped ${e.dropped} invalid ${e.kind === 'result' ? 'result' : e.kind}: ${cleanLine(e.reasons[0] ?? '')}` },
          `${name} sent ${e.dropped} invalid ${e.kind}; the gateway dropped them and serves the rest:\n${e.reasons.join('\n')}`,
        );
        break;
      }
      case 'backend.warning':
        this.warn({ at: e.at, kind: 'backend', backend: this.name(e.backend), message: `${this.name(e.backend)}: ${cleanLine(e.message)}` }, e.message);
        break;
      case 'backend.suppressed':
        this.warn({ at: e.at, kind: 'backend', backend: this.name(e.backend), message: `${this.name(e.backend)}: ${e.count} more ${e.source} lines in the last ${Math.round(e.windowMs / 1000)} s (${e.totalDropped} dropped so far)` });
        break;
      case 'config.invalid':
        this.warn({ at: e.at, kind: 'config', message: `config not applied (${cleanLine(e.source)}): ${cleanLine(e.error)}` }, `${e.error}${e.hint ? `\n${e.hint}` : ''}`);
        break;
      case 'ratelimit.degraded':
        this.warn({ at: e.at, kind: 'ratelimit', message: `rate limits ${e.failOpen ? 'not enforced (fail open)' : 'refusing calls (fail closed)'}: ${cleanLine(e.reason)}` });
        break;
      case 'auth.failed':
        this.warn({ at: e.at, kind: 'auth', message: `auth failed${e.remote ? ` from ${cleanLine(e.remote)}` : ''}: ${cleanLine(e.reason)}` });
        break;
      case 'session.opened':
        this.sessions.opened(e);
        break;
      case 'session.closed':
        this.sessions.closedEvent(e);
        break;
      case 'call.started':
        this.callStarted(e);
        break;
      case 'call.finished':
        this.callFinished(e);
        break;
      case 'approval.changed':
        this.plans.changed(e);
        break;
      case 'task.changed':
        this.tasks.changed(e);
        break;
      default:
        // Event types newer than this dashboard are counted (events, lastEventAt) and otherwise ignored.
        break;
    }
  }

  /** The admin API's plan list (the approvals view); events keep it current in between. */
  setPlans(plans: readonly PlanView[], at: number): void {
    this.plans.setPlans(plans, at);
  }

  /** The admin API's held tools with their diffs (the catalog view); pin events keep it current in between. */
  setPins(pins: readonly PinChange[]): void {
    this.pins.setPins(pins);
  }

  /** An attached dashboard's link state, for the header. */
  setLink(link: LinkView | undefined): void {
    this.link = link === undefined ? undefined : Object.freeze({ ...link, ...(link.error !== undefined ? { error: cleanLine(link.error) } : {}) });
  }

  /** `busy`: published in the slower under-load cadence (see DashboardStoreOptions.busy). */
  snapshot(busy = false): DashboardSnapshot {
    const backends: BackendView[] = [];
    for (const b of this.backends.values()) backends.push((b.view ??= freezeView(b)));
    return Object.freeze({
      version: ++this.version,
      endpoint: this.endpoint,
      transports: this.transports,
      startedAt: this.startedAt,
      phase: this.phase,
      stopReason: this.stopReason,
      backends: Object.freeze(backends),
      calls: Object.freeze(this.calls.toArray().map((r) => r.call)),
      inFlight: this.inFlight.size,
      totals: this.totals,
      catalog: this.catalog.totals,
      catalogEntries: this.catalog.entryView(),
      pins: this.pins.view(),
      aliases: this.catalog.aliasView(),
      sessions: this.sessions.counts(),
      sessionList: this.sessions.view(),
      warnings: Object.freeze(this.warnings.toArray()),
      errors: Object.freeze(this.errors.toArray()),
      events: this.events,
      lastEventAt: this.lastEventAt,
      approvals: this.plans.view(),
      tasks: this.tasks.view(),
      link: this.link,
      busy,
    });
  }

  private backendState(e: Extract<GatewayEvent, { type: 'backend.state' }>): void {
    const b = this.backend(this.name(e.backend), e.at);
    const previous = b.state;
    if (previous !== e.state) b.since = e.at;
    // A return to starting after the backend had been up (or had failed) is a restart.
    if (e.state === 'starting' && (previous === 'ready' || previous === 'degraded' || previous === 'failed')) b.restarts++;
    b.state = e.state;
    b.reason = e.reason === undefined ? undefined : cleanLine(e.reason);
    if (e.tools !== undefined) b.tools = e.tools;
    if (e.resources !== undefined) b.resources = e.resources;
    if (e.prompts !== undefined) b.prompts = e.prompts;
    if (e.protocolVersion !== undefined) {
      b.protocolVersion = this.name(e.protocolVersion);
      b.era = b.protocolVersion >= '2026-07-28' ? 'modern' : 'legacy';
    }
    if (e.serverName !== undefined) b.serverName = cleanLine(e.serverName);
    if (e.serverVersion !== undefined) b.serverVersion = cleanLine(e.serverVersion);
    b.retryAt = e.retryInMs === undefined ? undefined : e.at + e.retryInMs;
    b.updatedAt = e.at;
    b.history.push(Object.freeze({ at: e.at, state: e.state, reason: b.reason, retryAt: b.retryAt }));
    b.view = undefined;
    if (e.state === 'failed' || e.state === 'degraded') {
      this.warn({ at: e.at, kind: 'backend', backend: b.name, message: `${b.name} ${e.state}${b.reason ? `: ${b.reason}` : ''}` }, e.reason === undefined ? undefined : `${b.name} ${e.state}: ${e.reason}`);
    }
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
      seq: this.nextSeq++,
      callId: this.name(e.callId),
      client: this.name(e.client),
      sessionId: e.sessionId === undefined ? undefined : this.name(e.sessionId),
      identity: e.identity === undefined ? undefined : this.name(e.identity),
      traceId: e.traceId === undefined ? undefined : this.name(e.traceId),
      method: this.name(e.method),
      name: e.name === undefined ? undefined : this.name(e.name),
      backend,
      startedAt: e.at,
      requestBytes: e.requestBytes,
      arguments: e.arguments === undefined ? undefined : prettyJson(e.arguments),
    });
    const row = { call };
    this.calls.push(row);
    this.inFlight.set(e.callId, { seq: call.seq, backend, row });
    this.sessions.touched(e.sessionId, e.at);
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
    const finished = {
      outcome: e.outcome,
      finishedAt: e.at,
      durationMs: e.durationMs,
      responseBytes: e.responseBytes,
      error: e.error === undefined ? undefined : cleanBlock(e.error),
      result: e.result === undefined ? undefined : cleanBlock(e.result),
    };
    let call: CallView;
    // Every pushed row takes the next seq, so the ring holds exactly the last `capacity` seqs.
    if (pending && pending.seq >= this.nextSeq - this.calls.capacity) {
      // The row object is shared with the ring: replacing its call updates the list in place.
      call = Object.freeze({ ...pending.row.call, ...finished, backend: pending.row.call.backend ?? backend });
      pending.row.call = call;
    } else {
      // Started before we attached, or already scrolled out of the ring: show it as a finished row.
      call = Object.freeze({
        seq: this.nextSeq++,
        callId: this.name(e.callId),
        client: this.name(e.client),
        sessionId: e.sessionId === undefined ? undefined : this.name(e.sessionId),
        method: this.name(e.method),
        name: e.name === undefined ? undefined : this.name(e.name),
        backend,
        startedAt: e.at - e.durationMs,
        ...finished,
      });
      this.calls.push({ call });
    }
    this.totals = count(this.totals, e.outcome);
    if (e.outcome !== 'ok') {
      const what = call.name ?? call.method;
      const text = call.error ?? call.result ?? `${e.outcome} (no error text in the event)`;
      this.recordError({ at: e.at, kind: 'call', backend, callSeq: call.seq, summary: cleanLine(`${what} ${e.outcome}: ${text}`), text });
    }
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

  private backend(name: string, at: number): BackendRecord {
    let b = this.backends.get(name);
    if (!b) {
      if (this.backends.size >= MAX_BACKENDS) this.backends.delete(this.backends.keys().next().value as string);
      b = {
        name,
        state: 'unknown',
        since: at,
        updatedAt: at,
        calls: ZERO,
        inFlight: 0,
        totalDurationMs: 0,
        stderrTail: new RingBuffer(this.stderrLines),
        history: new RingBuffer(this.historyLength),
        restarts: 0,
      };
      this.backends.set(name, b);
    }
    return b;
  }

  /** A warning is also an error-history entry, with its whole text when there is more than the line. */
  private warn(w: WarningView, whole?: string): void {
    this.warnings.push(Object.freeze(w));
    this.recordError({ at: w.at, kind: w.kind, backend: w.backend, summary: w.message, text: whole === undefined ? w.message : cleanBlock(whole) });
  }

  private recordError(e: Omit<ErrorView, 'seq'>): void {
    this.errors.push(Object.freeze({ seq: this.nextErrorSeq++, ...e }));
  }

  /**
   * Names and ids repeat on every call, so their cleaned form is cached. Still redacted: a client may
   * put anything in its name.
   */
  private name(s: string): string {
    const hit = this.textCache.get(s);
    if (hit !== undefined) return hit;
    const out = cleanLine(s);
    if (this.textCache.size >= 2000) this.textCache.clear();
    this.textCache.set(s, out);
    return out;
  }
}
