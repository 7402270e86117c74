// Issue 9 item 8, inbound half: a call still in flight when the drain ends gets a final JSON-RPC
// error "gateway shutting down", on every inbound transport (2025 streamable HTTP, 2026-07-28
// stateless HTTP, legacy SSE), instead of no answer or a backend error.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, probeStdio, until, type ClientMode } from '../helpers.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await closeAllClients();
  await gw?.stop();
  gw = undefined;
});

describe('the end of the drain', () => {
  it('answers every call still in flight with "gateway shutting down"', async () => {
    gw = await startGateway({ backends: { lp: probeStdio('legacy'), mp: probeStdio('modern') } });
    await gw.ready();
    const stderr = () => gw!.events.flatMap((e) => (e.type === 'backend.stderr' ? [e.line] : []));
    const modes: Array<[ClientMode, string]> = [
      ['http-legacy', 'lp_hang'],
      ['http-modern', 'mp_hang'],
      ['sse-legacy', 'lp_hang'],
    ];
    const clients = await Promise.all(modes.map(([mode]) => connectClient(mode, { url: gw!.url }, { name: `final-${mode}` })));
    const calls = clients.map((tc, i) =>
      tc.client.callTool({ name: modes[i]![1], arguments: { tag: `final-${i}` } }, undefined, { timeout: 60_000 }).then(
        () => 'resolved',
        (e: Error) => e.message,
      ),
    );
    await until(() => modes.every((_, i) => stderr().some((l) => l.includes(`PROBE STARTED final-${i}`))), 15_000, 'the calls to reach the backends');
    await gw.gateway.stop('test', 300);
    const outcomes = await Promise.all(calls);
    for (const [i, o] of outcomes.entries()) expect(o, modes[i]![0]).toMatch(/gateway is shutting down/);
  });
});
