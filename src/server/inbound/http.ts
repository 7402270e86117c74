import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
  isLegacyRequest,
  type McpHttpHandler,
  type Server,
} from '@modelcontextprotocol/server';
import type { EventBus } from '../../core/events.js';
import { listenResourceUris, type Router } from '../router.js';
import { SseServerTransport } from './sse.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** How long close() waits for responses already being written. */
const CLOSE_GRACE_MS = 3_000;

export interface HttpAppOptions {
  host: string;
  port: number;
  router: Router;
  bus: EventBus;
  allowedHosts?: string[];
  allowedOrigins?: string[];
  /** Readiness and admin data come from the gateway. */
  readiness: () => { ready: boolean; backends: Record<string, unknown> };
  status: () => Record<string, unknown>;
  refresh: (backend?: string) => Promise<Record<string, unknown>>;
  aliases: () => Record<string, unknown>;
  adminToken: string;
  /** More admin routes (approvals); answers true when it handled the path. Runs after the admin checks. */
  adminRoutes?: (req: IncomingMessage, res: ServerResponse, path: string, url: URL) => Promise<boolean>;
  /**
   * Inbound auth for /mcp, /sse and /messages. Resolves the client identity, or a complete refusal
   * (status, headers such as WWW-Authenticate, JSON body). Absent: no auth (loopback binds only).
   */
  authenticate?: (req: IncomingMessage) => Promise<AuthOutcome>;
  /** Serves /.well-known/* documents (RFC 9728 metadata); undefined when the path is not one. */
  wellKnown?: (req: IncomingMessage, path: string) => { status: number; headers?: Record<string, string>; body: unknown } | undefined;
}

export type AuthOutcome =
  | { ok: true; client: string; subject?: string }
  | { ok: false; status: number; headers?: Record<string, string>; body: unknown; reason: string };

interface LegacySession {
  id: string;
  server: Server;
  transport: WebStandardStreamableHTTPServerTransport | SseServerTransport;
  kind: 'streamable-http' | 'sse';
  client: string;
  /** The authenticated identity that opened the session; later requests must carry the same. */
  authClient?: string;
  subscriptions: Set<string>;
}

/**
 * The inbound HTTP side: streamable HTTP at /mcp for both protocol eras (stateless 2026-07-28
 * requests through the SDK handler; 2025 clients get real sessions so backends can reach them with
 * sampling and elicitation), legacy SSE at /sse + /messages, health, readiness and a loopback-only
 * admin API.
 */
export class HttpApp {
  private http?: HttpServer;
  private readonly modern: McpHttpHandler;
  readonly sessions = new Map<string, LegacySession>();
  private allowedHostnames: Set<string>;
  private allowedOriginHostnames: Set<string>;

  constructor(private readonly opts: HttpAppOptions) {
    this.modern = createMcpHandler((ctx) => opts.router.createServer({ era: ctx.era, transport: 'streamable-http' }), {
      legacy: 'stateless',
      onerror: () => undefined,
    });
    const local = ['localhost', '127.0.0.1', '[::1]', '::1'];
    this.allowedHostnames = new Set([...local, bracket(opts.host), ...(opts.allowedHosts ?? [])].map((h) => h.toLowerCase()));
    this.allowedOriginHostnames = new Set([...local, ...(opts.allowedOrigins ?? [])].map((h) => h.toLowerCase()));
  }

