import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../src/core/events.js';
import { observeStep } from '../../../src/server/pipeline/observe.js';
import type { CallContext, Handler } from '../../../src/server/pipeline/index.js';
import { ErrorCodes, UpstreamError } from '../../../src/server/upstream/types.js';
import { MemoryUpstream, makeCall, recordingBus, stdioConfig } from './support.js';

const upstream = new MemoryUpstream('alpha', stdioConfig(), {});

function routed(fields: Partial<CallContext> = {}): CallContext {
  return makeCall({
    method: 'tools/call',
    params: { name: 'echo', arguments: { text: 'hello' } },
    callId: 'c7',
    sessionId: 's1',
    exposedName: 'alpha_echo',
    identity: { client: 'cursor', roles: [], via: 'none' },
    route: { upstream },
    ...fields,
  });
}

async function observe(call: CallContext, next: Handler): Promise<GatewayEvent[]> {
  const { bus, events } = recordingBus();
  await observeStep(bus)
    .handle(call, next)
    .catch(() => undefined);
  return events;
}

const finished = (events: GatewayEvent[]) => events.find((e) => e.type === 'call.finished') as Extract<GatewayEvent, { type: 'call.finished' }>;

describe('observe step', () => {
  it('emits call.started and call.finished around a successful call', async () => {
    const events = await observe(routed(), async () => ({ content: [{ type: 'text', text: 'hello' }] }));
    expect(events.map((e) => e.type)).toEqual(['call.started', 'call.finished']);
    expect(events[0]).toMatchObject({ callId: 'c7', client: 'cursor', sessionId: 's1', method: 'tools/call', name: 'alpha_echo', backend: 'alpha' });
    expect((events[0] as { requestBytes: number }).requestBytes).toBeGreaterThan(10);
    expect(finished(events)).toMatchObject({ callId: 'c7', outcome: 'ok', error: undefined });
    expect(finished(events).responseBytes).toBeGreaterThan(5);
  });

  it('tells a tool error from a failure', async () => {
    const events = await observe(routed(), async () => ({ isError: true, content: [] }));
    expect(finished(events).outcome).toBe('tool-error');
  });

  it('counts a timeout by its kind, and a missing resource (-32002, the code timeouts used to share) as an error', async () => {
    const timeout = new UpstreamError('Backend "alpha" did not answer tools/call within 1 s.', ErrorCodes.RequestTimeout, 'alpha', undefined, 'timeout');
    expect(finished(await observe(routed(), () => Promise.reject(timeout))).outcome).toBe('timeout');
    const missing = new UpstreamError('[alpha] Resource not found', ErrorCodes.ResourceNotFound, 'alpha', { uri: 'alpha://x' });
    expect(ErrorCodes.ResourceNotFound).toBe(-32002);
    // A timeout carrying the old shared code is still a timeout: the kind decides, not the number.
    const legacyCode = new UpstreamError('Backend "alpha" timed out.', -32002, 'alpha', undefined, 'timeout');
    expect(finished(await observe(routed(), () => Promise.reject(legacyCode))).outcome).toBe('timeout');
    const read = routed({ method: 'resources/read', params: { uri: 'alpha://x' } });
    const events = await observe(read, () => Promise.reject(missing));
    expect(finished(events)).toMatchObject({ outcome: 'error', error: '[alpha] Resource not found' });
  });

  it('counts a call whose client went away as cancelled', async () => {
    const abort = new AbortController();
    const call = routed({ signal: abort.signal });
    const events = await observe(call, () => {
      abort.abort();
      return Promise.reject(new UpstreamError('Request cancelled.', ErrorCodes.InternalError, 'alpha'));
    });
    expect(finished(events).outcome).toBe('cancelled');
  });

  it('passes the error on unchanged, and keeps the command line out of the event', async () => {
    const { bus, events } = recordingBus();
    const e = new UpstreamError('[alpha] Connection refused by "/opt/tools/bin/mcp-thing --api-key-file /home/me/.keys/thing".', ErrorCodes.InternalError, 'alpha');
    await expect(observeStep(bus).handle(routed(), () => Promise.reject(e))).rejects.toBe(e);
    expect(finished(events).error).toBe('[alpha] Connection refused by backend "alpha".');
  });

  it('carries the trace id of a valid _meta.traceparent on both events, and one tracing set before it', async () => {
    const traced = await observe(routed({ meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } }), async () => ({ content: [] }));
    expect(traced.map((e) => (e as { traceId?: string }).traceId)).toEqual(['4bf92f3577b34da6a3ce929d0e0e4736', '4bf92f3577b34da6a3ce929d0e0e4736']);
    const set = await observe(routed({ traceId: '0af7651916cd43dd8448eb211c80319c', meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } }), async () => ({ content: [] }));
    expect(finished(set).traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    for (const bad of ['00-00000000000000000000000000000000-00f067aa0ba902b7-01', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'not a traceparent', 42]) {
      const events = await observe(routed({ meta: { traceparent: bad } }), async () => ({ content: [] }));
      expect(events.every((e) => !('traceId' in e))).toBe(true);
    }
  });
});
