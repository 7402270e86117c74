import type { IncomingMessage, ServerResponse } from 'node:http';
import { bracket, header, parseHostHeader } from './guards.js';

/** What a browser client must be allowed to send and to read for MCP over streamable HTTP. */
const ALLOW_HEADERS = ['Content-Type', 'Accept', 'Authorization', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Mcp-Method', 'Mcp-Name', 'Last-Event-ID', 'traceparent', 'tracestate', 'baggage'];
const EXPOSE_HEADERS = ['Mcp-Session-Id', 'Mcp-Protocol-Version', 'WWW-Authenticate', 'Retry-After'];
const ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';

/**
 * Host and Origin checks (DNS-rebinding protection) and CORS for the hostnames the configuration
 * allows. Origins outside the list get no CORS headers at all, so a browser refuses for them.
 */
export class OriginPolicy {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;

  constructor(bindHost: string, allowedHosts: string[] = [], allowedOrigins: string[] = []) {
    const local = ['localhost', '127.0.0.1', '[::1]'];
    this.hosts = new Set([...local, bracket(bindHost), ...allowedHosts].map((h) => h.toLowerCase()));
    this.origins = new Set([...local, ...allowedOrigins].map((h) => bracket(h.toLowerCase())));
  }

  allowHost(host: string): void {
    this.hosts.add(bracket(host).toLowerCase());
  }

  /** A refusal message, or undefined when Host (and Origin, if any) are acceptable. */
  check(req: IncomingMessage): string | undefined {
    const host = req.headers.host;
    if (!host) return 'Missing Host header.';
    const hostname = parseHostHeader(host);
    if (!hostname || !this.hosts.has(hostname)) return `Invalid Host header: ${printable(host)}. Add it to gateway.allowedHosts if this gateway is reached under that name.`;
    const origin = header(req, 'origin');
    if (origin === undefined) return undefined;
    if (!this.originAllowed(origin)) return `Origin not allowed: ${printable(origin)}. Add its hostname to gateway.allowedOrigins to allow browser clients from there.`;
    return undefined;
  }

  originAllowed(origin: string): boolean {
    const oh = originHostname(origin);
    return oh !== undefined && this.origins.has(oh);
  }

  /** Answers a CORS preflight; false when the request is not one this policy answers. */
  preflight(req: IncomingMessage, res: ServerResponse): boolean {
    const origin = header(req, 'origin');
    if (req.method !== 'OPTIONS' || !origin || !header(req, 'access-control-request-method')) return false;
    if (!this.originAllowed(origin)) {
      res.writeHead(403, { Vary: 'Origin', 'Content-Length': '0' }).end();
      return true;
    }
    res.writeHead(204, {
      ...this.corsHeaders(origin),
      'Access-Control-Allow-Methods': ALLOW_METHODS,
      'Access-Control-Allow-Headers': ALLOW_HEADERS.join(', '),
      'Access-Control-Max-Age': '600',
      'Content-Length': '0',
    });
    res.end();
    return true;
  }

  /** Adds the response headers a browser needs to read an MCP answer from an allowed origin. */
  decorate(req: IncomingMessage, res: ServerResponse): void {
    const origin = header(req, 'origin');
    if (!origin || !this.originAllowed(origin)) return;
    for (const [k, v] of Object.entries(this.corsHeaders(origin))) res.setHeader(k, v);
  }

  private corsHeaders(origin: string): Record<string, string> {
    return { 'Access-Control-Allow-Origin': origin, 'Access-Control-Expose-Headers': EXPOSE_HEADERS.join(', '), Vary: 'Origin' };
  }
}

function originHostname(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  // An Origin is scheme://host[:port] and nothing else; anything more is not a browser's.
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) return undefined;
  return bracket(url.hostname.toLowerCase());
}

/** Header values echoed in messages are cut and stripped of control characters. */
function printable(v: string): string {
  return v.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
