import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLegacyRequest, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { AdminHandlers } from '../../core/admin/contract.js';
import type { EventBus } from '../../core/events.js';
import { adminAllowed, handleAdmin, type AdminRoutes } from './admin.js';
import type { RemoteAdminConfig } from '../../core/config/schema-access.js';
import type { Identity } from '../../core/identity.js';
import type { Router } from '../router.js';
import { SessionRegistry } from '../sessions.js';
import type { InboundContext } from './context.js';
import { OriginPolicy } from './cors.js';
import { header, inboundLimits, isLoopback, limitConnections, readBody, rpcError, sendInternalError, sendJson, sendTooLarge, type InboundLimits } from './guards.js';
import { openSseSession, postSseMessages } from './legacy-sse.js';
import { checkParamHeaders, checkStandardHeaders } from './mcp-headers.js';
import { createStatelessHandler, handleStateless } from './stateless.js';
import { matchFastRequest } from './fast-request.js';
import { serveFastModern } from './fast-modern.js';
import { handleSessionRequest, isInitialize, startSession } from './streamable.js';
import { toWebRequest } from './web.js';

export { MAX_BODY_BYTES } from './guards.js';
/** How long close() waits for responses already being written. */
const CLOSE_GRACE_MS = 3_000;

export interface HttpAppOptions extends AdminHandlers {
  /** The approval page (/approvals, /approvals/<id>); answers true when it handled the path. Does its own auth. */
  approvalPages?: (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => Promise<boolean>;
  /** More admin routes (approvals); answers true when it handled the path. Runs after the admin checks. */
  adminRoutes?: AdminRoutes;
  /** gateway.admin.remote, read per request: who may use the admin API from off-loopback (remote-admin.ts). */
  remoteAdmin?: () => RemoteAdminConfig | undefined;
  host: string;
  port: number;
  router: Router;
  bus: EventBus;
  /** The gateway's one session registry (a private one when absent, for tests of the app alone). */
  sessions?: SessionRegistry;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  /** gateway.inbound: timeouts, connection cap, stream bound, keep-alive. */
  limits?: Partial<InboundLimits>;
  /** Readiness and admin data come from the gateway. */
  readiness: () => { ready: boolean; backends: Record<string, unknown> };
  /**
   * Inbound auth for /mcp, /sse and /messages. Resolves the client identity, or a complete refusal
   * (status, headers such as WWW-Authenticate, JSON body). Absent: no auth (loopback binds only).
   * It sees headers only: no body is read before it has said yes.
   */
  authenticate?: (req: IncomingMessage) => Promise<AuthOutcome>;
  /** /metrics in Prometheus text format, behind the admin checks (src/server/metrics); undefined when off. */
  metrics?: () => Promise<{ contentType: string; body: string } | undefined>;
  /** Serves /.well-known/* documents (RFC 9728 metadata); undefined when the path is not one. */
  wellKnown?: (req: IncomingMessage, path: string) => { status: number; headers?: Record<string, string>; body: unknown } | undefined;
  /** Whether gateway.servers defines a virtual server (served at /servers/NAME/mcp, /sse, /messages). */
  hasServer?: (name: string) => boolean;
  /**
   * The message-level fast path for plain 2026-07-28 calls and lists (fast-modern.ts). On unless
   * false here or GATEHOUSE_FAST_PATH=0 (then every request takes the SDK's per-request server).
   */
  fastPath?: boolean;
}

/** /servers/NAME/mcp, /servers/NAME/sse, /servers/NAME/messages: a virtual server's endpoints. */
const SERVER_PATH = /^\/servers\/([A-Za-z0-9][A-Za-z0-9_-]{0,47})(\/mcp|\/sse|\/messages)$/;

export type AuthOutcome =
  | { ok: true; client: string; subject?: string; identity: Identity }
  | { ok: false; status: number; headers?: Record<string, string>; body: unknown; reason: string };

/**
 * The inbound HTTP side: the route table, and what every route shares (Host/Origin checks, CORS,
 * auth, limits). Each era has its adapter: streamable.ts (2025 sessions), stateless.ts (2026-07-28
 * and session-less requests), legacy-sse.ts (/sse + /messages). Sessions live in the registry.
 */
export class HttpApp {
  private http?: HttpServer;
  private readonly modern: McpHttpHandler;
  /** One stateless handler per virtual server, made on first use (its server factory carries the name). */
  private readonly serverHandlers = new Map<string, McpHttpHandler>();
  readonly sessions: SessionRegistry;
  private readonly origins: OriginPolicy;
  private readonly ctx: InboundContext;
  /**
   * POSTs whose response is still being written (a call's result, an error); listen streams leave
   * the set, since they only end when the client or close() ends them.
   */
  private readonly answering = new Set<ServerResponse>();
  private readonly fastPath: boolean;

