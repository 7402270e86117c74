// The tracing steps alone, in the pipeline the gateway builds (defaultSteps), with the SDK's own
// tracer provider and in-memory exporter (real SDK code, no collector needed) and the W3C propagator.
// The upstream is the in-memory stand-in of the pipeline tests (support.ts); the real path with real
// backends and a receiver is traces.test.ts.
import { propagation, trace } from '@opentelemetry/api';
import { core, tracing } from '@opentelemetry/sdk-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeldCalls } from '../../../src/server/era/held-call.js';
import { Pipeline, defaultSteps, type PipelineDeps } from '../../../src/server/pipeline/index.js';
import { pipelineTracing } from '../../../src/server/tracing/spans.js';
import { GatewayTracing } from '../../../src/server/tracing/index.js';
import { exportTarget, tracingDecision } from '../../../src/server/tracing/settings.js';
import { MemoryUpstream, catalogOf, makeCall, recordingBus, stdioConfig, tool } from '../pipeline/support.js';

const exporter = new tracing.InMemorySpanExporter();
const provider = new tracing.BasicTracerProvider({
  spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
  sampler: new tracing.ParentBasedSampler({ root: new tracing.AlwaysOnSampler() }),
});
const tracer = provider.getTracer('test');
const held = new HeldCalls();

beforeAll(() => {
  propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
});
afterAll(async () => {
  propagation.disable();
  held.dispose();
  await provider.shutdown();
});

function pipeline(upstream: MemoryUpstream, traced = true): Pipeline {
  const deps: PipelineDeps = { catalog: catalogOf(upstream), bus: recordingBus().bus, defaultTimeoutMs: 5_000, held, ...(traced ? { tracing: pipelineTracing(tracer) } : {}) };
  return new Pipeline(defaultSteps(deps));
}

const byName = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name);

describe('tracing steps', () => {
  it('are not in the list when tracing is off', () => {
    const names = pipeline(new MemoryUpstream('svc', stdioConfig(), { tools: [tool('echo')] }), false).steps.map((s) => s.name);
    expect(names).toEqual(['limits', 'identity', 'resolve', 'access', 'policy', 'observe', 'ratelimit', 'forward']);
  });

  it('a SERVER span first; each step span ends when it hands the call on; the CLIENT span is what the upstream gets', async () => {
    exporter.reset();
    const up = new MemoryUpstream('svc', stdioConfig(), { tools: [tool('echo')] }, async () => ({ content: [{ type: 'text', text: 'hi' }] }));
    const p = pipeline(up);
    expect(p.steps[0]!.name).toBe('trace');
    const call = makeCall({ method: 'tools/call', params: { name: 'svc_echo', arguments: {} }, requestId: 7, sessionId: 's-1', protocolVersion: '2025-11-25' });
    await p.handle(call);

    const server = byName('tools/call svc_echo')!;
    const client = byName('tools/call echo')!;
    expect(server.kind).toBe(1 /* SERVER in the API's SpanKind */);
    expect(client.kind).toBe(2 /* CLIENT */);
    expect(server.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'svc_echo', 'jsonrpc.request.id': '7', 'mcp.session.id': 's-1', 'mcp.protocol.version': '2025-11-25', 'gatehouse.backend': 'svc' });
    expect(call.traceId).toBe(server.spanContext().traceId);

    const steps = ['gatehouse.resolve', 'gatehouse.policy'].map((n) => byName(n)!);
    for (const s of [...steps, client]) expect(s.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    // Sequential, not nested: the spans end (and are exported) in step order, the server span last.
    // limits and identity only bound and label the call, observe only records it: no spans of their own.
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['gatehouse.resolve', 'gatehouse.access', 'gatehouse.policy', 'gatehouse.ratelimit', 'tools/call echo', 'tools/call svc_echo']);

    const sent = up.requests[0]!.ctx.trace!;
    expect(sent.traceparent).toBe(`00-${server.spanContext().traceId}-${client.spanContext().spanId}-01`);
  });

  it('a refusal marks the refusing step and the server span; nothing is sent', async () => {
    exporter.reset();
    const up = new MemoryUpstream('svc', stdioConfig(), { tools: [tool('echo')] });
    await expect(pipeline(up).handle(makeCall({ method: 'tools/call', params: { name: 'svc_missing' } }))).rejects.toThrow(/Unknown tool/);
    const resolve = byName('gatehouse.resolve')!;
    expect(resolve.attributes['gatehouse.decision']).toBe('deny');
    expect(resolve.status.code).toBe(2);
    expect(byName('gatehouse.policy')).toBeUndefined();
    expect(byName('tools/call svc_missing')!.attributes['error.type']).toBe('-32602');
    expect(up.requests).toHaveLength(0);
  });

  it('an upstream error ends the CLIENT span with its code, and the command line never reaches the status', async () => {
    exporter.reset();
    const up = new MemoryUpstream('svc', stdioConfig(), { tools: [tool('echo')] }, async () => {
      throw Object.assign(new Error('spawn /opt/tools/bin/mcp-thing --api-key-file /home/me/.keys/thing failed'), { code: -32001 });
    });
    await expect(pipeline(up).handle(makeCall({ method: 'tools/call', params: { name: 'svc_echo' } }))).rejects.toThrow();
    const client = byName('tools/call echo')!;
    expect(client.attributes['error.type']).toBe('-32001');
    expect(client.status.message).not.toContain('/home/me/.keys');
    expect(byName('gatehouse.policy')!.status.code).not.toBe(2);
  });

  it('a call its parent did not sample records nothing but still carries the context on', async () => {
    exporter.reset();
    const up = new MemoryUpstream('svc', stdioConfig(), { tools: [tool('echo')] });
    const traceId = 'ab'.repeat(16);
    await pipeline(up).handle(makeCall({ method: 'tools/call', params: { name: 'svc_echo' }, meta: { traceparent: `00-${traceId}-${'cd'.repeat(8)}-00` } }));
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(up.requests[0]!.ctx.trace!.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
  });

  it('resources/read: the URI is an attribute, not part of the span name', async () => {
    exporter.reset();
    const up = new MemoryUpstream('svc', stdioConfig(), { resources: [{ uri: 'file:///a.txt', name: 'a' }] }, async () => ({ contents: [] }));
    await pipeline(up).handle(makeCall({ method: 'resources/read', params: { uri: 'file:///a.txt' } }));
    const server = exporter.getFinishedSpans().find((s) => s.kind === 1)!;
    expect(server.name).toBe('resources/read');
    expect(server.attributes['mcp.resource.uri']).toBe('file:///a.txt');
    expect(trace.getActiveSpan()).toBeUndefined();
  });
});

