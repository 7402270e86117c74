import { ROOT_CONTEXT, SpanKind, SpanStatusCode, isSpanContextValid, propagation, trace, type Attributes, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import { errorMessage } from '../../core/errors.js';
import { redactString } from '../../core/log/redact.js';
import { withoutCommandLine } from '../pipeline/errors.js';
import type { CallContext, Handler, Result, Step } from '../pipeline/types.js';
import { UpstreamError, type Upstream } from '../upstream/types.js';

/** What the pipeline needs from tracing: a first step that opens the server span, and a wrapper for the others. */
export interface PipelineTracing {
  server: Step;
  wrap(step: Step): Step;
}

/**
 * Steps that get no span of their own: limits and identity only bound and label the call, observe
 * and metrics only record it (each span costs about 7 µs of CPU with its export). Forward becomes
 * the CLIENT span.
 */
const NO_STEP_SPAN = new Set(['limits', 'identity', 'observe', 'metrics']);
/** Client-chosen text in span names and attributes is bounded. */
const MAX_TEXT = 200;

/**
 * Spans after the OpenTelemetry MCP semantic conventions: one SERVER span per client request, named
 * `{mcp.method.name} {target}`; one INTERNAL span per policy step (resolve, policy, approval, …),
 * ending when the step hands the call on, so its length is the step's own work; and a CLIENT span
 * for the upstream request, whose context the backend receives.
 */
export function pipelineTracing(tracer: Tracer): PipelineTracing {
  // The server span's context per call; calls are not copied as they pass the steps.
  const parents = new WeakMap<CallContext, Context>();
  const wrapped = new WeakSet<Step>();

  const server: Step = {
    name: 'trace',
    handle(call: CallContext, next: Handler): Promise<Result> {
      const { parent, links } = parentOf(call);
      const span = tracer.startSpan(spanName(call.method, clientTarget(call)), { kind: SpanKind.SERVER, attributes: requestAttributes(call), ...(links ? { links } : {}) }, parent);
      parents.set(call, trace.setSpan(parent, span));
      call.traceId = span.spanContext().traceId;
      return settle(next, call, (result, error) => {
        if (call.route) span.setAttribute('gatehouse.backend', call.route.upstream.name);
        finish(span, call, result, error);
      });
    },
  };

  const stepSpan = (step: Step): Step => ({
    name: step.name,
    handle(call: CallContext, next: Handler): Promise<Result> {
      const parent = parents.get(call);
      // A call the sampler dropped still propagates its context, but its steps cost nothing more.
      if (!parent || !trace.getSpan(parent)?.isRecording()) return step.handle(call, next);
      const span = tracer.startSpan(`gatehouse.${step.name}`, { kind: SpanKind.INTERNAL, attributes: { 'gatehouse.step': step.name } }, parent);
      const decided = call.decisions.length;
      let open = true;
      const close = (result?: Result, error?: unknown) => {
        if (!open) return;
        open = false;
        const d = call.decisions[call.decisions.length - 1];
        if (call.decisions.length > decided && d) {
          span.setAttribute('gatehouse.decision', d.verdict);
          if (d.reason) span.setAttribute('gatehouse.decision.reason', bounded(redactString(d.reason)));
        }
        finish(span, call, result, error);
      };
      const handOn: Handler = (c) => {
        close();
        return next(c);
      };
      // After the hand-on, a failure is a later step's and is on that step's span.
      return settle((c) => step.handle(c, handOn), call, close);
    },
  });

  const clientSpan = (step: Step): Step => ({
    name: step.name,
    handle(call: CallContext, next: Handler): Promise<Result> {
      const parent = parents.get(call);
      const upstream = call.route?.upstream;
      if (!parent || !upstream) return step.handle(call, next);
      const span = tracer.startSpan(spanName(call.method, clientTarget(call)), { kind: SpanKind.CLIENT, attributes: upstreamAttributes(call, upstream) }, parent);
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(parent, span), carrier);
      call.outboundTrace = carrier;
      return settle((c) => step.handle(c, next), call, (result, error) => finish(span, call, result, error));
    },
  });

  const wrap = (step: Step): Step => {
    if (step === server || wrapped.has(step) || NO_STEP_SPAN.has(step.name)) return step;
    const made = step.name === 'forward' ? clientSpan(step) : stepSpan(step);
    // The local path (lists, subscribe) is not traced, but it must still run the step's part in it.
    const out: Step = step.local ? { ...made, local: step.local.bind(step) } : made;
    wrapped.add(out);
    return out;
  };
  return { server, wrap };
}

/** Runs a handler and reports how it settled, without an async frame of its own. */
function settle(run: Handler, call: CallContext, done: (result?: Result, error?: unknown) => void): Promise<Result> {
  let p: Promise<Result>;
  try {
    p = run(call);
  } catch (e) {
    p = Promise.reject(e);
  }
  return p.then(
    (r) => {
      done(r);
      return r;
    },
    (e) => {
      done(undefined, e ?? new Error('failed'));
      throw e;
    },
  );
}

