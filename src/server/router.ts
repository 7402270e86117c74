import { randomUUID } from 'node:crypto';
import { CLIENT_CAPABILITIES_META_KEY, ProtocolError, SERVER_INFO_META_KEY, Server, inputRequired } from '@modelcontextprotocol/server';
import type { ServerContext } from '@modelcontextprotocol/server';
import type { EventBus, CallOutcome } from '../core/events.js';
import type { Identity } from '../core/identity.js';
import { errorMessage } from '../core/errors.js';
import type { AliasTable } from './aliases.js';
import type { Catalog } from './catalog.js';
import { ErrorCodes, UpstreamError, type CallContext, type ReverseRequest, type Upstream } from './upstream/types.js';

export interface InboundInfo {
  era: 'legacy' | 'modern';
  transport: 'streamable-http' | 'sse' | 'stdio';
  /** The inbound session, for 2025-era sessions; undefined for stateless modern requests. */
  sessionId?: string;
  /** Client identity for events (an auth identity later; the client's name for now). */
  client?: string;
  /** The typed identity of the session or request (filled by the inbound adapter when known). */
  identity?: Identity;
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
}

/** One request on its way to a backend, with what is needed to relay back to its client. */
interface Forwarding {
  server: Server;
  info: InboundInfo;
  ctx: ServerContext;
  client: string;
  upstream: Upstream;
  method: string;
  params: Record<string, unknown>;
  callId: string;
}

const HELD_PREFIX = 'gatehouse-held:';
const HELD_TTL_MS = 10 * 60_000;

