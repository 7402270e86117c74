// Concurrency on shared and per-session backend connections: two clients calling at once never see
// each other's progress or results; a backend's reverse request that could belong to either of two
// in-flight calls is refused rather than guessed; per-session isolation gives each session its own
// child, so concurrent sampling works there.
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { alive, closeAllClients, connectClient, everythingStdio, modernStdio, probeStdio, textOf, until, type TestClient } from './helpers.js';

describe('two clients on shared backend connections', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ backends: { mod: modernStdio(), ev: everythingStdio() } });
    await gw.ready();
    await until(() => Boolean(gw.gateway.catalog.resolveTool('ev_trigger-sampling-request')), 10_000, 'server-everything sampling tool');
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  it('50 concurrent calls from each of two clients: each gets only its own results and progress', async () => {
    const a = await connectClient('http-legacy', { url: gw.url }, { name: 'alpha' });
    const b = await connectClient('http-modern', { url: gw.url }, { name: 'bravo' });
    const run = (tc: TestClient) =>
      Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const payload = `${tc.name}-payload-${i}`;
          switch (i % 4) {
            case 0: {
              const res = await tc.client.callTool({ name: 'mod_echo', arguments: { text: payload } });
              return { i, ok: textOf(res) === payload && (res.structuredContent as { text?: string }).text === payload };
            }
            case 1: {
              const res = await tc.client.callTool({ name: 'ev_echo', arguments: { message: payload } });
              return { i, ok: textOf(res) === `Echo: ${payload}` };
            }
            case 2: {
              const seen: number[] = [];
              const res = await tc.client.callTool({ name: 'mod_slow', arguments: { steps: 3, ms: 5 + (i % 7) } }, { onprogress: (p) => seen.push(p.progress) });
              return { i, ok: textOf(res) === 'done after 3 steps' && JSON.stringify(seen) === '[1,2,3]', seen };
            }
            default: {
              const seen: number[] = [];
              const res = await tc.client.callTool({ name: 'ev_trigger-long-running-operation', arguments: { duration: 0.04, steps: 2 } }, { onprogress: (p) => seen.push(p.progress) });
              return { i, ok: textOf(res).includes('Steps: 2') && JSON.stringify(seen) === '[1,2]', seen };
            }
          }
        }),
      );
    const [ra, rb] = await Promise.all([run(a), run(b)]);
    expect(ra.filter((r) => !r.ok)).toEqual([]);
    expect(rb.filter((r) => !r.ok)).toEqual([]);

    // On the wire: nothing of the other client's, and exactly one's own progress notifications.
    for (const [mine, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const text = JSON.stringify(mine.wire);
      expect(text).not.toContain(`${other.name}-payload-`);
      const progress = mine.wire.filter((m) => m.method === 'notifications/progress');
      // 12 mod_slow calls × 3 steps + 12 long-running calls × 2 steps
      expect(progress).toHaveLength(12 * 3 + 12 * 2);
    }
    const finished = gw.events.filter((e) => e.type === 'call.finished' && (e.client === 'alpha' || e.client === 'bravo'));
    expect(finished).toHaveLength(100);
    expect(finished.filter((e) => e.type === 'call.finished' && e.outcome !== 'ok')).toEqual([]);
  });

  it('refuses a sampling request it cannot attribute (two calls in flight) instead of guessing', async () => {
    const a = await connectClient('http-legacy', { url: gw.url }, { name: 'slow-caller' });
    const b = await connectClient('http-legacy', { url: gw.url }, { name: 'sampler' });
    const long = a.client.callTool({ name: 'ev_trigger-long-running-operation', arguments: { duration: 2.5, steps: 3 } });
    await until(() => gw.events.some((e) => e.type === 'call.started' && e.client === 'slow-caller'), 5_000, 'the long call to start');
    await new Promise((r) => setTimeout(r, 100));
    const res = await b.client.callTool({ name: 'ev_trigger-sampling-request', arguments: { prompt: 'whose?', maxTokens: 5 } });
    // server-everything turns the refused request into a tool error carrying the gateway's message.
    expect(res.isError).toBe(true);
    expect(textOf(res)).toMatch(/cannot tell which client/);
    expect(textOf(res)).toMatch(/isolation: per-session/);
    expect(a.samplings).toEqual([]);
    expect(b.samplings).toEqual([]);
    expect(textOf(await long)).toContain('completed');

    // With only one call in flight the same request is attributed and answered.
    const again = await b.client.callTool({ name: 'ev_trigger-sampling-request', arguments: { prompt: 'mine', maxTokens: 5 } });
    expect(again.isError).toBeFalsy();
    expect(textOf(again)).toContain('sampler-model');
    expect(b.samplings).toHaveLength(1);
    expect(a.samplings).toEqual([]);
  });
});

describe('per-session isolation', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({
      backends: {
        lp: probeStdio('legacy', { isolation: 'per-session' }),
        ev: everythingStdio({ isolation: 'per-session' }),
      },
    });
    await gw.ready();
    await until(() => Boolean(gw.gateway.catalog.resolveTool('ev_trigger-sampling-request')), 10_000, 'server-everything sampling tool');
  });
  afterEach(async () => {
    await closeAllClients();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const pidOf = async (tc: TestClient) => (await tc.client.callTool({ name: 'lp_pid', arguments: {} })).structuredContent as { pid: number };

  it('gives each session its own backend child, and ends it with the session', async () => {
    const a = await connectClient('http-legacy', { url: gw.url }, { name: 'iso-a' });
    const b = await connectClient('sse-legacy', { url: gw.url }, { name: 'iso-b' });
    const [pa, pb] = await Promise.all([pidOf(a), pidOf(b)]);
    expect(pa.pid).not.toBe(pb.pid);
    expect((await pidOf(a)).pid).toBe(pa.pid);
    expect((await pidOf(b)).pid).toBe(pb.pid);
    expect(alive(pa.pid) && alive(pb.pid)).toBe(true);

    // Closing a 2025 session (DELETE for streamable HTTP, stream close for SSE) stops its child only.
    const transport = a.client.transport;
    if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession();
    await a.close();
    await until(() => !alive(pa.pid), 10_000, `session child ${pa.pid} to exit`);
    expect(alive(pb.pid)).toBe(true);
    await b.close();
    await until(() => !alive(pb.pid), 10_000, `session child ${pb.pid} to exit`);
  });

  it('answers concurrent sampling from two sessions, each by its own client', async () => {
    const a = await connectClient('http-legacy', { url: gw.url }, { name: 'sess-a' });
    const b = await connectClient('http-legacy', { url: gw.url }, { name: 'sess-b' });
    const call = (tc: TestClient) => tc.client.callTool({ name: 'ev_trigger-sampling-request', arguments: { prompt: `from ${tc.name}`, maxTokens: 5 } });
    const [ra, rb] = await Promise.all([call(a), call(b)]);
    expect(ra!.isError, textOf(ra!)).toBeFalsy();
    expect(rb!.isError, textOf(rb!)).toBeFalsy();
    expect(textOf(ra!)).toContain('sess-a-model');
    expect(textOf(rb!)).toContain('sess-b-model');
    expect(a.samplings).toHaveLength(1);
    expect(b.samplings).toHaveLength(1);
    expect(JSON.stringify(a.samplings)).toContain('from sess-a');
    expect(JSON.stringify(b.samplings)).toContain('from sess-b');
  });
});
