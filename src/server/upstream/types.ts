import { redact, redactString } from '../../core/log/redact.js';
import type { BackendState } from '../../core/events.js';
import type { BackendConfig } from '../../core/config/schema.js';
import type { ListHints } from '../cache-hints.js';

/** What one backend exposes, in its own (native) names. */
export interface UpstreamCatalog {
  tools: UpstreamTool[];
  resources: Array<{ uri: string; name: string; [k: string]: unknown }>;
  resourceTemplates: Array<{ uriTemplate: string; name: string; [k: string]: unknown }>;
  prompts: Array<{ name: string; [k: string]: unknown }>;
}

export interface UpstreamTool {
  name: string;
  description?: string;
  inputSchema: { type: 'object'; [k: string]: unknown };
  outputSchema?: { type: 'object'; [k: string]: unknown };
  annotations?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface UpstreamInfo {
  serverName?: string;
  serverVersion?: string;
  protocolVersion?: string;
  era?: 'legacy' | 'modern';
  instructions?: string;
  capabilities?: Record<string, unknown>;
}

/** A request a backend sends back to the client during a call (sampling, elicitation, roots). */
export interface ReverseRequest {
  method: string;
  params?: Record<string, unknown>;
}

/**
 * Everything the router hands an upstream with one forwarded request. The upstream uses it to send
 * what the backend emits for this request back to the one client that caused it.
 */
export interface CallContext {
  /** Unique per inbound request; used for attribution on shared connections. */
  callId: string;
  /** The inbound session (or a per-request key for stateless clients). Per-session isolation keys on it. */
  sessionKey: string;
  /** Client identity for events and logs. */
  client: string;
  signal: AbortSignal;
  /** Milliseconds; resets whenever the backend reports progress. */
  timeoutMs: number;
  /** The log level the client wants for this call; a 2026-07-28 backend is asked per request. */
  logLevel?: string;
  /** Client `_meta` to forward, without the progress token (the upstream maps its own). */
  meta?: Record<string, unknown>;
  /**
   * W3C trace context for this request (traceparent, tracestate, baggage), when the call is traced:
   * MCP backends get it in `_meta` (SEP-414), HTTP and REST backends as headers too.
   */
  trace?: Readonly<Record<string, string>>;
  /** A tools/call's inbound `Mcp-Param-*` headers; a 2026-07-28 HTTP backend gets those its tool schema does not declare. */
  paramHeaders?: Readonly<Record<string, string>>;
  /** The client declared the Tasks extension with this request: a 2026-07-28 backend may answer with a task. */
  tasks?: boolean;
  /** Set when the client asked for progress; the upstream calls it for each progress notification. */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => unknown;
  /** Notifications the backend sent for this call (logging messages and others). */
  onNotification?: (notification: { method: string; params?: Record<string, unknown> }) => unknown;
  /** A server-to-client request the backend made while serving this call. */
  onReverseRequest?: (request: ReverseRequest) => Promise<Record<string, unknown>>;
}

export type UpstreamEvent =
  | { type: 'state'; state: BackendState; reason?: string; retryInMs?: number }
  | { type: 'list_changed'; kind: 'tools' | 'resources' | 'prompts' }
  | { type: 'resource_updated'; uri: string; sessionKey?: string }
  | { type: 'stderr'; line: string }
  /** A backend message no single call can be given (logs with several calls in flight, or none). */
  | { type: 'unattributed'; method: string; reason: string; message: string }
  /** Items dropped because they break the protocol schema (or a call result that did). */
  | { type: 'invalid'; kind: 'tools' | 'resources' | 'resourceTemplates' | 'prompts' | 'result'; dropped: number; reasons: string[] }
  | { type: 'warning'; message: string }
  /** The per-backend log rate limit dropped `count` messages in the last window. */
  | { type: 'suppressed'; source: 'stderr' | 'log'; count: number; windowMs: number; totalDropped: number };

/**
 * One backend, whatever its kind (MCP over stdio/HTTP/SSE, or REST). The gateway only talks to
 * backends through this interface, so a new kind is one module in src/server/upstream/.
 */
export interface Upstream {
  readonly name: string;
  readonly config: BackendConfig;
  readonly state: BackendState;
  /** Why it is not ready, in detail (may quote stderr); for the authenticated admin API. */
  readonly lastError?: string;
  /** Why it is not ready, one short sentence without stderr; for unauthenticated readiness. */
  readonly summary?: string;
  /** Problems noticed before any call fails (a REST address outside the network guard), one line each. */
  readonly warnings?: ReadonlyArray<{ message: string }>;
  readonly info: UpstreamInfo;
  /** A 2026-07-28 backend's cache hints on its last lists (ttlMs, cacheScope), per kind; the gateway's own hints derive from them. */
  readonly listHints?: ListHints;
  /** Connects (or starts) and lists. Never throws for a backend failure: state says why. */
  start(): Promise<void>;
  /** Waits for in-flight calls up to the deadline, then closes connections and stops children. */
  stop(opts?: { drainMs?: number }): Promise<void>;
  /** The last successfully listed catalog; empty while not ready. */
  catalog(): UpstreamCatalog;
  /** Re-lists now. Resolves after the catalog is updated (or the backend marked failed). */
  refresh(): Promise<void>;
  /** Forwards one request (tools/call, resources/read, prompts/get, completion/complete, …) under native names. */
  request(method: string, params: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>>;
  /** Resource subscriptions, keyed by the inbound session that asked. */
  subscribe?(uri: string, sessionKey: string): Promise<void>;
  unsubscribe?(uri: string, sessionKey: string): Promise<void>;
  /** Per-session resources (per-session isolation) are released when a session ends. */
  releaseSession?(sessionKey: string): Promise<void>;
  on(listener: (event: UpstreamEvent) => void): () => void;
}

/**
 * What an upstream failure means, where the JSON-RPC code cannot say it: the pipeline classifies
 * outcomes by this, never by the number.
 */
export type UpstreamErrorKind = 'timeout' | 'unavailable' | 'cancelled';

/** An MCP-level error to return to the client, naming the backend. Its text is redacted once, here. */
export class UpstreamError extends Error {
  readonly data?: unknown;
  constructor(
    message: string,
    readonly code: number,
    readonly backend: string,
    data?: unknown,
    readonly kind?: UpstreamErrorKind,
  ) {
    super(redactString(message));
    this.name = 'UpstreamError';
    this.data = data === undefined ? undefined : redact(data);
  }
}

export const ErrorCodes = {
  InvalidParams: -32602,
  MethodNotFound: -32601,
  InternalError: -32603,
  /** Gateway-specific: the backend is not available (down, starting, failed). */
  BackendUnavailable: -32001,
  /**
   * Gateway-specific: the backend did not answer in time. Not -32002: the SDK rewrites that code
   * (to -32602) on the way out, and it is also ResourceNotFound.
   */
  RequestTimeout: -32003,
  ResourceNotFound: -32002,
} as const;