  async listen(): Promise<{ host: string; port: number; url: string }> {
    this.http = createServer((req, res) => {
      if (req.method === 'POST') {
        this.answering.add(res);
        res.once('close', () => this.answering.delete(res));
      }
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', message: String((e as Error)?.message ?? e) });
        else res.destroy();
      });
    });
    this.http.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const addr = this.http.address() as AddressInfo;
    this.allowedHostnames.add(bracket(addr.address));
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { host: addr.address, port: addr.port, url: `http://${host}:${addr.port}/mcp` };
  }

  /** List-changed to every connected client of both eras. */
  notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): void {
    if (kind === 'tools') this.modern.notify.toolsChanged();
    if (kind === 'prompts') this.modern.notify.promptsChanged();
    if (kind === 'resources') this.modern.notify.resourcesChanged();
    for (const s of this.sessions.values()) {
      const p = kind === 'tools' ? s.server.sendToolListChanged() : kind === 'prompts' ? s.server.sendPromptListChanged() : s.server.sendResourceListChanged();
      void Promise.resolve(p).catch(() => undefined);
    }
  }

  /** A resource update reaches the sessions subscribed to it and modern listeners. */
  notifyResourceUpdated(uri: string, sessionKey?: string): void {
    this.modern.notify.resourceUpdated(uri);
    for (const s of this.sessions.values()) {
      if (sessionKey && sessionKey !== s.id && sessionKey !== 'shared') continue;
      if (!s.subscriptions.has(uri)) continue;
      void s.server.sendResourceUpdated({ uri }).catch(() => undefined);
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
    const rejected = this.checkHostAndOrigin(req);
    if (rejected) return sendJson(res, 403, { jsonrpc: '2.0', error: { code: -32000, message: rejected }, id: null });

    if (path === '/readyz') {
      const r = this.opts.readiness();
      return sendJson(res, r.ready ? 200 : 503, r);
    }
    if (path.startsWith('/admin/')) return this.handleAdmin(req, res, path, url);
    if (path.startsWith('/.well-known/') && this.opts.wellKnown) {
      const doc = this.opts.wellKnown(req, path);
      if (doc) {
        res.writeHead(doc.status, { 'Content-Type': 'application/json', ...doc.headers });
        return void res.end(JSON.stringify(doc.body));
      }
    }
    const isMcpPath = path === '/mcp' || path === '/sse' || path === '/messages';
    let client: string | undefined;
    if (isMcpPath && this.opts.authenticate) {
      const outcome = await this.opts.authenticate(req);
      if (!outcome.ok) {
        this.opts.bus.emit('auth.failed', { reason: outcome.reason, remote: req.socket.remoteAddress });
        res.writeHead(outcome.status, { 'Content-Type': 'application/json', ...outcome.headers });
        return void res.end(JSON.stringify(outcome.body));
      }
      client = outcome.client;
    }
    if (path === '/mcp') return this.handleMcp(req, res, client);
    if (path === '/sse' && req.method === 'GET') return this.handleSseOpen(req, res, client);
    if (path === '/messages' && req.method === 'POST') return this.handleSseMessage(req, res, url, client);
    return sendJson(res, 404, { error: 'not_found', message: `No route for ${req.method} ${path}. MCP is served at /mcp (streamable HTTP) and /sse (legacy SSE).` });
  }

  private checkHostAndOrigin(req: IncomingMessage): string | undefined {
    const host = req.headers.host;
    if (!host) return 'Missing Host header.';
    const hostname = hostnameOf(host);
    if (!hostname || !this.allowedHostnames.has(hostname)) return `Invalid Host header: ${host}. Add it to gateway.allowedHosts if this gateway is reached under that name.`;
    const origin = req.headers.origin;
    if (origin) {
      let oh: string;
      try {
        oh = new URL(origin).hostname.toLowerCase();
      } catch {
        return `Invalid Origin header: ${origin}.`;
      }
      if (oh.includes(':') && !oh.startsWith('[')) oh = `[${oh}]`;
      if (!this.allowedOriginHostnames.has(oh)) return `Origin not allowed: ${origin}. Add its hostname to gateway.allowedOrigins to allow browser clients from there.`;
    }
    return undefined;
  }

  private async handleMcp(req: IncomingMessage, res: ServerResponse, client?: string): Promise<void> {
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId) {
      const s = this.sessions.get(sessionId);
      if (!s || s.kind !== 'streamable-http' || (client !== undefined && s.authClient !== client)) {
        return sendJson(res, 404, { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found (it expired or the gateway restarted); initialize again.' }, id: null });
      }
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      if (body && 'tooLarge' in body) return sendJson(res, 413, { error: 'payload_too_large' });
      const request = toWebRequest(req, res, body?.text);
      const response = await (s.transport as WebStandardStreamableHTTPServerTransport).handleRequest(request, body?.json !== undefined ? { parsedBody: body.json } : undefined);
      return writeWebResponse(res, response);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      res.setHeader('Allow', 'POST');
      return sendJson(res, 405, { jsonrpc: '2.0', error: { code: -32000, message: `${req.method} needs an Mcp-Session-Id (2025-era sessions). 2026-07-28 clients use POST with subscriptions/listen.` }, id: null });
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST, DELETE');
      return sendJson(res, 405, { error: 'method_not_allowed' });
    }
    const body = await readBody(req);
    if ('tooLarge' in body) return sendJson(res, 413, { error: 'payload_too_large' });
    if (body.parseError) return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error: the body is not valid JSON.' }, id: null });
    const request = toWebRequest(req, res, body.text);
    if (isInitialize(body.json) && (await isLegacyRequest(request.clone(), body.json))) {
      return this.startStreamableSession(req, res, request, body.json, client);
    }
    // A listen stream asking for resource updates: subscribe the owning backends while it is open.
    if ((body.json as { method?: unknown } | undefined)?.method === 'subscriptions/listen') this.answering.delete(res);
    const uris = listenResourceUris(body.json);
    if (uris.length) {
      const release = await this.opts.router.listenResources(uris);
      if (release) res.once('close', () => void release());
    }
    const response = await this.modern.fetch(request, { parsedBody: body.json, ...(client ? { authInfo: { token: '', clientId: client, scopes: [] } } : {}) });
    return writeWebResponse(res, response);
  }

  private async startStreamableSession(req: IncomingMessage, res: ServerResponse, request: Request, parsedBody: unknown, authClient?: string): Promise<void> {
    const id = randomUUID();
    const client = authClient ?? clientNameFromInitialize(parsedBody) ?? 'client';
    const server = this.opts.router.createServer({ era: 'legacy', transport: 'streamable-http', sessionId: id, client: authClient });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => id,
      onsessionclosed: () => this.closeSession(id),
    });
    const session: LegacySession = { id, server, transport, kind: 'streamable-http', client, authClient, subscriptions: new Set() };
    this.sessions.set(id, session);
    transport.onclose = () => this.closeSession(id);
    await server.connect(transport);
    this.opts.bus.emit('session.opened', { sessionId: id, client, era: 'legacy', transport: 'streamable-http' });
    const response = await transport.handleRequest(request, { parsedBody });
    if (!response.headers.get('mcp-session-id')) this.closeSession(id);
    return writeWebResponse(res, response);
  }

  private closeSession(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.opts.bus.emit('session.closed', { sessionId: id, client: s.client });
    void s.server.close().catch(() => undefined);
    this.onSessionClosed?.(id);
  }

  /** The gateway releases per-session backend connections here. */
  onSessionClosed?: (sessionId: string) => void;

  private async handleSseOpen(_req: IncomingMessage, res: ServerResponse, authClient?: string): Promise<void> {
    const transport = new SseServerTransport(res, '/messages');
    const id = transport.sessionId;
    const server = this.opts.router.createServer({ era: 'legacy', transport: 'sse', sessionId: id, client: authClient });
    const session: LegacySession = { id, server, transport, kind: 'sse', client: authClient ?? 'sse-client', authClient, subscriptions: new Set() };
    this.sessions.set(id, session);
    transport.onclose = () => this.closeSession(id);
    await server.connect(transport);
    server.oninitialized = () => {
      if (!authClient) session.client = server.getClientVersion()?.name ?? session.client;
      this.opts.bus.emit('session.opened', { sessionId: id, client: session.client, era: 'legacy', transport: 'sse' });
    };
  }

  private async handleSseMessage(req: IncomingMessage, res: ServerResponse, url: URL, client?: string): Promise<void> {
    const id = url.searchParams.get('sessionId') ?? '';
    const s = this.sessions.get(id);
    if (!s || s.kind !== 'sse' || (client !== undefined && s.authClient !== client)) return sendJson(res, 404, { error: 'session_not_found', message: 'Unknown sessionId; open /sse again.' });
    const body = await readBody(req);
    if ('tooLarge' in body) return sendJson(res, 413, { error: 'payload_too_large' });
    if (body.parseError) return sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
    const messages = Array.isArray(body.json) ? body.json : [body.json];
    res.writeHead(202).end('Accepted');
    for (const m of messages) (s.transport as SseServerTransport).receive(m);
  }

  private async handleAdmin(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const remote = req.socket.remoteAddress ?? '';
    if (!isLoopback(remote)) return sendJson(res, 403, { error: 'forbidden', message: 'The admin API answers loopback clients only.' });
    const auth = header(req, 'authorization') ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!safeEqual(token, this.opts.adminToken)) return sendJson(res, 401, { error: 'unauthorized', message: 'Missing or wrong admin token (the CLI reads it from the gateway state file).' });
    if (this.opts.adminRoutes && (await this.opts.adminRoutes(req, res, path, url))) return;
    if (path === '/admin/status' && req.method === 'GET') return sendJson(res, 200, this.opts.status());
    if (path === '/admin/aliases' && req.method === 'GET') return sendJson(res, 200, this.opts.aliases());
    if (path === '/admin/refresh' && req.method === 'POST') {
      const backend = url.searchParams.get('backend') ?? undefined;
      try {
        return sendJson(res, 200, await this.opts.refresh(backend));
      } catch (e) {
        return sendJson(res, 404, { error: 'refresh_failed', message: (e as Error).message });
      }
    }
    return sendJson(res, 404, { error: 'not_found' });
  }

  /**
   * POSTs whose response is still being written (a call's result, an error); listen streams leave
   * the set, since they only end when the client or close() ends them.
   */
  private readonly answering = new Set<ServerResponse>();

  async close(): Promise<void> {
    // Accept no new connections, and let responses already on their way finish (a drained call's
    // result is written after the call settles), then end sessions and streams.
    const http = this.http;
    const closed = http ? new Promise<void>((resolve) => http.close(() => resolve())) : Promise.resolve();
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.answering.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    for (const id of [...this.sessions.keys()]) {
      const s = this.sessions.get(id);
      await s?.transport.close().catch(() => undefined);
      this.closeSession(id);
    }
    await this.modern.close().catch(() => undefined);
    http?.closeAllConnections();
    await closed;
  }
}