interface PendingReverse {
  key: string;
  request: ReverseRequest;
  resolve: (r: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/**
 * A backend call kept open while a modern client answers a backend's sampling or elicitation
 * request through `input_required` rounds (the 2025 backend cannot be asked to retry).
 */
class HeldCall {
  readonly token = randomUUID();
  readonly pending: PendingReverse[] = [];
  private waiter?: () => void;
  private seq = 0;
  result?: { ok: true; value: Record<string, unknown> } | { ok: false; error: unknown };
  expiry?: NodeJS.Timeout;
  progressSink?: CallContext['onProgress'];
  notifySink?: CallContext['onNotification'];

  constructor(readonly client: string) {}

  settle(r: NonNullable<HeldCall['result']>): void {
    this.result = r;
    this.wake();
  }

  enqueue(request: ReverseRequest): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key: `gatehouse_${this.seq++}`, request, resolve, reject });
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves when the call finished or the backend asked for input not yet sent to the client. */
  async next(signal: AbortSignal): Promise<void> {
    if (this.result || this.pending.some((p) => !sent.has(p))) return;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
const sent = new WeakSet<PendingReverse>();

/**
 * Maps each client request to one backend and relays what the backend sends back for it. It builds
 * the MCP Server that an inbound transport serves: one per 2025 session, or one per stateless
 * modern request (the SDK's handler calls the factory per request).
 */
export class Router {
  private readonly held = new Map<string, HeldCall>();
  private callSeq = 0;

  constructor(private readonly deps: RouterDeps) {}

  createServer(info: InboundInfo): Server {
    const server = new Server(this.deps.serverInfo, {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        completions: {},
        logging: {},
      },
      instructions: this.deps.instructions,
    });
    const catalog = this.deps.catalog;
    const clientName = (ctx: ServerContext) =>
      info.client ?? ctx.http?.authInfo?.clientId ?? (ctx.mcpReq.envelope as { clientInfo?: { name?: string } } | undefined)?.clientInfo?.name ?? server.getClientVersion()?.name ?? 'client';

    server.setRequestHandler('tools/list', async () => ({ tools: this.listTools() as never }));
    server.setRequestHandler('prompts/list', async () => ({ prompts: catalog.prompts as never }));
    server.setRequestHandler('resources/list', async () => ({ resources: catalog.resources as never }));
    server.setRequestHandler('resources/templates/list', async () => ({ resourceTemplates: catalog.resourceTemplates as never }));

    server.setRequestHandler('tools/call', async (req, ctx) => {
      const name = req.params.name;
      const route = catalog.resolveTool(name) ?? this.resolveAlias(name, clientName(ctx));
      if (!route) throw unknownName('tool', name, catalog.tools.length);
      const params = { ...req.params, name: route.original } as Record<string, unknown>;
      return this.forward(server, info, ctx, clientName(ctx), route.upstream, 'tools/call', params, name) as never;
    });

    server.setRequestHandler('prompts/get', async (req, ctx) => {
      const route = catalog.resolvePrompt(req.params.name);
      if (!route) throw unknownName('prompt', req.params.name, catalog.prompts.length);
      return this.forward(server, info, ctx, clientName(ctx), route.upstream, 'prompts/get', { ...req.params, name: route.original }, req.params.name) as never;
    });

    server.setRequestHandler('resources/read', async (req, ctx) => {
      const upstream = catalog.resolveResource(req.params.uri);
      if (!upstream) throw new ProtocolError(ErrorCodes.ResourceNotFound, `Resource not found: ${req.params.uri} (no backend lists it or has a matching template).`);
      return this.forward(server, info, ctx, clientName(ctx), upstream, 'resources/read', { ...req.params }, req.params.uri) as never;
    });

    server.setRequestHandler('resources/subscribe', async (req, ctx) => {
      const upstream = catalog.resolveResource(req.params.uri);
      if (!upstream?.subscribe) throw new ProtocolError(ErrorCodes.ResourceNotFound, `Resource not found or not subscribable: ${req.params.uri}`);
      const key = this.sessionKey(info, ctx);
      await upstream.subscribe(req.params.uri, key);
      this.deps.onSubscribe?.(key, req.params.uri, upstream, true);
      return {};
    });

    server.setRequestHandler('resources/unsubscribe', async (req, ctx) => {
      const upstream = catalog.resolveResource(req.params.uri);
      const key = this.sessionKey(info, ctx);
      if (upstream?.unsubscribe) await upstream.unsubscribe(req.params.uri, key);
      if (upstream) this.deps.onSubscribe?.(key, req.params.uri, upstream, false);
      return {};
    });

    server.setRequestHandler('completion/complete', async (req, ctx) => {
      const ref = req.params.ref as { type: string; name?: string; uri?: string };
      let upstream: Upstream | undefined;
      let params: Record<string, unknown> = { ...req.params };
      if (ref.type === 'ref/prompt' && ref.name) {
        const route = catalog.resolvePrompt(ref.name);
        if (route) {
          upstream = route.upstream;
          params = { ...params, ref: { ...ref, name: route.original } };
        }
      } else if (ref.type === 'ref/resource' && ref.uri) {
        upstream = catalog.resolveTemplate(ref.uri) ?? catalog.resolveResource(ref.uri);
      }
      if (!upstream) return { completion: { values: [], hasMore: false } };
      return this.forward(server, info, ctx, clientName(ctx), upstream, 'completion/complete', params, ref.name ?? ref.uri) as never;
    });

    return server;
  }

  /** The catalog's tools, plus aliases with a deprecation note when the config asks to list them. */
  private listTools(): unknown[] {
    const table = this.deps.aliases?.();
    const tools = this.deps.catalog.tools;
    if (!table?.listAliases || table.size === 0) return tools;
    const byName = new Map(tools.map((t) => [t.name, t]));
    const extra = [];
    for (const a of table.all()) {
      const t = byName.get(a.target);
      if (!t || byName.has(a.alias) || table.isExpired(a)) continue;
      extra.push({ ...t, name: a.alias, description: `Deprecated alias of ${a.target}${a.expires ? ` (until ${a.expires})` : ''}; call ${a.target} instead. ${t.description ?? ''}`.trim() });
    }
    return [...tools, ...extra];
  }

  private resolveAlias(name: string, client: string) {
    const table = this.deps.aliases?.();
    const alias = table?.get(name);
    if (!table || !alias) return undefined;
    const expired = table.isExpired(alias);
    table.record(alias.alias, client);
    this.deps.bus.emit('alias.used', { alias: alias.alias, target: alias.target, client, expired });
    if (expired) {
      throw new ProtocolError(ErrorCodes.InvalidParams, `Tool "${name}" was renamed to "${alias.target}"; the old name stopped working after ${alias.expires}. Call ${alias.target}.`);
    }
    return this.deps.catalog.resolveTool(alias.target);
  }

  private sessionKey(info: InboundInfo, ctx: ServerContext): string {
    return info.sessionId ?? ctx.sessionId ?? 'stateless';
  }

  /**
   * A 2026-07-28 client's `subscriptions/listen` stream is served by the SDK, which never asks the
   * server about it; the inbound calls this when one asks for resource updates, so the backends that
   * own those URIs are subscribed for as long as the stream is open. Resolves to the release (or
   * undefined when nothing was subscribed).
   */
  async listenResources(uris: string[], sessionKey = 'stateless'): Promise<(() => Promise<void>) | undefined> {
    const held: Array<{ upstream: Upstream; uri: string }> = [];
    for (const uri of new Set(uris)) {
      const upstream = this.deps.catalog.resolveResource(uri);
      if (!upstream?.subscribe) continue;
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

  /**
   * Forwards one request and relays progress, notifications and reverse requests for it. Relayed
   * notifications are chained and awaited before the result is returned, so nothing the backend
   * sent before its response arrives after it.
   */
  private async forward(
    server: Server,
    info: InboundInfo,
    ctx: ServerContext,
    client: string,
    upstream: Upstream,
    method: string,
    params: Record<string, unknown>,
    exposedName: string | undefined,
  ): Promise<Record<string, unknown>> {
    const call: Forwarding = { server, info, ctx, client, upstream, method, params, callId: `c${++this.callSeq}` };
    const { callId } = call;
    const started = performance.now();
    const requestBytes = approxBytes(params);
    this.deps.bus.emit('call.started', { callId, client, sessionId: info.sessionId, method, name: exposedName, backend: upstream.name, requestBytes });
    let outcome: CallOutcome = 'ok';
    let errorText: string | undefined;
    let result: Record<string, unknown> | undefined;
    try {
      const run = this.forwardInner(call);
      result = await (this.deps.track ? this.deps.track(run) : run);
      if (result.isError === true) outcome = 'tool-error';
      return result;
    } catch (e) {
      outcome = ctx.mcpReq.signal.aborted ? 'cancelled' : e instanceof UpstreamError && e.code === ErrorCodes.RequestTimeout ? 'timeout' : 'error';
      errorText = errorMessage(e);
      if (e instanceof UpstreamError) throw new ProtocolError(e.code, e.message, { backend: e.backend, ...(isObject(e.data) ? e.data : e.data !== undefined ? { detail: e.data } : {}) });
      throw e;
    } finally {
      this.deps.bus.emit('call.finished', {
        callId,
        client,
        sessionId: info.sessionId,
        method,
        name: exposedName,
        backend: upstream.name,
        durationMs: performance.now() - started,
        outcome,
        responseBytes: result ? approxBytes(result) : 0,
        error: errorText,
      });
    }
  }

  private async forwardInner({ server, info, ctx, client, upstream, method, params, callId }: Forwarding): Promise<Record<string, unknown>> {
    const meta = { ...((ctx.mcpReq._meta ?? {}) as Record<string, unknown>) };
    const progressToken = meta.progressToken as string | number | undefined;
    delete meta.progressToken;

    let chain: Promise<unknown> = Promise.resolve();
    let relayed = false;
    const relay = (fn: () => Promise<unknown>) => {
      relayed = true;
      chain = chain.then(fn).catch(() => undefined);
      return chain;
    };
    // Clients (SDK v1 and v2 alike) drop a progress notification that arrives in the same read as
    // the response; after relaying anything, let the socket flush before the result goes out.
    const drain = async () => {
      await chain;
      if (relayed) await new Promise((r) => setImmediate(r));
    };
    const onProgress =
      progressToken !== undefined
        ? (p: { progress: number; total?: number; message?: string }) =>
            relay(() => ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, ...p } }))
        : undefined;
    const onNotification = (n: { method: string; params?: Record<string, unknown> }) =>
      relay(() => {
        if (n.method === 'notifications/message') {
          const p = n.params as { level: 'info'; data: unknown; logger?: string };
          return ctx.mcpReq.log(p.level, p.data, p.logger);
        }
        return ctx.mcpReq.notify(n as never);
      });

    const timeoutMs = this.timeoutFor(upstream, method, params);
    const base: Omit<CallContext, 'onReverseRequest'> = {
      callId,
      sessionKey: this.sessionKey(info, ctx),
      client,
      signal: ctx.mcpReq.signal,
      timeoutMs,
      meta: Object.keys(meta).length ? meta : undefined,
      // 2025 clients filter by their logging/setLevel (ctx.mcpReq.log applies it); modern clients ask per request.
      logLevel: info.era === 'legacy' ? 'debug' : envelopeLogLevel(ctx),
      onProgress,
      onNotification,
    };

    // A modern client's retry of a held call (our own requestState), or of a modern backend's
    // input_required (the backend's requestState, passed through verbatim).
    const state = ctx.mcpReq.requestState<unknown>();
    const stateStr = typeof state === 'string' ? state : undefined;
    if (info.era === 'modern' && stateStr?.startsWith(HELD_PREFIX)) {
      const held = this.held.get(stateStr.slice(HELD_PREFIX.length));
      if (!held || held.client !== client) {
        throw new ProtocolError(ErrorCodes.InvalidParams, 'Unknown or expired requestState: the held backend call is gone. Start the call again.');
      }
      held.progressSink = onProgress;
      held.notifySink = onNotification;
      const responses = ctx.mcpReq.inputResponses ?? {};
      for (const p of [...held.pending]) {
        if (!sent.has(p)) continue;
        if (p.key in responses) {
          held.pending.splice(held.pending.indexOf(p), 1);
          p.resolve(responses[p.key] as Record<string, unknown>);
        }
      }
      const out = await this.awaitHeld(held, ctx.mcpReq.signal);
      await drain();
      return out;
    }

    const forwardedParams = { ...params };
    if (ctx.mcpReq.inputResponses) forwardedParams.inputResponses = ctx.mcpReq.inputResponses;
    if (stateStr !== undefined) forwardedParams.requestState = stateStr;

    if (info.era === 'legacy') {
      // A 2025 client can be asked directly: push the backend's request to it, related to this call.
      const callCtx: CallContext = {
        ...base,
        onReverseRequest: (r) =>
          answerUndeclared(r, server.getClientCapabilities() as Record<string, unknown> | undefined) ??
          (ctx.mcpReq.send({ method: r.method as never, params: r.params }, { timeout: 600_000 }) as Promise<Record<string, unknown>>),
      };
      const res = await upstream.request(method, forwardedParams, callCtx);
      await drain();
      return this.adaptResult(res);
    }

    // Modern client: a backend's reverse request must become an input_required round.
    const held = new HeldCall(client);
    held.progressSink = onProgress;
    held.notifySink = onNotification;
    const callCtx: CallContext = {
      ...base,
      // Route relays through the held call, so later rounds deliver them on the live request.
      onProgress: progressToken !== undefined ? (p) => held.progressSink?.(p) : undefined,
      onNotification: (n) => held.notifySink?.(n),
      onReverseRequest: (r) => answerUndeclared(r, envelopeCapabilities(ctx)) ?? held.enqueue(r),
      signal: new AbortController().signal,
    };
    const abortOnFirstRound = () => {
      if (!held.pending.length && !held.result) callAbort.abort();
    };
    const callAbort = new AbortController();
    ctx.mcpReq.signal.addEventListener('abort', abortOnFirstRound, { once: true });
    callCtx.signal = callAbort.signal;
    upstream.request(method, forwardedParams, callCtx).then(
      (value) => held.settle({ ok: true, value }),
      (error) => held.settle({ ok: false, error }),
    );
    try {
      const out = await this.awaitHeld(held, ctx.mcpReq.signal);
      await drain();
      return out;
    } finally {
      ctx.mcpReq.signal.removeEventListener('abort', abortOnFirstRound);
    }
  }

