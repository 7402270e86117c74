// OpenTelemetry traces end to end: a real gateway (in process, the OTEL_* variables set before it
// loads the SDK) with an HTTP MCP backend and a stdio MCP backend, real SDK clients of both eras, and
// a local OTLP/HTTP receiver using the JSON encoding (collector.ts: a stand-in for a collector).
// It asserts the span tree (SERVER span → step spans → CLIENT span), the attributes the OpenTelemetry
// MCP conventions name, that an incoming traceparent (header or `_meta`) is continued, and that each
// backend received the trace id and parent of the gateway's CLIENT span.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { restBackendSchema } from '../../../src/core/config/schema.js';
import { closeAllClients, connectClient, httpBackend, NODE, probeStdio, startTinyHttp, stopChild, tempDir, writeConfig, type TempDir } from '../helpers.js';
import { SpanKindOtlp, startCollector, type Collector, type SpanRecord } from './collector.js';

const TRACE_ECHO = fileURLToPath(new URL('../fixtures/trace-echo-server.mjs', import.meta.url));
const OTEL_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_SERVICE_NAME', 'OTEL_BSP_SCHEDULE_DELAY', 'OTEL_TRACES_SAMPLER'] as const;

let collector: Collector;
let echo: { child: ChildProcess; url: string };
let gw: TestGateway;
/** A REST API the gateway serves as tools; it records the trace headers of each request. */
let api: Awaited<ReturnType<typeof startTinyHttp>>;
const apiSaw: Array<{ traceparent?: string; tracestate?: string }> = [];
let dir: TempDir | undefined;
const savedEnv: Record<string, string | undefined> = {};

async function startTraceEcho(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(NODE, [TRACE_ECHO, '--http', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`trace-echo did not listen: ${err}`)), 20_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`trace-echo exited (${code}): ${err}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}/mcp` };
}

beforeAll(async () => {
  collector = await startCollector();
  echo = await startTraceEcho();
  api = await startTinyHttp((req, res) => {
    apiSaw.push({ traceparent: req.headers.traceparent as string | undefined, tracestate: req.headers.tracestate as string | undefined });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[1,2]}');
  });
  for (const k of OTEL_ENV) savedEnv[k] = process.env[k];
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'gatehouse-trace-test',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_TRACES_SAMPLER: 'always_on',
  });
  gw = await startGateway({
    backends: { echo: httpBackend(echo.url), probe: probeStdio('legacy'), api: restBackendSchema.parse({ type: 'rest', baseUrl: api.url, tools: [{ name: 'items', path: '/items' }] }) },
  });
  await gw.ready();
});

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
  for (const k of OTEL_ENV) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  if (echo) await stopChild(echo.child);
  await api?.close();
  dir?.remove();
  await collector?.close();
});

const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

/** The spans of one trace, once the SERVER span named `name` and its CLIENT span (if expected) have arrived. */
async function traceOf(name: string, traceId?: string, withClient = true): Promise<{ server: SpanRecord; spans: SpanRecord[] }> {
  const server = await collector.waitFor((s) => s.name === name && s.kind === SpanKindOtlp.SERVER && (!traceId || s.traceId === traceId), `SERVER "${name}"`);
  if (withClient) await collector.waitFor((s) => s.traceId === server.traceId && s.kind === SpanKindOtlp.CLIENT, `CLIENT in trace ${server.traceId}`);
  return { server, spans: collector.spans.filter((s) => s.traceId === server.traceId) };
}

