/**
 * An HTTP backend that drops its SSE response stream before answering leaves the SDK waiting for the
 * call's timeout. This fetch wrapper watches each POST whose answer is an event stream: when the
 * stream ends or breaks, the request ids it carried that got no response are reported, and the
 * connection fails those calls at once.
 */
type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Lets the SDK's stream parser deliver the events of the last chunk before we look for answers. */
const SETTLE_MS = 50;

export function guardSseResponses(fetchFn: FetchFn, onEnded: (ids: Array<string | number>, why: string) => void): FetchFn {
  return async (input, init) => {
    const res = await fetchFn(input, init);
    if ((init?.method ?? 'GET').toUpperCase() !== 'POST' || !res.body || !(res.headers.get('content-type') ?? '').includes('text/event-stream')) return res;
    const ids = requestIds(init?.body);
    if (ids.length === 0) return res;
    const reader = res.body.getReader();
    const report = (why: string) => setTimeout(() => onEnded(ids, why), SETTLE_MS).unref();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            report('the backend ended its response stream without an answer');
            controller.close();
          } else controller.enqueue(value);
        } catch (e) {
          report('the backend dropped its response stream before answering');
          controller.error(e);
        }
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

function requestIds(body: unknown): Array<string | number> {
  if (typeof body !== 'string') return [];
  try {
    const parsed = JSON.parse(body) as unknown;
    const msgs = Array.isArray(parsed) ? parsed : [parsed];
    return msgs.filter((m) => m && typeof m === 'object' && 'method' in m && 'id' in m && (typeof m.id === 'string' || typeof m.id === 'number')).map((m) => (m as { id: string | number }).id);
  } catch {
    return [];
  }
}