  private async awaitHeld(held: HeldCall, signal: AbortSignal): Promise<Record<string, unknown>> {
    await held.next(signal);
    if (held.result) {
      this.held.delete(held.token);
      clearTimeout(held.expiry);
      if (held.result.ok) return this.adaptResult(held.result.value);
      throw held.result.error;
    }
    if (signal.aborted) throw new ProtocolError(ErrorCodes.InternalError, 'Request cancelled.');
    const inputRequests: Record<string, unknown> = {};
    for (const p of held.pending) {
      sent.add(p);
      inputRequests[p.key] = { method: p.request.method, params: p.request.params ?? {} };
    }
    this.held.set(held.token, held);
    clearTimeout(held.expiry);
    held.expiry = setTimeout(() => {
      this.held.delete(held.token);
      for (const p of held.pending) p.reject(new Error('The client did not answer the input request in time.'));
    }, HELD_TTL_MS);
    held.expiry.unref();
    return inputRequired({ inputRequests: inputRequests as never, requestState: `${HELD_PREFIX}${held.token}` }) as unknown as Record<string, unknown>;
  }

  /** A modern backend's input_required result is re-issued through the SDK builder for either era. */
  private adaptResult(res: Record<string, unknown>): Record<string, unknown> {
    if (res.resultType === 'input_required') {
      return inputRequired({ inputRequests: res.inputRequests as never, requestState: res.requestState as string | undefined }) as unknown as Record<string, unknown>;
    }
    return withoutBackendIdentity(res);
  }