/**
 * The parent: the request's `_meta` trace context first (as the conventions say), else the HTTP
 * request's headers; when both are there and differ, the HTTP one becomes a link.
 */
function parentOf(call: CallContext): { parent: Context; links?: Link[] } {
  const fromMeta = extract(metaCarrier(call.meta));
  const fromHttp = extract(call.httpTrace);
  if (fromMeta) {
    const http = fromHttp && trace.getSpanContext(fromHttp);
    const meta = trace.getSpanContext(fromMeta)!;
    return http && http.spanId !== meta.spanId ? { parent: fromMeta, links: [{ context: http }] } : { parent: fromMeta };
  }
  return { parent: fromHttp ?? ROOT_CONTEXT };
}

function extract(carrier: Record<string, string> | undefined): Context | undefined {
  if (!carrier) return undefined;
  const ctx = propagation.extract(ROOT_CONTEXT, carrier);
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? ctx : undefined;
}

/** The SEP-414 keys of a request's `_meta`, when they are strings. */
function metaCarrier(meta: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!meta || typeof meta.traceparent !== 'string') return undefined;
  const out: Record<string, string> = { traceparent: meta.traceparent };
  if (typeof meta.tracestate === 'string') out.tracestate = meta.tracestate;
  if (typeof meta.baggage === 'string') out.baggage = meta.baggage;
  return out;
}

/** Tools and prompts name their target; a resource URI is not low-cardinality and stays an attribute. */
function clientTarget(call: CallContext): string | undefined {
  if (call.method !== 'tools/call' && call.method !== 'prompts/get') return undefined;
  const name = call.params.name;
  return typeof name === 'string' ? bounded(name) : undefined;
}

function spanName(method: string, target: string | undefined): string {
  return target ? `${method} ${target}` : method;
}

/** The attributes of what was asked: method, tool, prompt or resource, as the params say now. */
function targetAttributes(call: CallContext, out: Attributes): Attributes {
  out['mcp.method.name'] = call.method;
  const p = call.params;
  if (call.method === 'tools/call' && typeof p.name === 'string') {
    out['gen_ai.tool.name'] = bounded(p.name);
    out['gen_ai.operation.name'] = 'execute_tool';
  } else if (call.method === 'prompts/get' && typeof p.name === 'string') {
    out['gen_ai.prompt.name'] = bounded(p.name);
  } else if (call.method === 'resources/read' && typeof p.uri === 'string') {
    out['mcp.resource.uri'] = bounded(redactString(p.uri));
  }
  return out;
}

function requestAttributes(call: CallContext): Attributes {
  const out = targetAttributes(call, {});
  if (call.sessionId) out['mcp.session.id'] = call.sessionId;
  if (call.protocolVersion) out['mcp.protocol.version'] = call.protocolVersion;
  if (call.requestId !== undefined && call.requestId !== null) out['jsonrpc.request.id'] = bounded(String(call.requestId));
  out['network.transport'] = call.transport === 'stdio' ? 'pipe' : 'tcp';
  if (call.transport !== 'stdio') out['network.protocol.name'] = 'http';
  return out;
}

/** Per backend config: where it is, parsed once. */
const addresses = new WeakMap<object, { address: string; port: number } | null>();

function upstreamAttributes(call: CallContext, upstream: Upstream): Attributes {
  const out = targetAttributes(call, {});
  out['gatehouse.backend'] = upstream.name;
  const c = upstream.config;
  out['network.transport'] = c.type === 'stdio' ? 'pipe' : 'tcp';
  if (c.type !== 'stdio') out['network.protocol.name'] = 'http';
  if (upstream.info.protocolVersion) out['mcp.protocol.version'] = upstream.info.protocolVersion;
  let where = addresses.get(c);
  if (where === undefined) {
    where = null;
    const url = c.type === 'http' ? c.url : c.type === 'rest' ? c.baseUrl : undefined;
    try {
      if (url) {
        const u = new URL(url);
        where = { address: u.hostname, port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80) };
      }
    } catch {
      // validated by the schema; an unparsable one just has no address
    }
    addresses.set(c, where);
  }
  if (where) {
    out['server.address'] = where.address;
    out['server.port'] = where.port;
  }
  return out;
}

/** Ends a span with the outcome: error.type and ERROR status on failure, `tool_error` for isError results. */
function finish(span: Span, call: CallContext, result: Result | undefined, error: unknown): void {
  if (error !== undefined) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number') {
      span.setAttribute('error.type', String(code));
      span.setAttribute('rpc.response.status_code', String(code));
    } else {
      span.setAttribute('error.type', error instanceof UpstreamError && error.kind ? error.kind : error instanceof Error && error.name !== 'Error' ? error.name : '_OTHER');
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: bounded(redactString(withoutCommandLine(errorMessage(error), call))) });
  } else if (result?.isError === true) {
    span.setAttribute('error.type', 'tool_error');
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

function bounded(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}
