// Malformed backend lists: a null entry, a tool without inputSchema, a non-object schema, `tools:
// "string"`, non-string names. Each invalid item is dropped with a reason (event, admin status,
// `backends test`), the valid rest is served, and the gateway and the other backends keep serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../../src/core/events.js';
import { probeBackend } from '../../../src/server/probe.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, modernStdio, textOf, type Proc, type TestClient } from '../helpers.js';
import { faultStdio, startFaultHttp } from './fault.js';

type Invalid = Extract<GatewayEvent, { type: 'backend.invalid' }>;

describe('malformed tool lists', () => {
  let gw: TestGateway;
  let tc: TestClient;
  let http: Proc & { url: string; config(): import('../../../src/core/config/schema.js').HttpBackendConfig };

  beforeAll(async () => {
    http = await startFaultHttp('null-entry');
    gw = await startGateway({
      backends: {
        nullentry: faultStdio('null-entry'),
        noschema: faultStdio('no-schema'),
        badschema: faultStdio('bad-schema'),
        toolsstring: faultStdio('tools-string'),
        badnames: faultStdio('bad-names'),
        httpnull: http.config(),
        healthy: modernStdio(),
      },
    });
    await gw.ready();
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'lister' });
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    await http?.stop();
  });

  it('serves the valid rest of every list, and every SDK client accepts the merged list', async () => {
    const names = (await tc.client.listTools()).tools.map((t) => t.name);
    for (const b of ['nullentry', 'noschema', 'badschema', 'badnames', 'httpnull']) {
      expect(names).toContain(`${b}_echo`);
      expect(names).toContain(`${b}_pid`);
    }
    expect(names).toContain('nullentry_after_null');
    expect(names).toContain('httpnull_after_null');
    expect(names.some((n) => n.startsWith('healthy_'))).toBe(true);
    for (const gone of ['noschema_no_schema', 'badschema_string_schema', 'badschema_wrong_type']) expect(names).not.toContain(gone);
    // `tools: "string"` must not become one tool per character.
    expect(names.filter((n) => n.startsWith('toolsstring_'))).toEqual([]);
    // every served name is a string, and every backend is ready
    for (const u of gw.gateway.upstreams) expect(u.state).toBe('ready');
    const modern = await connectClient('http-modern', { url: gw.url }, { name: 'modern-lister' });
    expect((await modern.client.listTools()).tools.length).toBe(names.length);
  });

  it('reports each dropped item with a reason', async () => {
    const inv = (b: string) => gw.events.filter((e): e is Invalid => e.type === 'backend.invalid' && e.backend === b);
    expect(inv('nullentry')[0]?.reasons.join()).toMatch(/#2: is null, not an object/);
    expect(inv('httpnull')[0]?.reasons.join()).toMatch(/#2: is null/);
    expect(inv('noschema')[0]?.reasons.join()).toMatch(/"no_schema": inputSchema is missing, not a JSON Schema object/);
    expect(inv('badschema')[0]?.reasons.join()).toMatch(/"string_schema": inputSchema is a string.*"wrong_type": inputSchema.type is "string"/);
    expect(inv('toolsstring')[0]?.reasons).toEqual(['"tools" is a string, not a list']);
    expect(inv('badnames')[0]?.dropped).toBe(3);
    expect(inv('badnames')[0]?.reasons.join()).toMatch(/name is a number.*name is null.*name is an object/);
    expect(inv('healthy')).toEqual([]);
  });

  it('keeps calling tools on the same backends', async () => {
    const r = await tc.client.callTool({ name: 'nullentry_echo', arguments: { text: 'still here' } });
    expect(textOf(r)).toBe('still here');
    const h = await tc.client.callTool({ name: 'httpnull_echo', arguments: { text: 'http too' } });
    expect(textOf(h)).toBe('http too');
  });
});

describe('backends test on a malformed backend', () => {
  it('counts only valid tools and says what it dropped', async () => {
    const r = await probeBackend('nullentry', faultStdio('null-entry'));
    expect(r.counts.tools).toBe(3);
    expect(r.invalid?.tools?.join()).toMatch(/#2: is null/);
  });
});