  constructor(private readonly opts: HttpAppOptions) {
    this.fastPath = opts.fastPath ?? process.env.GATEHOUSE_FAST_PATH !== '0';
    this.sessions = opts.sessions ?? new SessionRegistry(opts.bus);
    this.modern = createStatelessHandler(opts.router);
    this.origins = new OriginPolicy(opts.host, opts.allowedHosts, opts.allowedOrigins);
    this.ctx = { router: opts.router, registry: this.sessions, bus: opts.bus, limits: inboundLimits(opts.limits), answering: this.answering, fastPath: this.fastPath };
  }

  async listen(): Promise<{ host: string; port: number; url: string }> {
    const limits = this.ctx.limits;
    this.http = createServer(
      {
        headersTimeout: limits.headersTimeout * 1000,
        requestTimeout: limits.requestTimeout * 1000,
        // Node checks the two timeouts on this interval; its 30 s default would stretch them.
        connectionsCheckingInterval: Math.min(1_000, limits.headersTimeout * 500),
      },
      (req, res) => {
        if (req.method === 'POST') {
          this.answering.add(res);
          res.once('close', () => this.answering.delete(res));
        }
        this.handle(req, res).catch((e) => sendInternalError(req, res, this.opts.bus, e));
      },
    );
    this.http.keepAliveTimeout = 65_000;
    limitConnections(this.http, limits.maxConnectionsPerAddress, this.opts.bus);
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const addr = this.http.address() as AddressInfo;
    this.origins.allowHost(addr.address);
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { host: addr.address, port: addr.port, url: `http://${host}:${addr.port}/mcp` };
  }

  /** Cluster sessions (issue 12): set once the gateway joined its cluster; undefined leaves one process as it was. */
  joinCluster(cluster: InboundContext['cluster']): void {
    this.ctx.cluster = cluster;
  }

  /** List-changed to every connected client of both eras. */
  notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): void {
    // Virtual servers are told whenever the catalog changes, not only when their own view did.
    for (const h of [this.modern, ...this.serverHandlers.values()]) {
      if (kind === 'tools') h.notify.toolsChanged();
      if (kind === 'prompts') h.notify.promptsChanged();
      if (kind === 'resources') h.notify.resourcesChanged();
    }
    for (const s of this.sessions.sessions()) if (s.transport !== 'stdio') s.peer?.notifyListChanged(kind);
  }

  /** A resource update reaches the sessions subscribed to it and modern listeners. */
  notifyResourceUpdated(uri: string, sessionKey?: string): void {
    for (const h of [this.modern, ...this.serverHandlers.values()]) h.notify.resourceUpdated(uri);
    for (const s of this.sessions.sessions()) {
      if (s.transport === 'stdio') continue;
      if (sessionKey && sessionKey !== s.id && sessionKey !== 'shared') continue;
      if (!s.subscriptions.has(uri)) continue;
      s.peer?.notifyResourceUpdated(uri);
    }
  }