describe('tracingDecision', () => {
  it.each([
    [{}, undefined, false, /no OTLP endpoint/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, undefined, true, /OTEL_EXPORTER_OTLP_ENDPOINT/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, undefined, true, /TRACES_ENDPOINT/],
    [{}, { enabled: true }, true, /enabled is true/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }, { enabled: false }, false, /enabled is false/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' }, { enabled: true }, false, /OTEL_SDK_DISABLED/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_TRACES_EXPORTER: 'none' }, undefined, false, /none/],
  ] as const)('%o with %o → %s', (env, config, on, why) => {
    const d = tracingDecision(config, env as NodeJS.ProcessEnv);
    expect(d.on).toBe(on);
    expect(d.why).toMatch(why);
  });
});

describe('where spans go, as reported', () => {
  it('the traces endpoint wins; credentials and query never appear in the event', () => {
    expect(exportTarget({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:s3cret@collector.example:4318/', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toEqual({ endpoint: 'https://collector.example:4318/v1/traces', protocol: 'http/json' });
    expect(exportTarget({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom?key=abc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other' })).toEqual({ endpoint: 'http://c:4318/custom', protocol: 'http/protobuf' });
    expect(exportTarget({})).toEqual({ endpoint: 'http://localhost:4318/v1/traces', protocol: 'http/protobuf' });
  });

  it('serve --stdio refuses the console exporter (stdout carries MCP) and stays untraced', async () => {
    const { bus, events } = recordingBus();
    const installed: unknown[] = [];
    const t = new GatewayTracing({ bus, version: 't', install: (x) => installed.push(x), stdoutIsProtocol: true });
    await t.apply({ enabled: true }, { OTEL_TRACES_EXPORTER: 'console' });
    expect(t.active).toBe(false);
    expect(installed).toEqual([]);
    expect(events.find((e) => e.type === 'tracing.warning')).toMatchObject({ message: expect.stringContaining('serve --stdio') });
  });
});
