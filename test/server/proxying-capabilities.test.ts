// Backend-to-client requests and what the calling client declared: roots reach a client that has
// them (a 2025 backend's roots/list; a 2026-07-28 backend's input_required), and a request the client
// cannot answer (no roots, no sampling) is answered by the gateway instead of failing the client's
// call: a 2026-07-28 client rejects a whole call on an input_required round it cannot fulfil.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { closeAllClients, connectClient, everythingStdio, probeStdio, textOf, until, type ClientMode } from './helpers.js';

describe('reverse requests and the client capabilities', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway({ backends: { lp: probeStdio('legacy'), mp: probeStdio('modern'), ev: everythingStdio() } });
    await gw.ready();
    await until(() => Boolean(gw.gateway.catalog.resolveTool('ev_trigger-sampling-request')), 10_000, 'server-everything sampling tool');
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  describe.each(['http-legacy', 'sse-legacy', 'http-modern'] as ClientMode[])('%s client', (mode) => {
    it.each(['lp', 'mp'])("gives a %s backend the client's roots", async (b) => {
      const roots = [{ uri: `file:///work/${mode}`, name: `${mode} root` }];
      const tc = await connectClient(mode, { url: gw.url }, { name: `roots-${mode}-${b}`, capabilities: { roots: {} }, roots });
      const res = await tc.client.callTool({ name: `${b}_roots`, arguments: {} });
      expect(res.isError, textOf(res)).toBeFalsy();
      expect(res.structuredContent).toEqual({ roots });
      await tc.close();
    });

    it('answers a 2025 backend asking for roots the client does not have, and the call goes on', async () => {
      const tc = await connectClient(mode, { url: gw.url }, { name: `noroots-${mode}`, capabilities: { sampling: {} } });
      const res = await tc.client.callTool({ name: 'lp_roots', arguments: {} });
      expect(res.isError, textOf(res)).toBeFalsy();
      expect(res.structuredContent).toEqual({ roots: [] });
      await tc.close();
    });

    it('refuses a sampling request to a client without sampling, as an error the backend sees', async () => {
      const tc = await connectClient(mode, { url: gw.url }, { name: `nosampling-${mode}`, capabilities: { elicitation: {} } });
      const res = await tc.client.callTool({ name: 'ev_trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
      // server-everything reports the failed request as a tool error; the client's call itself succeeds.
      expect(res.isError).toBe(true);
      expect(textOf(res)).toMatch(/does not support sampling|sampling/i);
      expect(tc.samplings).toEqual([]);
      await tc.close();
    });
  });
});