describe('traces', () => {
  it('tracing started, and the exporter posts OTLP JSON', async () => {
    expect(gw.events.find((e) => e.type === 'tracing.started')).toMatchObject({ endpoint: `${collector.url}/v1/traces`, protocol: 'http/json', sampler: 'always_on' });
    const tc = await connectClient('http-modern', { url: gw.url }, { name: 'json-check' });
    await tc.client.callTool({ name: 'echo_get', arguments: {} });
    await traceOf('tools/call echo_get');
    expect(collector.contentTypes.length).toBeGreaterThan(0);
    expect(collector.contentTypes.every((c) => c.startsWith('application/json'))).toBe(true);
  });

  it('a 2026-07-28 call to the HTTP backend: SERVER span, step spans, CLIENT span; the backend got the CLIENT span as header and _meta', async () => {
    const tc = await connectClient('http-modern', { url: gw.url }, { name: 'modern-http' });
    const res = await tc.client.callTool({ name: 'echo_get', arguments: {} });
    const seen = res.structuredContent as { meta: Record<string, unknown>; traceparent: string | null; tracestate: string | null };
    expect(seen.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, parentId] = seen.traceparent!.split('-');
    const { server, spans } = await traceOf('tools/call echo_get', traceId);

    expect(server.parentSpanId).toBeUndefined();
    expect(server.resource['service.name']).toBe('gatehouse-trace-test');
    expect(server.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo_get',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.protocol.version': '2026-07-28',
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'gatehouse.backend': 'echo',
    });
    expect(typeof server.attributes['jsonrpc.request.id']).toBe('string');
    expect(server.attributes['error.type']).toBeUndefined();

    const children = spans.filter((s) => s.parentSpanId === server.spanId);
    const steps = children.filter((s) => s.kind === SpanKindOtlp.INTERNAL).map((s) => s.name);
    expect(steps.sort()).toEqual(['gatehouse.access', 'gatehouse.access-apply', 'gatehouse.approval', 'gatehouse.approval-apply', 'gatehouse.policy', 'gatehouse.ratelimit', 'gatehouse.resolve']);
    const policy = children.find((s) => s.name === 'gatehouse.policy')!;
    expect(policy.attributes['gatehouse.decision']).toBe('allow');

    const client = children.find((s) => s.kind === SpanKindOtlp.CLIENT)!;
    expect(client).toBeDefined();
    expect(client.name).toBe('tools/call get');
    expect(client.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get', 'gatehouse.backend': 'echo', 'server.address': '127.0.0.1', 'network.transport': 'tcp' });
    // The backend's parent is the gateway's CLIENT span, by header and by _meta alike.
    expect(traceId).toBe(server.traceId);
    expect(parentId).toBe(client.spanId);
    expect(seen.meta.traceparent).toBe(seen.traceparent);
    // Nothing but the server span and its children in this trace.
    expect(spans.every((s) => s === server || s.parentSpanId === server.spanId)).toBe(true);
  });

  it('a 2025 session call carrying _meta.traceparent continues that trace, and the stdio backend gets the CLIENT span in _meta', async () => {
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'legacy-http' });
    const traceId = hex(32);
    const callerSpan = hex(16);
    const res = await tc.client.callTool({ name: 'probe_meta', arguments: {}, _meta: { traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'caller=1' } });
    const { server, spans } = await traceOf('tools/call probe_meta', traceId);
    expect(server.parentSpanId).toBe(callerSpan);
    expect(server.attributes['mcp.session.id']).toEqual(expect.any(String));
    expect(server.attributes['mcp.protocol.version']).toMatch(/^20\d\d-\d\d-\d\d$/);
    const client = spans.find((s) => s.kind === SpanKindOtlp.CLIENT)!;
    expect(client.parentSpanId).toBe(server.spanId);
    expect(client.attributes).toMatchObject({ 'gatehouse.backend': 'probe', 'network.transport': 'pipe', 'gen_ai.tool.name': 'meta' });

    const received = (res.structuredContent as { meta: Record<string, unknown> }).meta;
    expect(received.traceparent).toBe(`00-${traceId}-${client.spanId}-01`);
    // The caller's tracestate travels on with the trace.
    expect(received.tracestate).toBe('caller=1');
  });

  it('an inbound traceparent header is continued, and the HTTP and stdio backends each see that trace id', async () => {
    const traceId = hex(32);
    const callerSpan = hex(16);
    const client = new Client({ name: 'header-client', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } } as never);
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { traceparent: `00-${traceId}-${callerSpan}-01` } } }));
    try {
      const http = (await client.callTool({ name: 'echo_get', arguments: {} })).structuredContent as { traceparent: string; meta: Record<string, unknown> };
      const stdio = ((await client.callTool({ name: 'probe_meta', arguments: {} })).structuredContent as { meta: Record<string, unknown> }).meta;
      const viaHttp = await traceOf('tools/call echo_get', traceId);
      const viaStdio = await traceOf('tools/call probe_meta', traceId);
      expect(viaHttp.server.parentSpanId).toBe(callerSpan);
      expect(viaStdio.server.parentSpanId).toBe(callerSpan);
      const httpClient = viaHttp.spans.find((s) => s.kind === SpanKindOtlp.CLIENT && s.attributes['gatehouse.backend'] === 'echo')!;
      const stdioClient = viaStdio.spans.find((s) => s.kind === SpanKindOtlp.CLIENT && s.attributes['gatehouse.backend'] === 'probe')!;
      expect(http.traceparent).toBe(`00-${traceId}-${httpClient.spanId}-01`);
      expect(http.meta.traceparent).toBe(http.traceparent);
      expect(stdio.traceparent).toBe(`00-${traceId}-${stdioClient.spanId}-01`);
    } finally {
      await client.close();
    }
  });

  it('legacy SSE: the traceparent header of the POST to /messages is continued', async () => {
    const traceId = hex(32);
    const callerSpan = hex(16);
    const client = new Client({ name: 'sse-client', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(gw.url.replace(/\/mcp$/, '/sse')), { requestInit: { headers: { traceparent: `00-${traceId}-${callerSpan}-01` } } }));
    try {
      const seen = (await client.callTool({ name: 'echo_get', arguments: {} })).structuredContent as { traceparent: string };
      const { server, spans } = await traceOf('tools/call echo_get', traceId);
      expect(server.parentSpanId).toBe(callerSpan);
      expect(seen.traceparent).toBe(`00-${traceId}-${spans.find((s) => s.kind === SpanKindOtlp.CLIENT)!.spanId}-01`);
    } finally {
      await client.close();
    }
  });

  it('_meta wins over the header as parent; the header context becomes a link', async () => {
    const headerTrace = hex(32);
    const headerSpan = hex(16);
    const metaTrace = hex(32);
    const metaSpan = hex(16);
    const client = new Client({ name: 'both-client', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } } as never);
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { traceparent: `00-${headerTrace}-${headerSpan}-01` } } }));
    try {
      await client.callTool({ name: 'echo_get', arguments: {}, _meta: { traceparent: `00-${metaTrace}-${metaSpan}-01` } });
      const { server } = await traceOf('tools/call echo_get', metaTrace);
      expect(server.parentSpanId).toBe(metaSpan);
      expect(server.links).toEqual([{ traceId: headerTrace, spanId: headerSpan }]);
    } finally {
      await client.close();
    }
  });

  it('failures: an unknown tool is refused at resolve (error.type = the JSON-RPC code), a tool error is tool_error', async () => {
    const tc = await connectClient('http-modern', { url: gw.url }, { name: 'failures' });
    await expect(tc.client.callTool({ name: 'echo_nope', arguments: {} })).rejects.toThrow(/Unknown tool/);
    const { server, spans } = await traceOf('tools/call echo_nope', undefined, false);
    expect(server.attributes['error.type']).toBe('-32602');
    expect(server.attributes['rpc.response.status_code']).toBe('-32602');
    expect(server.status.code).toBe(2);
    expect(server.status.message).toMatch(/Unknown tool: echo_nope/);
    await collector.waitFor((s) => s.traceId === server.traceId && s.name === 'gatehouse.resolve', 'resolve span of the refused call');
    const resolve = collector.spans.find((s) => s.traceId === server.traceId && s.name === 'gatehouse.resolve')!;
    expect(resolve.attributes['gatehouse.decision']).toBe('deny');
    expect(resolve.status.code).toBe(2);
    expect(spans.some((s) => s.kind === SpanKindOtlp.CLIENT)).toBe(false);

    const res = await tc.client.callTool({ name: 'echo_fail', arguments: {} });
    expect(res.isError).toBe(true);
    const failed = await traceOf('tools/call echo_fail');
    expect(failed.server.attributes['error.type']).toBe('tool_error');
    expect(failed.spans.find((s) => s.kind === SpanKindOtlp.CLIENT)!.attributes['error.type']).toBe('tool_error');
  });

  it('a REST backend gets the CLIENT span as a traceparent header', async () => {
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'rest' });
    const before = apiSaw.length;
    const res = await tc.client.callTool({ name: 'api_items', arguments: {} });
    expect(res.isError).toBeFalsy();
    const saw = apiSaw[before]!;
    expect(saw.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const [, traceId, parentId] = saw.traceparent!.split('-');
    const { spans } = await traceOf('tools/call api_items', traceId);
    const client = spans.find((s) => s.kind === SpanKindOtlp.CLIENT)!;
    expect(client.spanId).toBe(parentId);
    expect(client.attributes).toMatchObject({ 'gatehouse.backend': 'api', 'gen_ai.tool.name': 'items', 'server.address': '127.0.0.1', 'server.port': api.port });
  });

  it('serve --stdio (its own process, the same OTEL_* environment) continues a _meta.traceparent and exports its spans', async () => {
    dir = tempDir('gatehouse-trace-stdio-');
    const configFile = writeConfig(dir.path, { probe: probeStdio('legacy') });
    const tc = await connectClient('stdio-legacy', { configFile, configDir: dir.path }, { name: 'stdio-client' });
    const traceId = hex(32);
    const callerSpan = hex(16);
    const res = await tc.client.callTool({ name: 'probe_meta', arguments: {}, _meta: { traceparent: `00-${traceId}-${callerSpan}-01` } });
    const received = (res.structuredContent as { meta: Record<string, unknown> }).meta;
    await tc.close();
    const { server, spans } = await traceOf('tools/call probe_meta', traceId);
    expect(server.parentSpanId).toBe(callerSpan);
    expect(server.attributes['network.transport']).toBe('pipe');
    expect(server.attributes['network.protocol.name']).toBeUndefined();
    const client = spans.find((s) => s.kind === SpanKindOtlp.CLIENT)!;
    expect(received.traceparent).toBe(`00-${traceId}-${client.spanId}-01`);
  });

  it('call.started carries the trace id for logs', async () => {
    const tc = await connectClient('http-modern', { url: gw.url }, { name: 'logs' });
    await tc.client.callTool({ name: 'echo_get', arguments: {} });
    const started = [...gw.events].reverse().find((e) => e.type === 'call.started' && e.name === 'echo_get') as { traceId?: string } | undefined;
    expect(started?.traceId).toMatch(/^[0-9a-f]{32}$/);
    await collector.waitFor((s) => s.traceId === started!.traceId && s.kind === SpanKindOtlp.SERVER, 'the server span of the logged trace id');
  });
});
