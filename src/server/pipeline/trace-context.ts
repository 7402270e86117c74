/**
 * The trace id of a W3C `traceparent` (version-traceid-parentid-flags), or undefined when the value
 * is not one: an all-zero id is invalid by the spec, and anything else a client sent is ignored.
 */
export function traceIdOf(traceparent: unknown): string | undefined {
  if (typeof traceparent !== 'string' || traceparent.length < 55) return undefined;
  const m = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})/.exec(traceparent);
  if (!m || m[1] === 'ff' || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return m[2];
}

/** The call's trace id: what tracing set, else the `_meta.traceparent` a client sent (SEP-414). */
export function callTraceId(call: { traceId?: string; meta?: Record<string, unknown> }): string | undefined {
  if (call.traceId !== undefined || call.meta?.traceparent === undefined) return call.traceId;
  return (call.traceId = traceIdOf(call.meta.traceparent));
}
