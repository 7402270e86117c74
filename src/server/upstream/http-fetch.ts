import { Readable } from 'node:stream';
import { Agent, request } from 'undici';

export interface BackendFetch {
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  close(): Promise<void>;
}

/**
 * A fetch for one HTTP backend, on its own keep-alive undici pool. The SDK's HTTP transports accept
 * a `fetch`; going through `undici.request` instead of the WHATWG fetch skips most of that
 * machinery per call (measured with `npm run bench`: it was the largest cost on the HTTP-backend
 * path). Redirects are never followed here: the SDK applies its own redirect policy.
 */
export function createBackendFetch(): BackendFetch {
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: 64 });
  const fetchImpl = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (typeof input !== 'string' && !(input instanceof URL)) return fetch(input, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      return fetch(input, init);
    }
    const res = await request(input, {
      method: method as never,
      headers,
      body: body ?? undefined,
      signal: init.signal ?? undefined,
      dispatcher: agent,
    });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (Array.isArray(v)) for (const x of v) out.append(k, x);
      else if (v !== undefined) out.set(k, String(v));
    }
    const status = res.statusCode;
    if (status === 204 || status === 304 || method === 'HEAD') {
      await res.body.dump();
      return new Response(null, { status, headers: out });
    }
    if ((out.get('content-type') ?? '').includes('text/event-stream')) {
      return new Response(Readable.toWeb(res.body) as ReadableStream<Uint8Array>, { status, headers: out });
    }
    const buf = Buffer.from(await res.body.arrayBuffer());
    return new Response(buf.length === 0 && status === 202 ? null : buf, { status, headers: out });
  };
  return { fetch: fetchImpl, close: () => agent.close() };
}
