// Faithful proxying, seen from the backend's side: probe backends of both eras (stdio) report what
// they received. For clients of both eras over every inbound transport: request and result `_meta`
// pass through, logging messages reach the calling client (and no other) before its result,
// completion routes to the right backend, and a client's cancellation reaches the backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/core/events.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  CLIENT_MODES,
  closeAllClients,
  connectClient,
  logMeta,
  probeStdio,
  tempDir,
  until,
  writeConfig,
  type TempDir,
  type TestClient,
} from './helpers.js';

const BACKENDS = { lp: probeStdio('legacy'), mp: probeStdio('modern') };

describe('probe backends of both eras through the gateway', () => {
  let gw: TestGateway;
  let dir: TempDir;
  let configFile: string;
  /** Clients of each in-process kind that never call anything: they must never see another's traffic. */
  let bystanders: TestClient[] = [];

  beforeAll(async () => {
    gw = await startGateway({ backends: BACKENDS });
    await gw.ready();
    for (const u of gw.gateway.upstreams) expect(u.state, `${u.name}: ${u.lastError}`).toBe('ready');
    expect(gw.gateway.upstreams.map((u) => u.info.era)).toEqual(['legacy', 'modern']);
    dir = tempDir();
    configFile = writeConfig(dir.path, BACKENDS);
    bystanders = await Promise.all(
      (['http-legacy', 'sse-legacy', 'http-modern'] as const).map((m) => connectClient(m, { url: gw.url }, { name: `bystander-${m}` })),
    );
  });

  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    dir?.remove();
  });

  describe.each(CLIENT_MODES)('%s client', (mode) => {
    let tc: TestClient;
    const tag = (backend: string, what: string) => `${mode}-${backend}-${what}`;

    beforeAll(async () => {
      tc = await connectClient(mode, { url: gw.url, configFile, configDir: dir.path }, { name: `probe-${mode}` });
    });
    afterAll(async () => {
      await tc?.close();
    });

    describe.each(['lp', 'mp'])('%s backend', (b) => {
      it('forwards request _meta to the backend and returns the result _meta', async () => {
        const t = tag(b, 'meta');
        const res = await tc.client.callTool({ name: `${b}_meta`, arguments: {}, _meta: { 'probe.test/tag': t } });
        const received = (res.structuredContent as { meta: Record<string, unknown> }).meta;
        expect(received['probe.test/tag']).toBe(t);
        // The gateway's own progress token is the only one a backend may see; none was asked for here.
        expect(received.progressToken).toBeUndefined();
        expect(res._meta?.['probe.test/result']).toBe('set-by-backend');
        expect(res._meta?.['probe.test/echo']).toBe(t);
        const info = res._meta?.['io.modelcontextprotocol/serverInfo'] as { name?: string } | undefined;
        if (info) expect(info.name).toBe('gatehouse');
      });

      it('relays logging messages to the calling client only, before its result', async () => {
        const t = tag(b, 'log');
        const from = tc.wire.length;
        const res = await tc.client.callTool({ name: `${b}_log`, arguments: { tag: t, count: 3 }, _meta: logMeta(tc) });
        expect(res.isError).toBeFalsy();
        const mine = tc.logs.filter((l) => String(l.data).startsWith(`${t}:`)).map((l) => l.data);
        expect(mine).toEqual([`${t}:1`, `${t}:2`, `${t}:3`]);
        const wire = tc.wire.slice(from);
        const resultAt = wire.findIndex((m) => 'result' in m);
        const logAt = wire.flatMap((m, i) => (m.method === 'notifications/message' && String(m.params?.data).startsWith(t) ? [i] : []));
        expect(logAt).toHaveLength(3);
        for (const i of logAt) expect(i).toBeLessThan(resultAt);
        for (const other of bystanders) expect(other.logs.filter((l) => String(l.data).includes(t))).toEqual([]);
      });

      it('routes completion to the backend that owns the prompt', async () => {
        const res = await tc.client.complete({ ref: { type: 'ref/prompt', name: `${b}_pick` }, argument: { name: 'fruit', value: 'ap' } });
        expect(res.completion.values).toEqual(['apple', 'apricot']);
      });

      it("passes the client's cancellation to the backend", async () => {
        const t = tag(b, 'cancel');
        const ac = new AbortController();
        const started = Date.now();
        const call = tc.client.callTool({ name: `${b}_slow`, arguments: { ms: 20_000, tag: t } }, { signal: ac.signal }).then(
          () => 'resolved',
          (e: Error) => `rejected: ${e.message}`,
        );
        const sawStart = (line: string) => line.includes(`PROBE STARTED ${t}`);
        const sawCancel = (line: string) => line.includes(`PROBE CANCELLED ${t}`);
        const inProcess = !mode.startsWith('stdio');
        const backendSaid = (pred: (line: string) => boolean) =>
          inProcess
            ? gw.events.some((e: GatewayEvent) => e.type === 'backend.stderr' && pred(e.line))
            : tc.stderr().split('\n').some(pred);
        await until(() => backendSaid(sawStart), 10_000, `${t} to start on the backend`);
        ac.abort();
        expect(await call).toMatch(/^rejected: .*abort/i);
        await until(() => backendSaid(sawCancel), 10_000, `the backend to see the cancellation of ${t}`);
        expect(Date.now() - started).toBeLessThan(15_000);
        if (inProcess) {
          await until(
            () => gw.events.some((e) => e.type === 'call.finished' && e.client === tc.name && e.name === `${b}_slow` && e.outcome === 'cancelled'),
            5_000,
            'a cancelled call.finished event',
          );
        }
      });
    });
  });
});
