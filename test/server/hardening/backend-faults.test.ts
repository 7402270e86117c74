// Faults of running backends: 50 MiB of stderr without a newline, results over maxMessageBytes, a
// log flood, a call that is never answered, an HTTP backend that drops its SSE response, a crash.
// Each time the gateway stays up, the other backends keep answering, and the client's error is
// clear and names the backend without its command line.
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../src/core/events.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, modernStdio, textOf, until, type Proc, type TestClient } from '../helpers.js';
import { FAULT, faultStdio, startFaultHttp } from './fault.js';

type StateEvent = Extract<GatewayEvent, { type: 'backend.state' }>;

async function callError(p: Promise<unknown>): Promise<ProtocolError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProtocolError);
  const err = e as ProtocolError;
  // A client error never carries a backend's command line.
  expect(`${err.message} ${JSON.stringify(err.data)}`).not.toContain(FAULT);
  return err;
}

describe('faults of running backends', () => {
  let gw: TestGateway;
  let tc: TestClient;
  let drop: Proc & { url: string; config(extra?: object): import('../../../src/core/config/schema.js').HttpBackendConfig };
  const pidOf = async (backend: string) => ((await tc.client.callTool({ name: `${backend}_pid`, arguments: {} })).structuredContent as { pid: number }).pid;
  const echo = async (backend: string, text: string) => textOf(await tc.client.callTool({ name: `${backend}_echo`, arguments: { text } }));

  beforeAll(async () => {
    drop = await startFaultHttp('drop-sse');
    gw = await startGateway(
      {
        backends: {
          flood: faultStdio('stderr-flood'),
          big: faultStdio('oversized', { maxMessageBytes: 1024 * 1024 }),
          bigdefault: faultStdio('oversized'),
          logs: faultStdio('log-flood'),
          never: faultStdio('never', { timeout: 1 }),
          drop: drop.config({ timeout: 600 }),
          healthy: modernStdio(),
        },
      },
      { backoff: { initialMs: 300, maxMs: 1_000, resetAfterMs: 60_000 } },
    );
    await gw.ready();
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'faults' });
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    await drop?.stop();
  });

  it('survives 50 MiB of stderr without a newline with bounded memory, and others keep answering', async () => {
    const rssBefore = process.memoryUsage().rss;
    let done = false;
    const flood = tc.client.callTool({ name: 'flood_flood', arguments: { mb: 50 } }, { timeout: 120_000 }).finally(() => (done = true));
    let answered = 0;
    for (let i = 0; i < 200 && !done; i++) {
      expect(await echo('healthy', `during ${i}`)).toBe(`during ${i}`);
      answered++;
    }
    expect(textOf(await flood)).toBe('wrote 50 MiB');
    expect(answered).toBeGreaterThan(0);
    // The line is shown once, cut; its 50 MiB are never kept.
    const lines = gw.events.filter((e): e is Extract<GatewayEvent, { type: 'backend.stderr' }> => e.type === 'backend.stderr' && e.backend === 'flood');
    const cut = lines.filter((e) => e.line.startsWith('xxxx'));
    expect(cut).toHaveLength(1);
    expect(cut[0]!.line.length).toBeLessThan(5_000);
    expect(cut[0]!.line).toMatch(/…\[cut\]$/);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    expect(gw.gateway.upstreams.find((u) => u.name === 'flood')!.state).toBe('ready');
  });

  it('fails only the call whose result is over maxMessageBytes, and keeps the backend process', async () => {
    const pid = await pidOf('big');
    const err = await callError(tc.client.callTool({ name: 'big_big', arguments: { mb: 2 } }));
    expect(err.message).toMatch(/Backend "big" sent a 2\.0 MiB message, over its maxMessageBytes limit of 1\.0 MiB; this call failed/);
    expect(await echo('big', 'after')).toBe('after');
    expect(await pidOf('big')).toBe(pid);
    expect(gw.events.some((e) => e.type === 'backend.state' && e.backend === 'big' && e.state === 'failed')).toBe(false);
  });

  it('relays an 11 MiB result under the default 16 MiB limit (the SDK alone stops at 10 MiB)', async () => {
    const pid = await pidOf('bigdefault');
    const r = await tc.client.callTool({ name: 'bigdefault_big', arguments: { mb: 11 } }, { timeout: 60_000 });
    expect(textOf(r).length).toBe(11 * 1024 * 1024);
    expect(await pidOf('bigdefault')).toBe(pid);
  });

  it('rate-limits a log flood nobody can be given, and counts what it dropped', async () => {
    const hold = new AbortController();
    const held = tc.client.callTool({ name: 'logs_hang', arguments: {} }, { signal: hold.signal }).catch(() => undefined);
    const logs = gw.gateway.upstreams.find((u) => u.name === 'logs') as unknown as { shared: { inFlight: Map<string, unknown> } };
    await until(() => logs.shared.inFlight.size === 1, 5_000, 'the held call to reach the backend');
    expect(textOf(await tc.client.callTool({ name: 'logs_flood', arguments: { count: 3000 } }))).toBe('sent 3000');
    hold.abort();
    await held;
    const unattributed = gw.events.filter((e) => e.type === 'relay.unattributed' && e.backend === 'logs');
    expect(unattributed.length).toBeGreaterThan(0);
    expect(unattributed.length).toBeLessThanOrEqual(100);
    expect((unattributed[0] as Extract<GatewayEvent, { type: 'relay.unattributed' }>).reason).toMatch(/2 calls in flight/);
    // No log message is disguised as a stderr line any more.
    expect(gw.events.some((e) => e.type === 'backend.stderr' && /unattributed|flood line/.test(e.line))).toBe(false);
    const upstream = gw.gateway.upstreams.find((u) => u.name === 'logs') as unknown as { droppedLogLines: number };
    expect(upstream.droppedLogLines).toBeGreaterThanOrEqual(2900 - 100);
  });

  it('times out with a code the SDK passes through, naming the backend and the timeout', async () => {
    const err = await callError(tc.client.callTool({ name: 'never_hang', arguments: {} }));
    expect(err.code).toBe(-32003);
    expect(err.message).toMatch(/Backend "never" did not answer tools\/call within 1 s/);
    expect(err.data).toMatchObject({ backend: 'never', timeoutMs: 1000 });
  });

  it('fails a call at once when an HTTP backend drops its SSE response (not at the 600 s timeout)', async () => {
    const err = await callError(tc.client.callTool({ name: 'drop_drop', arguments: {} }, { timeout: 600_000 }));
    expect(err.message).toMatch(/Backend "drop" failed the call: the backend (dropped|ended) its response stream/);
    expect(await echo('drop', 'still up')).toBe('still up');
  }, 30_000);

  it('emits one failed state per crash, carrying the retry delay', async () => {
    const pid = await pidOf('never');
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await gw.waitFor((e) => e.type === 'backend.state' && e.backend === 'never' && e.state === 'starting' && e.at >= killedAt);
    const failed = gw.events.filter((e): e is StateEvent => e.type === 'backend.state' && e.backend === 'never' && e.state === 'failed' && e.at >= killedAt);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.retryInMs).toBeGreaterThan(0);
    expect(await echo('healthy', 'x')).toBe('x');
  });
});
