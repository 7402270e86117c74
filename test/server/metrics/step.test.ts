// The metrics step alone, over a real prom-client registry; the upstream is the in-memory stand-in
// of the pipeline tests (support.ts). The real path (gateway, backends, clients, Prometheus) is in
// prometheus.test.ts.
import * as prom from 'prom-client';
import { ProtocolError } from '@modelcontextprotocol/server';
import { beforeEach, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.js';
import { defineMetrics, type MetricSet } from '../../../src/server/metrics/definitions.js';
import { authLabels, errorType } from '../../../src/server/metrics/labels.js';
import { CallMetrics } from '../../../src/server/metrics/step.js';
import { compose, type CallContext } from '../../../src/server/pipeline/index.js';
import { resolveStep } from '../../../src/server/pipeline/resolve.js';
import { ErrorCodes, UpstreamError } from '../../../src/server/upstream/types.js';
import { MemoryUpstream, catalogOf, makeCall, recordingNext, stdioConfig, tool } from '../pipeline/support.js';

const alpha = new MemoryUpstream('alpha', stdioConfig(), { tools: [tool('echo')], prompts: [{ name: 'greet' }] });
const catalog = catalogOf(alpha);

let set: MetricSet;
let metrics: CallMetrics;

beforeEach(() => {
  set = defineMetrics(prom, { sessions: () => [], upstreams: () => [], catalog: () => ({ tools: 0, resources: 0, resourceTemplates: 0, prompts: 0 }) });
  metrics = new CallMetrics();
  metrics.use(set);
});

/** The metrics step in front of the real resolve step, as in the gateway's pipeline. */
function chain(next = recordingNext({ content: [] })) {
  return compose([metrics.step, resolveStep({ catalog, bus: new EventBus() }), { name: 'end', handle: (c) => next(c) }]);
}

async function samples(name: string) {
  return (await set.registry.getSingleMetric(name)!.get()).values;
}

async function callCount(labels: Record<string, string>): Promise<number> {
  return (await samples('gatehouse_calls_total')).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

async function durationCount(labels: Record<string, string>): Promise<number> {
  const all = await samples('mcp_server_operation_duration_seconds');
  return all.filter((v) => v.metricName === 'mcp_server_operation_duration_seconds_count' && Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
}

const call = (fields: Partial<CallContext> & Pick<CallContext, 'method' | 'params'>) => makeCall(fields);

describe('metrics step', () => {
  it('counts a successful call under its exposed tool name and backend, with one duration sample', async () => {
    for (let i = 0; i < 3; i++) await chain()(call({ method: 'tools/call', params: { name: 'alpha_echo', arguments: {} } }));
    expect(await callCount({ mcp_method_name: 'tools/call', gen_ai_tool_name: 'alpha_echo', backend: 'alpha', outcome: 'ok' })).toBe(3);
    expect(await durationCount({ gen_ai_tool_name: 'alpha_echo', backend: 'alpha', error_type: '' })).toBe(3);
    // Buckets are cumulative and end with +Inf, equal to the count: what Prometheus reads as one histogram.
    const buckets = (await samples('mcp_server_operation_duration_seconds')).filter((v) => v.metricName === 'mcp_server_operation_duration_seconds_bucket' && v.labels.gen_ai_tool_name === 'alpha_echo');
    expect(buckets.map((b) => b.labels.le)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, '+Inf']);
    expect(buckets.every((b, i) => i === 0 || b.value >= buckets[i - 1]!.value)).toBe(true);
    expect(buckets.at(-1)!.value).toBe(3);
  });

  it('labels a tool error tool_error (the OpenTelemetry value) and a JSON-RPC failure by its code', async () => {
    await chain(async () => ({ isError: true, content: [] }))(call({ method: 'tools/call', params: { name: 'alpha_echo' } }));
    const timeout = new UpstreamError('Backend "alpha" did not answer', ErrorCodes.RequestTimeout, 'alpha', undefined, 'timeout');
    await expect(chain(() => Promise.reject(timeout))(call({ method: 'tools/call', params: { name: 'alpha_echo' } }))).rejects.toBe(timeout);
    // A backend's own code outside the JSON-RPC range could be anything: it is not a label value.
    const odd = new ProtocolError(424242, 'odd');
    await expect(chain(() => Promise.reject(odd))(call({ method: 'tools/call', params: { name: 'alpha_echo' } }))).rejects.toBe(odd);
    expect(await callCount({ gen_ai_tool_name: 'alpha_echo', outcome: 'tool-error' })).toBe(1);
    expect(await durationCount({ gen_ai_tool_name: 'alpha_echo', error_type: 'tool_error' })).toBe(1);
    expect(await callCount({ gen_ai_tool_name: 'alpha_echo', outcome: 'timeout' })).toBe(1);
    expect(await durationCount({ gen_ai_tool_name: 'alpha_echo', error_type: '-32003' })).toBe(1);
    expect(await callCount({ gen_ai_tool_name: 'alpha_echo', outcome: 'error' })).toBe(1);
    expect(await durationCount({ gen_ai_tool_name: 'alpha_echo', error_type: '_OTHER' })).toBe(1);
  });

  it('counts an unknown tool as denied under _unknown and _none, never under the name the client typed', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(chain()(call({ method: 'tools/call', params: { name: `made_up_${i}` } }))).rejects.toThrow(/made_up_/);
    }
    expect(await callCount({ gen_ai_tool_name: '_unknown', backend: '_none', outcome: 'denied' })).toBe(5);
    expect(await durationCount({ gen_ai_tool_name: '_unknown', error_type: String(ErrorCodes.InvalidParams) })).toBe(5);
    const values = [...(await samples('gatehouse_calls_total')), ...(await samples('mcp_server_operation_duration_seconds'))];
    expect(values.some((v) => Object.values(v.labels).some((x) => String(x).includes('made_up')))).toBe(false);
  });

  it('keeps resource URIs out of labels and names prompts in gen_ai_prompt_name', async () => {
    const next = recordingNext({ contents: [] });
    await expect(chain(next)(call({ method: 'resources/read', params: { uri: 'file:///secret/path/chosen-by-client' } }))).rejects.toThrow(/Resource not found/);
    await chain(next)(call({ method: 'prompts/get', params: { name: 'alpha_greet' } }));
    expect(await callCount({ mcp_method_name: 'resources/read', gen_ai_tool_name: '', gen_ai_prompt_name: '', backend: '_none', outcome: 'denied' })).toBe(1);
    expect(await callCount({ mcp_method_name: 'prompts/get', gen_ai_prompt_name: 'alpha_greet', gen_ai_tool_name: '', outcome: 'ok' })).toBe(1);
    const values = await samples('gatehouse_calls_total');
    expect(values.some((v) => Object.values(v.labels).some((x) => String(x).includes('chosen-by-client')))).toBe(false);
  });

  it('shows a call in flight while it runs, and not after', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const running = chain(async () => {
      await held;
      return { content: [] };
    })(call({ method: 'tools/call', params: { name: 'alpha_echo' } }));
    await new Promise((r) => setImmediate(r));
    const during = (await samples('gatehouse_calls_in_flight')).find((v) => v.labels.mcp_method_name === 'tools/call')!.value;
    release();
    await running;
    const after = (await samples('gatehouse_calls_in_flight')).find((v) => v.labels.mcp_method_name === 'tools/call')!.value;
    expect([during, after]).toEqual([1, 0]);
  });

  it('passes calls straight through when metrics are off, counting nothing', async () => {
    metrics.use(undefined);
    const next = recordingNext({ content: [] });
    await chain(next)(call({ method: 'tools/call', params: { name: 'alpha_echo' } }));
    expect(next.calls).toHaveLength(1);
    expect(metrics.enabled).toBe(false);
    expect(await callCount({})).toBe(0);
  });

  it('drops the series of a tool that left the catalog', async () => {
    await chain()(call({ method: 'tools/call', params: { name: 'alpha_echo' } }));
    expect(await callCount({ gen_ai_tool_name: 'alpha_echo' })).toBe(1);
    metrics.forget('tools/call', 'alpha_echo');
    expect((await samples('gatehouse_calls_total')).filter((v) => v.labels.gen_ai_tool_name === 'alpha_echo')).toEqual([]);
    // Called again later, it starts a fresh series.
    await chain()(call({ method: 'tools/call', params: { name: 'alpha_echo' } }));
    expect(await callCount({ gen_ai_tool_name: 'alpha_echo' })).toBe(1);
  });
});

