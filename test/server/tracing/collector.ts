// A stand-in for an OpenTelemetry collector: an OTLP/HTTP receiver on 127.0.0.1 that accepts
// `POST /v1/traces` in the JSON encoding (http/json) and keeps every span it was sent. A real
// collector cannot run here; this one speaks the same wire format the SDK's OTLP exporter sends.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  links: Array<{ traceId: string; spanId: string }>;
  resource: Record<string, string | number | boolean>;
}

export const SpanKindOtlp = { INTERNAL: 1, SERVER: 2, CLIENT: 3 } as const;

export interface Collector {
  /** The base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans: SpanRecord[];
  /** Content types of the posts received (the test checks the exporter used JSON). */
  contentTypes: string[];
  /** Waits until a span matching `pred` has arrived. */
  waitFor(pred: (s: SpanRecord) => boolean, what: string, timeoutMs?: number): Promise<SpanRecord>;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

function value(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  return JSON.stringify(v);
}

function attrs(list: Array<{ key: string; value: AnyValue }> | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of list ?? []) out[a.key] = value(a.value);
  return out;
}

export async function startCollector(): Promise<Collector> {
  const spans: SpanRecord[] = [];
  const contentTypes: string[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(String(req.headers['content-type'] ?? ''));
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const resource = attrs(rs.resource?.attributes);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                name: s.name,
                kind: s.kind,
                attributes: attrs(s.attributes),
                status: s.status ?? {},
                links: (s.links ?? []).map((l: { traceId: string; spanId: string }) => ({ traceId: l.traceId, spanId: l.spanId })),
                resource,
              });
            }
          }
        }
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"not OTLP JSON"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    waitFor(pred, what, timeoutMs = 20_000) {
      const found = spans.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const s = spans.find(pred);
          if (!s) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(s);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no span ${what} within ${timeoutMs} ms; received: ${spans.map((s) => s.name).join(', ') || 'none'}`));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