function isInitialize(body: unknown): boolean {
  const one = Array.isArray(body) ? body[0] : body;
  return Boolean(one && typeof one === 'object' && (one as { method?: string }).method === 'initialize');
}

function clientNameFromInitialize(body: unknown): string | undefined {
  const one = (Array.isArray(body) ? body[0] : body) as { params?: { clientInfo?: { name?: string } } } | undefined;
  return one?.params?.clientInfo?.name;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bracket(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function hostnameOf(hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function isLoopback(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

type Body = { text: string; json?: unknown; parseError?: boolean } | { tooLarge: true };

async function readBody(req: IncomingMessage): Promise<Body> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    return { tooLarge: true };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { tooLarge: true };
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return { text, json: undefined, parseError: true };
  try {
    return { text, json: JSON.parse(text) };
  } catch {
    return { text, parseError: true };
  }
}

function toWebRequest(req: IncomingMessage, res: ServerResponse, body?: string): Request {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  const controller = new AbortController();
  // A client that goes away mid-call aborts the request (and so the backend call).
  res.once('close', () => {
    if (!res.writableEnded) controller.abort();
  });
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method,
    headers,
    body: body !== undefined && req.method !== 'GET' && req.method !== 'HEAD' ? body : undefined,
    signal: controller.signal,
  });
}

async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k === 'set-cookie') return;
    headers[k] = v;
  });
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((r) => res.once('drain', r));
    }
  } catch {
    // client went away
  } finally {
    res.end();
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