describe('bounded label values', () => {
  it('maps auth.failed reasons to a fixed {mode, reason}', () => {
    expect(authLabels('bearer: no Authorization header')).toEqual({ mode: 'bearer', reason: 'missing' });
    expect(authLabels('bearer: unknown or revoked token')).toEqual({ mode: 'bearer', reason: 'unknown_token' });
    expect(authLabels('jwt: token expired')).toEqual({ mode: 'jwt', reason: 'expired' });
    expect(authLabels('jwt: signing keys unavailable (JWKS fetch failed)')).toEqual({ mode: 'jwt', reason: 'keys_unavailable' });
    expect(authLabels('jwt: unknown signing key (kid not in JWKS)')).toEqual({ mode: 'jwt', reason: 'unknown_key' });
    expect(authLabels('cloudflare-access: wrong audience')).toEqual({ mode: 'cloudflare-access', reason: 'wrong_audience' });
    // Free text from a library (a key source's own error message) never becomes a label.
    expect(authLabels('jwt: getaddrinfo ENOTFOUND idp.example.com')).toEqual({ mode: 'jwt', reason: 'other' });
    expect(authLabels('whatever the client sent')).toEqual({ mode: 'other', reason: 'other' });
  });

  it('keeps only JSON-RPC range codes as error types', () => {
    expect(errorType(new ProtocolError(-32602, 'x'))).toBe('-32602');
    expect(errorType(new ProtocolError(7, 'x'))).toBe('_OTHER');
    expect(errorType(new Error('plain'))).toBe('_OTHER');
  });
});