  private timeoutFor(upstream: Upstream, method: string, params: Record<string, unknown>): number {
    const c = upstream.config;
    if (method === 'tools/call' && c.toolTimeouts && typeof params.name === 'string' && c.toolTimeouts[params.name]) {
      return c.toolTimeouts[params.name]! * 1000;
    }
    return c.timeout ? c.timeout * 1000 : this.deps.defaultTimeoutMs;
  }

  /** Active held calls (for tests and the dashboard). */
  get heldCalls(): number {
    return this.held.size;
  }

  dispose(): void {
    for (const h of this.held.values()) {
      clearTimeout(h.expiry);
      for (const p of h.pending) p.reject(new Error('Gateway stopping.'));
    }
    this.held.clear();
  }
}

/** The resource URIs a `subscriptions/listen` request asks updates for (none for any other message). */
export function listenResourceUris(message: unknown): string[] {
  const m = message as { method?: unknown; params?: { notifications?: { resourceSubscriptions?: unknown } } } | undefined;
  if (!m || typeof m !== 'object' || m.method !== 'subscriptions/listen') return [];
  const uris = m.params?.notifications?.resourceSubscriptions;
  return Array.isArray(uris) ? uris.filter((u): u is string => typeof u === 'string') : [];
}

function unknownName(kind: 'tool' | 'prompt', name: string, total: number): ProtocolError {
  return new ProtocolError(ErrorCodes.InvalidParams, `Unknown ${kind}: ${name}. The gateway lists ${total} ${kind}s; call ${kind}s/list for current names (a backend may be down).`);
}

