import { CLIENT_CAPABILITIES_META_KEY, PROTOCOL_VERSION_META_KEY, ProtocolError, Server } from '@modelcontextprotocol/server';
import type { ServerContext } from '@modelcontextprotocol/server';
import type { EventBus } from '../core/events.js';
import type { Identity } from '../core/identity.js';
import type { AccessPolicy } from '../core/policy/access.js';
import type { AliasTable } from './aliases.js';
import type { Approvals } from './approvals/service.js';
import type { Catalog } from './catalog.js';
import type { RateLimiter } from './ratelimit/limiter.js';
import { HeldCalls, type HeldSeal } from './era/held-call.js';
import { Pipeline, defaultSteps, newCall, newLocalCall, type CallMethod, type LocalMethod, type PipelineDeps, type RelaySinks, type Result, type Step } from './pipeline/index.js';
import { localAnswer } from './local-answer.js';
import { discoverHint, listHint, type HintSources } from './cache-hints.js';
import { gatewayCapabilities, installDiscover } from './discover.js';
import { DEFAULTS } from '../core/config/schema.js';
import { inboundTraceHeaders } from './tracing/outbound.js';
import { inboundParamHeaders } from './upstream/param-headers.js';
import { TASKS_EXTENSION, type TaskRoutes } from './tasks/routes.js';
import { serveTaskMethods } from './tasks/serve.js';
import { ErrorCodes, type ReverseRequest, type Upstream } from './upstream/types.js';

export interface InboundInfo {
  era: 'legacy' | 'modern';
  transport: 'streamable-http' | 'sse' | 'stdio';
  /** The inbound session, for 2025-era sessions; undefined for stateless modern requests. */
  sessionId?: string;
  /** Client identity for events (an auth identity later; the client's name for now). */
  client?: string;
  /** The typed identity of the session or request (filled by the inbound adapter when known). */
  identity?: Identity;
  /** The virtual server served (/servers/NAME/…, `serve --stdio --server`); undefined: /mcp. */
  server?: string;
}

export interface RouterDeps {
  catalog: Catalog;
  upstreams: () => Upstream[];
  bus: EventBus;
  defaultTimeoutMs: number;
  serverInfo: { name: string; version: string };
  instructions?: string;
  /** Called for subscribe/unsubscribe so the gateway can route resource updates to the session. */
  onSubscribe?: (sessionKey: string, uri: string, upstream: Upstream, subscribed: boolean) => void;
  /** Old names accepted during a rename cut-over. */
  aliases?: () => AliasTable | undefined;
  /** Tracks in-flight calls for draining. */
  track?: <T>(p: Promise<T>) => Promise<T>;
  /** Changes the pipeline's steps (insert, replace); the default list otherwise. */
  steps?: (defaults: Step[]) => Step[];
  /** Guarded writes (plans, the apply tool, constraints in tools/list). */
  approvals?: Approvals;
  /** Rate limits (src/server/ratelimit/). */
  rateLimiter?: RateLimiter;
  /** Set through setTracing while tracing is on. */
  tracing?: PipelineDeps['tracing'];
  /** Virtual servers and roles (issue 11); read per request, so a reload applies at once. */
  access?: () => AccessPolicy | undefined;
  /** The per-call metrics step (src/server/metrics). */
  metrics?: Step;
  /** gateway.refreshInterval in milliseconds, read per request (cache hints); the default when absent. */
  refreshIntervalMs?: () => number;
  /** The Tasks extension (src/server/tasks): advertised and served while some backend has it. */
  tasks?: TaskRoutes;
}

/**
 * Builds the MCP Server an inbound transport serves (one per 2025 session, or one per stateless
 * modern request: the SDK's handler calls the factory per request) and hands each request that
 * goes to a backend to the call pipeline.
 */
export class Router {
  private readonly held = new HeldCalls();
  readonly pipeline: Pipeline;

  /** Where the gateway's 2026-07-28 cache hints come from (its refresh policy, the backends' hints). */
  private readonly hintSources: HintSources;

  constructor(private readonly deps: RouterDeps) {
    this.hintSources = { upstreams: deps.upstreams, refreshIntervalMs: () => deps.refreshIntervalMs?.() ?? DEFAULTS.refreshInterval * 1000 };
    this.pipeline = new Pipeline(this.buildSteps(), localAnswer({ ...deps, listHint: (kind) => listHint(kind, this.hintSources) }));
  }

