import type { Identity } from '../../core/identity.js';
import type { Scope } from '../../core/policy/access.js';
import type { ReverseRequest, Upstream } from '../upstream/types.js';

/** The client requests that travel the pipeline to one backend. */
export type CallMethod = 'tools/call' | 'prompts/get' | 'resources/read' | 'completion/complete';

export type Result = Record<string, unknown>;

/**
 * Requests the gateway answers itself from the catalog: the lists, and (un)subscribe, which only
 * registers the session with the owning upstream. They take the pipeline's local path: the steps
 * that define `local` (identity, access), then the router's answer.
 */
export type LocalMethod = 'tools/list' | 'prompts/list' | 'resources/list' | 'resources/templates/list' | 'resources/subscribe' | 'resources/unsubscribe';

/** A request on the local path: what identity and access read, without the relay of a call. */
export interface LocalCall {
  method: LocalMethod;
  params: Record<string, unknown>;
  era: 'legacy' | 'modern';
  transport: 'streamable-http' | 'sse' | 'stdio';
  sessionKey: string;
  identity?: Identity;
  authClient?: string;
  announcedClient?: string;
  /** The virtual server the request came in on (/servers/NAME/…); undefined for /mcp and stdio. */
  server?: string;
  /** Set by access: what this caller may see here; undefined when it sees everything. */
  scope?: Scope;
  decisions: Decision[];
}

export type LocalHandler = (call: LocalCall) => Promise<Result>;

/**
 * How the pipeline talks back to the client that made the request, whatever carries it: the SDK
 * handler adapts its ServerContext to this, and a message-level fast path can write frames itself.
 */
export interface RelaySinks {
  /** A notification related to this request (progress and whatever else the backend sent for it). */
  notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** A log message for the client; a 2025 session filters it by the level it set. */
  log(message: { level: string; data: unknown; logger?: string }): Promise<void>;
  /** A request to the client related to this call. Only 2025 clients can be asked directly. */
  request(request: ReverseRequest): Promise<Result>;
}

/** A step's verdict, kept as data so the error, the events and (later) the audit say the same thing. */
export interface Decision {
  /** The step that decided. */
  step: string;
  verdict: 'allow' | 'deny';
  /** Why, in words a user can act on; for a denial this is the client's error message. */
  reason?: string;
  /** The JSON-RPC code a denial is answered with. */
  code?: number;
  data?: Record<string, unknown>;
}

/** What a policy says about one request a backend makes to the client during a call. */
export type ReverseDecision =
  | { step: string; verdict: 'answer'; result: Result; reason: string }
  | { step: string; verdict: 'deny'; code: number; reason: string };

/** Looks at a backend's request to the client; undefined passes it on to the client. */
export type ReverseGuard = (request: ReverseRequest, call: CallContext) => ReverseDecision | undefined;

/** Where resolve sent the request. */
export interface Route {
  upstream: Upstream;
}

/**
 * One client request on its way through the pipeline. The inbound adapter fills the request part;
 * the steps fill the rest, in order: identity, then route and exposed name, then timeout and guards.
 */
export interface CallContext {
  method: CallMethod;
  /** The params as the client sent them; resolve rewrites names to the backend's own. */
  params: Record<string, unknown>;
  era: 'legacy' | 'modern';
  transport: 'streamable-http' | 'sse' | 'stdio';
  /** The 2025 session, if any. */
  sessionId?: string;
  /** The session (or 'stateless'); per-session isolation and subscriptions key on it. */
  sessionKey: string;
  /** The identity the inbound adapter knows; the identity step fills it when absent. */
  identity?: Identity;
  /** The authenticated client name, when the request was authenticated. */
  authClient?: string;
  /** The name the client announced in its clientInfo. */
  announcedClient?: string;
  signal: AbortSignal;
  /** The client's request `_meta` (progress token included). */
  meta?: Record<string, unknown>;
  /** A modern client's retry: the requestState it echoes and the answers to the input requests. */
  requestState?: string;
  inputResponses?: Record<string, unknown>;
  /** The capabilities the client declared (per session for 2025, per request for 2026-07-28). */
  clientCapabilities?: Record<string, unknown>;
  /** The log level a modern client asked for with this request. */
  logLevel?: string;
  sinks: RelaySinks;
  /** The virtual server the request came in on (/servers/NAME/…); undefined for /mcp and stdio. */
  server?: string;
  /** The inbound HTTP request's `Mcp-Param-*` headers (names lower-cased); a 2026-07-28 backend gets the ones its schema does not declare. */
  paramHeaders?: Record<string, string>;
  /** Set by access: what this caller may reach here; undefined when it reaches everything. */
  scope?: Scope;

  /** Set by the pipeline: unique per request, attributes backend messages on shared connections. */
  callId?: string;
  /** Set by resolve: the name the client used (tool or prompt name, resource URI). */
  exposedName?: string;
  route?: Route;
  /** Set by policy. */
  timeoutMs?: number;
  /** Every step's decision about this request, in order. */
  decisions: Decision[];
  /** Checked in order for each request the backend makes to the client during this call. */
  reverseGuards: ReverseGuard[];

  // Tracing (src/server/tracing/): what the inbound adapter knows of the request, and the trace it joins.
  /** The JSON-RPC id of the client's request. */
  requestId?: string | number;
  /** The MCP protocol version of the session (2025) or of this request (2026-07-28). */
  protocolVersion?: string;
  /** The W3C trace context headers (traceparent, tracestate, baggage) of the inbound HTTP request. */
  httpTrace?: Record<string, string>;
  /** Set by tracing (else read from `_meta.traceparent` by observe): the trace this request belongs to (32 hex digits); request logs carry it. */
  traceId?: string;
  /** Set by tracing: the context the upstream request carries (HTTP headers, and `_meta` per SEP-414). */
  outboundTrace?: Readonly<Record<string, string>>;
}

export type Handler = (call: CallContext) => Promise<Result>;

/**
 * One step of the pipeline. It may change the context, answer without calling `next` (a denial or
 * a local answer), or call `next` and look at or change what comes back.
 */
export interface Step {
  readonly name: string;
  handle(call: CallContext, next: Handler): Promise<Result>;
  /** The step's part in the local path (lists, subscribe); steps without it are skipped there. */
  local?(call: LocalCall, next: LocalHandler): Promise<Result>;
}