/** The client capability each backend-to-client request needs. */
const REVERSE_CAPABILITY: Record<string, 'roots' | 'sampling' | 'elicitation'> = {
  'roots/list': 'roots',
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
};

/**
 * A backend request the calling client declared no support for is answered here (an empty roots
 * list, or an error to the backend) rather than passed on: a 2026-07-28 client fails its whole call
 * on an input_required round it cannot fulfil. Backends ask for roots unprompted (server-everything
 * does after initialize), so this also covers a request that merely coincided with the call.
 */
function answerUndeclared(r: ReverseRequest, capabilities: Record<string, unknown> | undefined): Promise<Record<string, unknown>> | undefined {
  const needed = REVERSE_CAPABILITY[r.method];
  if (!needed || !capabilities || capabilities[needed] !== undefined) return undefined;
  if (r.method === 'roots/list') return Promise.resolve({ roots: [] });
  return Promise.reject(new ProtocolError(ErrorCodes.MethodNotFound, `The client of this call does not support ${needed} (${r.method}).`));
}

function envelopeCapabilities(ctx: ServerContext): Record<string, unknown> | undefined {
  const caps = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY];
  return isObject(caps) ? caps : undefined;
}

function envelopeLogLevel(ctx: ServerContext): string | undefined {
  const env = (ctx.mcpReq.envelope ?? {}) as Record<string, unknown>;
  const v = env.logLevel ?? env['io.modelcontextprotocol/logLevel'];
  return typeof v === 'string' ? v : undefined;
}

/**
 * A 2026-07-28 backend stamps its own identity into each result's `_meta`. The client's server is the
 * gateway, and the SDK only stamps the gateway's identity where the key is absent, so drop the
 * backend's (every other `_meta` key passes through).
 */
function withoutBackendIdentity(res: Record<string, unknown>): Record<string, unknown> {
  const meta = res._meta;
  if (!isObject(meta) || !(SERVER_INFO_META_KEY in meta)) return res;
  const { [SERVER_INFO_META_KEY]: _backend, ...rest } = meta;
  const out = { ...res };
  if (Object.keys(rest).length) out._meta = rest;
  else delete out._meta;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A size for events without serialising the message again: string lengths summed over a bounded
 * walk. Close to the JSON size for the text-heavy payloads MCP carries, and cheap on the hot path.
 */
function approxBytes(v: unknown, budget = { nodes: 2_000 }): number {
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number' || typeof v === 'boolean') return 5;
  if (v === null || typeof v !== 'object' || --budget.nodes < 0) return 0;
  let n = 2;
  if (Array.isArray(v)) {
    for (const x of v) n += approxBytes(x, budget) + 1;
    return n;
  }
  for (const k in v) n += k.length + 4 + approxBytes((v as Record<string, unknown>)[k], budget);
  return n;
}