  private buildSteps(): Step[] {
    const deps = this.deps;
    // Settings a reload changes in place (the default timeout) are read through, not copied.
    const steps = defaultSteps({
      ...deps,
      held: this.held,
      get defaultTimeoutMs() {
        return deps.defaultTimeoutMs;
      },
    });
    return deps.steps ? deps.steps(steps) : steps;
  }

  /** Tracing on (its steps) or off (undefined), for the calls that start from now on. */
  setTracing(tracing: PipelineDeps['tracing']): void {
    this.deps.tracing = tracing;
    this.pipeline.replaceSteps(this.buildSteps());
  }

  /** The gateway's identity, as every result to a 2026-07-28 client carries it. */
  get serverInfo(): { name: string; version: string } {
    return this.deps.serverInfo;
  }

  /** SDK servers built so far (one per 2025 session, one per request off the fast path). */
  serversBuilt = 0;
  /** Requests answered on the message-level fast path (inbound/fast-modern.ts, fast-session.ts). */
  fastServed = 0;

  createServer(info: InboundInfo): Server {
    this.serversBuilt++;
    const tasks = this.deps.tasks?.enabled(info.era) ? this.deps.tasks : undefined;
    const capabilities = {
      ...gatewayCapabilities(this.deps.upstreams()),
      ...(tasks ? (info.era === 'modern' ? { extensions: { [TASKS_EXTENSION]: {} } } : { tasks: { requests: { tools: { call: {} } }, cancel: {} } }) : {}),
    };
    const server = new Server(this.deps.serverInfo, { capabilities, instructions: this.deps.instructions });
    installDiscover(server, () => discoverHint(this.hintSources));
    const call = (method: CallMethod, params: Record<string, unknown>, ctx: ServerContext) => this.pipeline.handle(toCall(method, params, info, server, ctx)) as never;
    // Lists and (un)subscribe take the pipeline's local path (identity, access), then the catalog answers.
    const local = (method: LocalMethod, params: Record<string, unknown> | undefined, ctx: ServerContext) => this.pipeline.handleLocal(toLocal(method, params ?? {}, info, server, ctx)) as never;

    server.setRequestHandler('tools/list', (req, ctx) => local('tools/list', req.params, ctx));
    server.setRequestHandler('prompts/list', (req, ctx) => local('prompts/list', req.params, ctx));
    server.setRequestHandler('resources/list', (req, ctx) => local('resources/list', req.params, ctx));
    server.setRequestHandler('resources/templates/list', (req, ctx) => local('resources/templates/list', req.params, ctx));

    server.setRequestHandler('tools/call', (req, ctx) => call('tools/call', req.params, ctx));
    server.setRequestHandler('prompts/get', (req, ctx) => call('prompts/get', req.params, ctx));
    server.setRequestHandler('resources/read', (req, ctx) => call('resources/read', req.params, ctx));
    server.setRequestHandler('completion/complete', (req, ctx) => call('completion/complete', req.params, ctx));

    server.setRequestHandler('resources/subscribe', (req, ctx) => local('resources/subscribe', req.params, ctx));
    server.setRequestHandler('resources/unsubscribe', (req, ctx) => local('resources/unsubscribe', req.params, ctx));
    if (tasks) serveTaskMethods(server, tasks, info, this.deps.access);

    return server;
  }

  /**
   * A 2026-07-28 client's `subscriptions/listen` stream is served by the SDK, which never asks the
   * server about it; the inbound calls this when one asks for resource updates, so the backends that
   * own those URIs are subscribed for as long as the stream is open. Resolves to the release (or
   * undefined when nothing was subscribed).
   */
  async listenResources(uris: string[], sessionKey = 'stateless', who?: { server?: string; identity?: Identity }): Promise<(() => Promise<void>) | undefined> {
    const held: Array<{ upstream: Upstream; uri: string }> = [];
    const scope = this.deps.access?.()?.scope(who?.server, who?.identity);
    for (const uri of new Set(uris)) {
      const upstream = this.deps.catalog.resolveResource(uri);
      if (!upstream?.subscribe) continue;
      // Out of this caller's reach: no updates, as for a URI nobody can subscribe to.
      if (scope && !scope.allows('resource', upstream.name)) continue;
      try {
        await upstream.subscribe(uri, sessionKey);
        held.push({ upstream, uri });
      } catch {
        // The stream still opens; this URI just gets no updates (as with a backend that cannot subscribe).
      }
    }
    if (!held.length) return undefined;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      await Promise.allSettled(held.map(({ upstream, uri }) => upstream.unsubscribe?.(uri, sessionKey)));
    };
  }

  /** The inputSchema of a tool as the gateway lists it (exposed name), for the edge's Mcp-Param-* check. */
  toolSchema(exposed: string): unknown {
    return this.deps.catalog.tool(exposed)?.inputSchema;
  }

  /** Active held calls (for tests and the dashboard). */
  get heldCalls(): number {
    return this.held.size;
  }

  /** Cluster (issue 12): held calls' requestState names this replica, sealed with the cluster key. */
  sealHeldCalls(seal: HeldSeal | undefined): void {
    this.held.seal = seal;
  }

  dispose(): void {
    this.held.dispose();
  }
}