  trackSubscription(sessionKey: string, uri: string, subscribed: boolean): void {
    const s = this.sessions.get(sessionKey);
    if (!s) return;
    if (subscribed) s.subscriptions.add(uri);
    else s.subscriptions.delete(uri);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gatehouse.local');
    const path = url.pathname;

    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });

    // DNS-rebinding protection: a browser tricked into calling us carries a foreign Host or Origin.
    const rejected = this.origins.check(req);
    if (rejected) return sendJson(res, 403, rpcError(-32000, rejected));

    if (path === '/readyz') {
      const r = this.opts.readiness();
      return sendJson(res, r.ready ? 200 : 503, r);
    }
    if (path.startsWith('/admin/')) {
      const remote = { config: this.opts.remoteAdmin ?? (() => undefined), authenticate: this.opts.authenticate };
      return handleAdmin(req, res, url, this.opts, this.opts.adminRoutes, remote);
    }
    if (path === '/metrics' && this.opts.metrics) {
      if (!adminAllowed(req, res, this.opts.adminToken)) return;
      return (await import('../metrics/listener.js')).answer(req, res, this.opts.metrics);
    }
    if (path.startsWith('/.well-known/') && this.opts.wellKnown) {
      const doc = this.opts.wellKnown(req, path);
      if (doc) {
        res.writeHead(doc.status, { 'Content-Type': 'application/json', ...doc.headers });
        return void res.end(JSON.stringify(doc.body));
      }
    }
    if ((path === '/approvals' || path.startsWith('/approvals/')) && this.opts.approvalPages && (await this.opts.approvalPages(req, res, path, url))) return;
    const virtual = SERVER_PATH.exec(path);
    if (path.startsWith('/servers/') && (!virtual || !this.opts.hasServer?.(virtual[1]!))) {
      return sendJson(res, 404, { error: 'not_found', message: `No virtual server at ${path}. Servers are defined under gateway.servers and served at /servers/NAME/mcp (see \`gatehouse servers list\`).` });
    }
    const server = virtual?.[1];
    const route = virtual ? virtual[2]! : path;
    const isMcpPath = route === '/mcp' || route === '/sse' || route === '/messages';
    if (!isMcpPath) return sendJson(res, 404, { error: 'not_found', message: `No route for ${req.method} ${path}. MCP is served at /mcp (streamable HTTP) and /sse (legacy SSE).` });
    // A preflight carries no credentials, so it is answered before auth.
    if (this.origins.preflight(req, res)) return;
    this.origins.decorate(req, res);
    let caller: Identity | undefined;
    if (this.opts.authenticate) {
      const outcome = await this.opts.authenticate(req);
      if (!outcome.ok) {
        this.opts.bus.emit('auth.failed', { reason: outcome.reason, remote: req.socket.remoteAddress });
        // The body is never read for a refused request; closing keeps it from being drained.
        if (req.method === 'POST' && !req.complete) res.shouldKeepAlive = false;
        res.writeHead(outcome.status, { 'Content-Type': 'application/json', ...outcome.headers });
        return void res.end(JSON.stringify(outcome.body));
      }
      caller = outcome.identity;
    }
    if (route === '/mcp') return this.handleMcp(req, res, caller, server);
    if (route === '/sse' && req.method === 'GET') return openSseSession(this.ctx, req, res, caller, server);
    if (route === '/messages' && req.method === 'POST') return postSseMessages(this.ctx, req, res, url, caller, server);
    res.setHeader('Allow', route === '/sse' ? 'GET' : 'POST');
    return sendJson(res, 405, { error: 'method_not_allowed', message: `${req.method} is not served at ${path}.` });
  }

  private async handleMcp(req: IncomingMessage, res: ServerResponse, caller?: Identity, server?: string): Promise<void> {
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId) return handleSessionRequest(this.ctx, req, res, sessionId, caller, server);
    if (req.method === 'GET' || req.method === 'DELETE') {
      res.setHeader('Allow', 'POST');
      return sendJson(res, 405, rpcError(-32000, `${req.method} needs an Mcp-Session-Id (2025-era sessions). 2026-07-28 clients use POST with subscriptions/listen.`));
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST, DELETE, OPTIONS');
      return sendJson(res, 405, { error: 'method_not_allowed' });
    }
    const body = await readBody(req);
    if ('tooLarge' in body) return sendTooLarge(req, res);
    if (body.parseError) return sendJson(res, 400, rpcError(-32700, 'Parse error: the body is not valid JSON.'));
    // 2026-07-28 standard headers against the body, before any dispatch (SDK handler or fast path).
    const refused = checkStandardHeaders(req.headers, body.json) ?? checkParamHeaders(req.headers, body.json, (tool) => this.opts.router.toolSchema(tool));
    if (refused) return sendJson(res, refused.status, refused.body);
    if (this.ctx.cluster && (await this.ctx.cluster.handleHeld(req, res, { text: body.text, json: body.json }))) return;
    // The message-level fast path: a plain 2026-07-28 call or list goes to the pipeline as parsed.
    const fast = this.ctx.fastPath ? matchFastRequest(req, body.json) : undefined;
    if (fast) return serveFastModern(this.ctx, req, res, fast, caller, server);
    const request = toWebRequest(req, res, body.text);
    if (isInitialize(body.json) && (await isLegacyRequest(request.clone(), body.json))) return startSession(this.ctx, res, request, body.json, caller, server);
    return handleStateless(this.ctx, this.statelessFor(server), req, res, request, body.json, caller, server);
  }

  private statelessFor(server: string | undefined): McpHttpHandler {
    if (server === undefined) return this.modern;
    let h = this.serverHandlers.get(server);
    if (!h) this.serverHandlers.set(server, (h = createStatelessHandler(this.opts.router, server)));
    return h;
  }


  /** Answers every call still unanswered with a final "gateway shutting down" error (the drain is over). */
  failPending(): Promise<number> {
    return this.sessions.failPending();
  }

  async close(): Promise<void> {
    // Accept no new connections, and let responses already on their way finish (a drained call's
    // result is written after the call settles), then answer what is left and end sessions and streams.
    const http = this.http;
    const closed = http ? new Promise<void>((resolve) => http.close(() => resolve())) : Promise.resolve();
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.answering.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await this.sessions.failPending();
    for (const s of [...this.sessions.sessions()]) if (s.transport !== 'stdio') this.sessions.close(s.id, 'shutdown');
    await this.modern.close().catch(() => undefined);
    for (const h of this.serverHandlers.values()) await h.close().catch(() => undefined);
    http?.closeAllConnections();
    await closed;
  }
}
