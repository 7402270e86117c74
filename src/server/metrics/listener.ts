import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../../core/errors.js';
import type { Scrape } from './metrics.js';

/** `host:port` → its parts; IPv6 hosts come in brackets (`[::1]:9464`). */
export function parseListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(colon + 1)) };
}

/**
 * `gateway.metrics.listen`: a listener for cluster scraping that serves GET /metrics and nothing
 * else, without auth (it is bound where the operator says, typically a pod network only Prometheus reaches).
 */
export class MetricsListener {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async open(listen: string, scrape: () => Promise<Scrape | undefined>): Promise<MetricsListener> {
    const { host, port } = parseListen(listen);
    const server = createServer((req, res) => void answer(req, res, scrape));
    server.requestTimeout = 30_000;
    server.headersTimeout = 10_000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EADDRNOTAVAIL' ? 'no interface has that address' : err.code === 'EACCES' ? 'permission denied' : err.message;
      throw new UserError(`gateway.metrics.listen: cannot bind ${listen}: ${why}.`, {
        code: 'metrics_listen_failed',
        hint: 'Pick another host:port for gateway.metrics.listen, or remove it to serve /metrics on the main port only.',
      });
    }
    const addr = server.address() as AddressInfo;
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return new MetricsListener(server, `http://${shown}:${addr.port}/metrics`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** Shared by this listener and the main port's /metrics route (after its admin check). */
export async function answer(req: IncomingMessage, res: ServerResponse, scrape: () => Promise<Scrape | undefined>): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://metrics.local').pathname;
  if (path !== '/metrics') return send(res, 404, 'text/plain; charset=utf-8', 'Only /metrics is served here.\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', `${req.method} is not served at /metrics.\n`);
  }
  try {
    const s = await scrape();
    if (!s) return send(res, 404, 'text/plain; charset=utf-8', 'Metrics are off (gateway.metrics.enabled: false).\n');
    return send(res, 200, s.contentType, req.method === 'HEAD' ? '' : s.body);
  } catch {
    return send(res, 500, 'text/plain; charset=utf-8', 'Collecting metrics failed.\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
