import type { BackendState, CallOutcome } from '../core/events.js';

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

export interface StateChange {
  readonly at: number;
  readonly state: BackendViewState;
  readonly reason?: string;
  readonly retryAt?: number;
}

export interface BackendView {
  readonly name: string;
  readonly state: BackendViewState;
  /** Why it is in this state (failures, degraded, disabled); cleared when a state arrives without one. */
  readonly reason?: string;
  readonly tools?: number;
  readonly resources?: number;
  readonly prompts?: number;
  readonly protocolVersion?: string;
  /** Derived from the protocol version: 2026-07-28 and later are stateless (modern). */
  readonly era?: 'legacy' | 'modern';
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
  /** State changes, oldest first, bounded. */
  readonly history: readonly StateChange[];
  /** Times it went back to starting after having been up or failed. */
  readonly restarts: number;
}

export interface CallView {
  /** Arrival order, unique within one store; stable across snapshots, so selection can key on it. */
  readonly seq: number;
  readonly callId: string;
  readonly client: string;
  readonly sessionId?: string;
  readonly identity?: string;
  readonly traceId?: string;
  readonly method: string;
  readonly name?: string;
  readonly backend?: string;
  readonly startedAt: number;
  readonly requestBytes?: number;
  /** Redacted JSON of the arguments, when the event carried them. */
  readonly arguments?: string;
  /** Undefined while in flight. */
  readonly outcome?: CallOutcome;
  readonly finishedAt?: number;
  readonly durationMs?: number;
  readonly responseBytes?: number;
  /** Whole error text (redacted, newlines kept), for detail views. */
  readonly error?: string;
  readonly result?: string;
}

export type WarningKind = 'naming' | 'relay' | 'auth' | 'backend' | 'config' | 'ratelimit';

export interface WarningView {
  readonly at: number;
  readonly kind: WarningKind;
  readonly message: string;
  readonly backend?: string;
}

export type ErrorKind = WarningKind | 'call';

/** One entry of the error history: every warning and every failed call, whole text. */
export interface ErrorView {
  readonly seq: number;
  readonly at: number;
  readonly kind: ErrorKind;
  /** One-line summary for lists. */
  readonly summary: string;
  /** Whole text, newlines kept, for the detail view. */
  readonly text: string;
  readonly backend?: string;
  /** The call it came from, to open it. */
  readonly callSeq?: number;
}

export interface CatalogTotals {
  readonly tools?: number;
  readonly resources?: number;
  readonly resourceTemplates?: number;
  readonly prompts?: number;
}

export type CatalogKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

/** A tool withheld by pinning until a person accepts its change (the catalog view). */
export interface PinView {
  readonly backend: string;
  /** The backend's native name. */
  readonly tool: string;
  readonly reason: 'changed' | 'new';
  /** description, inputSchema, outputSchema, annotations. */
  readonly changes: readonly string[];
  readonly since: number;
  /** Unified diff of the accepted version against the served one; undefined until the admin API's list arrives. */
  readonly diff?: string;
}

export interface CatalogEntryView {
  readonly kind: CatalogKind;
  readonly name: string;
  readonly backend?: string;
  readonly description?: string;
  /** Pretty JSON of the schema, when the event carried it. */
  readonly schema?: string;
  /** A tool's approval policy ("guarded: …"), and its constrained arguments. */
  readonly policy?: string;
  readonly constraints?: readonly string[];
  readonly since: number;
}

export interface AliasView {
  readonly alias: string;
  readonly target: string;
  readonly uses: number;
  readonly expiredUses: number;
  readonly lastClient: string;
  readonly lastAt: number;
}

export interface SessionView {
  readonly id: string;
  readonly client: string;
  readonly era: 'legacy' | 'modern';
  readonly transport: string;
  readonly identity?: string;
  readonly openedAt: number;
  /** Last call seen on it (or when it opened). */
  readonly lastActiveAt: number;
  readonly calls: number;
  readonly closedAt?: number;
  readonly closeReason?: string;
}

/** One plan of a guarded call (from the admin API, kept current by approval.changed events). */
export interface ApprovalView {
  readonly id: string;
  readonly state: string;
  readonly backend: string;
  readonly tool: string;
  readonly exposedName?: string;
  /** Redacted summary of what will be sent. */
  readonly summary: string;
  readonly digest: string;
  /** Pretty JSON of the redacted arguments, once the admin API has sent them. */
  readonly arguments?: string;
  /** Who asked: client, and subject when authenticated. */
  readonly requestedBy?: string;
  readonly via?: string;
  readonly createdAt?: number;
  readonly expiresAt?: number;
  readonly decidedBy?: string;
  readonly decidedAt?: number;
  readonly reason?: string;
  /** Who made the last change an event announced (approver, gateway). */
  readonly actor?: string;
  readonly updatedAt: number;
}

/** An attached dashboard's link to its gateway (absent in-process). */
export interface LinkView {
  readonly state: 'connecting' | 'connected' | 'reconnecting' | 'stopped';
  readonly url: string;
  readonly attempt: number;
  readonly retryAt?: number;
  readonly error?: string;
  readonly since: number;
}

export type GatewayPhase = 'starting' | 'listening' | 'stopping' | 'stopped';

export interface SessionCounts {
  readonly open: number;
  readonly legacy: number;
  readonly modern: number;
}

/** Tasks (Tasks extension) that are running as far as the gateway saw. */
export interface TasksView {
  readonly running: number;
  /** The tools they came from, sorted, once each. */
  readonly tools: readonly string[];
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
  /** Sorted by kind, then name. */
  readonly catalogEntries: readonly CatalogEntryView[];
  /** Tools withheld by pinning, by backend then tool. */
  readonly pins: readonly PinView[];
  /** Sorted by alias. */
  readonly aliases: readonly AliasView[];
  readonly sessions: SessionCounts;
  /** Open sessions first (oldest first), then recently closed ones, bounded. */
  readonly sessionList: readonly SessionView[];
  /** Newest last, at most `maxWarnings`. */
  readonly warnings: readonly WarningView[];
  /** Newest last, at most `maxErrors`. */
  readonly errors: readonly ErrorView[];
  readonly events: number;
  readonly lastEventAt?: number;
  /** Pending plans first (oldest first), then decided ones (newest first), bounded. */
  readonly approvals: readonly ApprovalView[];
  readonly tasks: TasksView;
  readonly link?: LinkView;
  /**
   * Published in the store's slower under-load cadence: publishes come often enough to keep times
   * fresh, so the clock adds no frames of its own (each frame costs the gateway's process).
   */
  readonly busy?: boolean;
}