/** The resource URIs a `subscriptions/listen` request asks updates for (none for any other message). */
export function listenResourceUris(message: unknown): string[] {
  const m = message as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | undefined;
  if (!m || typeof m !== 'object' || m.method !== 'subscriptions/listen') return [];
  const uris = m.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string') : [];
}

/** A list or (un)subscribe request, for the pipeline's local path. */
function toLocal(method: LocalMethod, params: Record<string, unknown>, info: InboundInfo, server: Server, ctx: ServerContext) {
  const envelope = ctx.mcpReq.envelope as { clientInfo?: { name?: string } } | undefined;
  return newLocalCall({
    method,
    params,
    era: info.era,
    transport: info.transport,
    sessionKey: sessionKey(info, ctx),
    identity: info.identity,
    authClient: info.client ?? ctx.http?.authInfo?.clientId,
    announcedClient: envelope?.clientInfo?.name ?? server.getClientVersion()?.name,
    ...(info.server ? { server: info.server } : {}),
  });
}

function sessionKey(info: InboundInfo, ctx: ServerContext): string {
  return info.sessionId ?? ctx.sessionId ?? 'stateless';
}

/** The SDK's request context, turned into the pipeline's era-free model. */
function toCall(method: CallMethod, params: Record<string, unknown>, info: InboundInfo, server: Server, ctx: ServerContext) {
  const req = ctx.mcpReq;
  const envelope = req.envelope as Record<string, unknown> | undefined;
  const legacy = info.era === 'legacy';
  const state = req.requestState<unknown>();
  return newCall({
    method,
    params,
    era: info.era,
    transport: info.transport,
    sessionId: info.sessionId,
    sessionKey: sessionKey(info, ctx),
    identity: info.identity,
    authClient: info.client ?? ctx.http?.authInfo?.clientId,
    announcedClient: (envelope as { clientInfo?: { name?: string } } | undefined)?.clientInfo?.name ?? server.getClientVersion()?.name,
    signal: req.signal,
    meta: req._meta as Record<string, unknown> | undefined,
    requestState: typeof state === 'string' ? state : undefined,
    inputResponses: req.inputResponses as Record<string, unknown> | undefined,
    clientCapabilities: legacy ? (server.getClientCapabilities() as Record<string, unknown> | undefined) : envelopeObject(envelope, CLIENT_CAPABILITIES_META_KEY),
    logLevel: legacy ? undefined : envelopeLogLevel(envelope),
    sinks: new SdkSinks(ctx),
    requestId: req.id,
    protocolVersion: (envelope?.[PROTOCOL_VERSION_META_KEY] as string | undefined) ?? server.getNegotiatedProtocolVersion(),
    httpTrace: inboundTraceHeaders(ctx.http?.req?.headers),
    paramHeaders: method === 'tools/call' ? inboundParamHeaders(ctx.http?.req?.headers) : undefined,
    ...(info.server ? { server: info.server } : {}),
  });
}

/** The relay sinks over the SDK's per-request context. */
class SdkSinks implements RelaySinks {
  constructor(private readonly ctx: ServerContext) {}

  notify(n: { method: string; params?: Record<string, unknown> }): Promise<void> {
    return this.ctx.mcpReq.notify(n as never);
  }

  log(m: { level: string; data: unknown; logger?: string }): Promise<void> {
    return this.ctx.mcpReq.log(m.level as 'info', m.data, m.logger);
  }

  request(r: ReverseRequest): Promise<Result> {
    return this.ctx.mcpReq.send({ method: r.method as never, params: r.params }, { timeout: 600_000 }) as Promise<Result>;
  }
}

function envelopeObject(envelope: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  const v = envelope?.[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function envelopeLogLevel(envelope: Record<string, unknown> | undefined): string | undefined {
  const v = envelope?.logLevel ?? envelope?.['io.modelcontextprotocol/logLevel'];
  return typeof v === 'string' ? v : undefined;
}
