// gateway.tracing is a live setting: a reload turns tracing on (the SDK loads, spans reach the local
// OTLP/JSON receiver, a stand-in for a collector) and off again (the SDK is flushed and shut down,
// calls go on untraced and backends get no trace context), without a restart or a dropped call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, probeStdio } from '../helpers.js';
import { SpanKindOtlp, startCollector, type Collector } from './collector.js';

const OTEL_ENV = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_BSP_SCHEDULE_DELAY'] as const;
const saved: Record<string, string | undefined> = {};
let collector: Collector;
let gw: TestGateway;

const config = (enabled: boolean): GatehouseConfig => ({ version: 1, gateway: { tracing: { enabled } }, backends: { probe: probeStdio('legacy') } });

beforeAll(async () => {
  collector = await startCollector();
  for (const k of OTEL_ENV) saved[k] = process.env[k];
  Object.assign(process.env, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50' });
  gw = await startGateway(config(false));
  await gw.ready();
});

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
  for (const k of OTEL_ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await collector?.close();
});

async function metaCall(): Promise<{ meta: Record<string, unknown>; traceId?: string }> {
  const tc = await connectClient('http-modern', { url: gw.url }, { name: 'reload' });
  const res = await tc.client.callTool({ name: 'probe_meta', arguments: {} });
  await tc.close();
  const started = [...gw.events].reverse().find((e) => e.type === 'call.started') as { traceId?: string };
  return { meta: (res.structuredContent as { meta: Record<string, unknown> }).meta, traceId: started.traceId };
}

describe('gateway.tracing on reload', () => {
  it('enabled: false keeps tracing off even with an endpoint in the environment', async () => {
    expect(gw.events.some((e) => e.type === 'tracing.started')).toBe(false);
    const { meta, traceId } = await metaCall();
    expect(meta.traceparent).toBeUndefined();
    expect(traceId).toBeUndefined();
  });

  it('turning it on applies live: spans are exported and the backend gets the context', async () => {
    const summary = await gw.gateway.reconcile(config(true));
    expect(summary.settings).toContain('gateway.tracing');
    expect(summary.restartNeeded).toEqual([]);
    expect(gw.events.find((e) => e.type === 'tracing.started')).toMatchObject({ why: 'gateway.tracing.enabled is true', endpoint: `${collector.url}/v1/traces` });
    const { meta, traceId } = await metaCall();
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(String(meta.traceparent)).toContain(traceId);
    await collector.waitFor((s) => s.traceId === traceId && s.kind === SpanKindOtlp.SERVER, 'the SERVER span after the reload');
  });

  it('turning it off again shuts the SDK down; calls go on untraced', async () => {
    await gw.gateway.reconcile(config(false));
    expect(gw.events.find((e) => e.type === 'tracing.stopped')).toMatchObject({ why: 'gateway.tracing.enabled is false' });
    const { meta, traceId } = await metaCall();
    expect(traceId).toBeUndefined();
    expect(meta.traceparent).toBeUndefined();
  });
});
