import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The trace context of the upstream request being sent, for the HTTP layer under the MCP SDK's
 * client: it has no per-request headers, so the backend's fetch reads them from here. Node's own
 * AsyncLocalStorage (no OpenTelemetry import): untraced calls never enter it and pay one lookup.
 */
const current = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/** Runs `send` with `carrier` (traceparent, tracestate, baggage) as the outbound trace headers. */
export function withTraceHeaders<T>(carrier: Readonly<Record<string, string>>, send: () => T): T {
  return current.run(carrier, send);
}

/** The trace headers for the request being sent now, if it is traced. */
export function traceHeaders(): Readonly<Record<string, string>> | undefined {
  return current.getStore();
}

/** The W3C trace context fields of an inbound HTTP request, when it carried any. */
export function inboundTraceHeaders(headers: { get(name: string): string | null } | undefined): Record<string, string> | undefined {
  const traceparent = headers?.get('traceparent');
  if (!traceparent) return undefined;
  const out: Record<string, string> = { traceparent };
  const tracestate = headers!.get('tracestate');
  if (tracestate) out.tracestate = tracestate;
  const baggage = headers!.get('baggage');
  if (baggage) out.baggage = baggage;
  return out;
}
