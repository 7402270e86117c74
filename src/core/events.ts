import { EventEmitter } from 'node:events';

export type BackendState = 'disabled' | 'starting' | 'ready' | 'degraded' | 'failed' | 'stopped';
export type CallOutcome = 'ok' | 'tool-error' | 'error' | 'timeout' | 'cancelled';

export interface CatalogDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** What a catalog entry is, for views that show one (optional on catalog.changed: names alone suffice). */
export interface CatalogEntryInfo {
  name: string;
  backend?: string;
  description?: string;
  /** Input schema of a tool, arguments of a prompt, or the URI (template) of a resource. */
  schema?: unknown;
  /** A tool's approval policy in words ("guarded: …", or why not), and its constrained arguments. */
  policy?: string;
  constraints?: string[];
}

/** Every event the gateway emits. Subscribers (dashboard, logs, metrics) must never block the gateway. */
export interface GatewayEvents {
  'gateway.listening': { url: string; host: string; port: number; transports: string[] };
  'gateway.stopping': { reason: string; inFlight: number };
  'gateway.stopped': Record<string, never>;
  'backend.state': { backend: string; state: BackendState; reason?: string; tools?: number; resources?: number; prompts?: number; protocolVersion?: string; serverName?: string; serverVersion?: string; retryInMs?: number };
  'backend.stderr': { backend: string; line: string };
  'catalog.changed': { kind: 'tools' | 'resources' | 'resourceTemplates' | 'prompts'; backend?: string; diff: CatalogDiff; total: number; entries?: CatalogEntryInfo[] };
  /** Tool pinning: a pinned backend's tool changed (or is new under newTools: hold) and is withheld until accepted. */
  'catalog.pin_held': { backend: string; tool: string; reason: 'changed' | 'new'; changes: string[] };
  'catalog.pin_accepted': { backend: string; tool: string; by: string };
  'naming.warning': { message: string; backend?: string; name?: string };
  'session.opened': { sessionId: string; client: string; era: 'legacy' | 'modern'; transport: string; identity?: string };
  /** deleted: the client ended it; expired: idle past gateway.sessions.idleTimeout; evicted: made room at a cap; disconnected: its stream or process went away; shutdown: the gateway stopped. */
  'session.closed': { sessionId: string; client: string; reason?: 'deleted' | 'expired' | 'evicted' | 'disconnected' | 'shutdown' };
  /** A 2025 session whose owning replica is gone was re-created here (cluster takeover, issue 12); `from` and `by` are replica ids. */
  'session.taken_over': { sessionId: string; client: string; from: string; by: string };
  /** A new session was refused because every session counted against the named limit is busy. */
  'session.refused': { client: string; limit: 'max' | 'maxPerClient'; cap: number };
  /** A response stream was closed because its client stopped reading and its unread output passed the bound. */
  'stream.dropped': { sessionId?: string; client: string; bufferedBytes: number; limitBytes: number };
  'call.started': { callId: string; client: string; sessionId?: string; method: string; name?: string; backend?: string; requestBytes: number; arguments?: unknown; identity?: string; traceId?: string };
  'call.finished': { callId: string; client: string; sessionId?: string; method: string; name?: string; backend?: string; durationMs: number; outcome: CallOutcome; responseBytes: number; error?: string; result?: string; traceId?: string };
  /** A backend message that belongs to no single call (a log notification with several calls in flight). `message` is a redacted, cut summary. */
  'relay.unattributed': { backend: string; method: string; reason: string; message?: string };
  /** Items a backend listed or returned that break the protocol schema; they were dropped, the rest kept. */
  'backend.invalid': { backend: string; kind: 'tools' | 'resources' | 'resourceTemplates' | 'prompts' | 'result'; dropped: number; reasons: string[] };
  /** Something the gateway noticed about a backend that is not a state change (a fallback, a limit hit). */
  'backend.warning': { backend: string; message: string };
  /** Repeated backend output (stderr lines or log notifications) aggregated by the per-backend rate limit. */
  'backend.suppressed': { backend: string; source: 'stderr' | 'log'; count: number; windowMs: number; totalDropped: number };
  'alias.used': { alias: string; target: string; client: string; expired: boolean };
  'auth.failed': { reason: string; remote?: string };
  // Live reload (config watch, SIGHUP, `gatehouse config reload`).
  /** A config was applied; the lists name backends by what the reconcile did to them. */
  'config.reloaded': { source: string; trigger: string; added: string[]; removed: string[]; restarted: string[]; unchanged: string[]; settings: string[]; restartNeeded: string[] };
  /** The file on disk does not load; the last good configuration keeps serving. */
  'config.invalid': { source: string; trigger: string; error: string; hint?: string };
  /** Settings changed that only take effect when the gateway is restarted (host, port, …). */
  'config.restart_needed': { source: string; settings: string[] };
  /** An unexpected failure while answering an inbound request; the client got a generic 500. */
  'inbound.error': { method: string; path: string; message: string };
  /** A connection was refused because its remote address holds gateway.inbound.maxConnectionsPerAddress already. */
  'inbound.refused': { remote: string; limit: number };
  /** A plan of a guarded call changed state (created, approved, denied, expired, executing, done, failed); no arguments, only the redacted summary. */
  'approval.changed': { planId: string; state: string; backend: string; tool: string; digest: string; actor: string; summary: string };
  /** A task (Tasks extension) a backend created, or its status as a tasks/get or tasks/cancel through the gateway saw it. `taskId` is the gateway's sealed id. */
  'task.changed': { taskId: string; backend: string; client: string; status: string; terminal: boolean; tool?: string; statusMessage?: string };
  // Rate limits (src/server/ratelimit/).
  /** A tool call was refused by a rate limit; `tool` is the exposed name, `limit` a short description of the rule (configured text only, bounded). */
  'ratelimit.limited': { backend: string; tool: string; limit: string };
  /** The shared limit store (Redis) failed a check; with failOpen the call went through unlimited, else it was refused. Emitted on the first failure and at most every few seconds while it lasts. */
  'ratelimit.degraded': { reason: string; failOpen: boolean };
  // Traces (src/server/tracing/).
  /** Tracing started: why (an OTLP endpoint, or gateway.tracing.enabled), where spans go, the sampler. */
  'tracing.started': { why: string; endpoint: string; protocol: string; sampler: string };
  /** Tracing stopped (turned off by a reload, or the gateway stopped). */
  'tracing.stopped': { why: string };
  /** The SDK could not export, or tracing could not start; calls go on either way. Redacted. */
  'tracing.warning': { message: string };
}

export type GatewayEventName = keyof GatewayEvents;
export type GatewayEvent = { [K in GatewayEventName]: { type: K; at: number } & GatewayEvents[K] }[GatewayEventName];

/**
 * One typed bus per gateway, injected, never global. Listeners run synchronously but are isolated:
 * a throwing listener is reported once and never breaks the emitter.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly anyListeners = new Set<(e: GatewayEvent) => void>();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit<K extends GatewayEventName>(type: K, payload: GatewayEvents[K]): void {
    if (this.anyListeners.size === 0 && this.emitter.listenerCount(type) === 0) return;
    const event = { type, at: Date.now(), ...payload } as GatewayEvent;
    for (const l of this.anyListeners) safeCall(l, event);
    for (const l of this.emitter.listeners(type)) safeCall(l as (e: GatewayEvent) => void, event);
  }

  on<K extends GatewayEventName>(type: K, listener: (e: Extract<GatewayEvent, { type: K }>) => void): () => void {
    this.emitter.on(type, listener);
    return () => this.emitter.off(type, listener);
  }

  onAny(listener: (e: GatewayEvent) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }
}

function safeCall(fn: (e: GatewayEvent) => void, e: GatewayEvent): void {
  try {
    fn(e);
  } catch {
    // A subscriber bug must not take the gateway down.
  }
}
