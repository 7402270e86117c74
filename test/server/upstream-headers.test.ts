// What a 2026-07-28 backend receives from the gateway: Mcp-Name carries the backend's native tool
// name (not the gateway's prefixed one), `x-mcp-header` arguments arrive as Mcp-Param-* headers
// derived from the body (whatever era the client speaks, Base64-wrapped where the value needs it),
// and Mcp-Param-* headers the schema does not declare are passed on. The backend is a real SDK v2
// server (test/fixtures/servers/header-server.mjs) that validates the declared headers itself and
// answers with the headers it saw; the clients are SDK v2 clients of both eras.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboundParamHeaders } from '../../src/server/upstream/param-headers.js';
import { startHttpFixture, type HttpFixture } from '../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { closeAllClients, connectClient, httpBackend, type TestClient } from './helpers.js';

type Seen = { args: Record<string, unknown>; headers: Record<string, string> };

let backend: HttpFixture;
let gw: TestGateway;
let modern: TestClient;
let legacy: TestClient;

beforeAll(async () => {
  backend = await startHttpFixture('header-server');
  gw = await startGateway({ backends: { hdr: httpBackend(backend.url) } });
  await gw.ready();
  modern = await connectClient('http-modern', { url: gw.url });
  legacy = await connectClient('http-legacy', { url: gw.url });
}, 60_000);

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
  await backend?.stop();
});

const seen = (r: { structuredContent?: unknown }) => r.structuredContent as Seen;

describe('forwarding to a 2026-07-28 backend', () => {
  it('rewrites Mcp-Name to the native name and derives the Mcp-Param-* headers (modern client)', async () => {
    expect(modern.client.getProtocolEra()).toBe('modern');
    await modern.client.listTools();
    const r = await modern.client.callTool({ name: 'hdr_lookup', arguments: { region: 'eu-west', item: 7, note: 'n' } });
    expect(r.isError).not.toBe(true);
    const s = seen(r);
    expect(s.headers['mcp-method']).toBe('tools/call');
    expect(s.headers['mcp-name']).toBe('lookup');
    expect(s.headers['mcp-param-region']).toBe('eu-west');
    expect(s.headers['mcp-param-item-id']).toBe('7');
    expect(Object.keys(s.headers).filter((k) => k.startsWith('mcp-param-')).sort()).toEqual(['mcp-param-item-id', 'mcp-param-region']);
  });

  it('sends the Mcp-Param-* headers for a 2025 client too (it sends none itself)', async () => {
    const r = await legacy.client.callTool({ name: 'hdr_lookup', arguments: { region: 'ap-south' } });
    expect(r.isError).not.toBe(true);
    const s = seen(r);
    expect(s.headers['mcp-name']).toBe('lookup');
    expect(s.headers['mcp-param-region']).toBe('ap-south');
    // An argument left out gets no header.
    expect(s.headers['mcp-param-item-id']).toBeUndefined();
  });

  it('wraps a value that is not plain ASCII in the Base64 sentinel, which the backend accepts', async () => {
    const r = await legacy.client.callTool({ name: 'hdr_lookup', arguments: { region: 'Zürich ' } });
    expect(r.isError).not.toBe(true);
    const s = seen(r);
    expect(s.args.region).toBe('Zürich ');
    expect(s.headers['mcp-param-region']).toBe(`=?base64?${Buffer.from('Zürich ', 'utf8').toString('base64')}?=`);
  });

  it('passes on the Mcp-Param-* headers the schema does not declare, and never a client copy of a declared one', async () => {
    await modern.client.listTools();
    const r = await modern.client.callTool({ name: 'hdr_lookup', arguments: { region: 'us-east' } }, { headers: { 'Mcp-Param-Trace-Tag': 'abc-1' } } as never);
    expect(r.isError).not.toBe(true);
    const s = seen(r);
    expect(s.headers['mcp-param-trace-tag']).toBe('abc-1');
    expect(s.headers['mcp-param-region']).toBe('us-east');
    // A declared header is derived from the arguments, so it cannot disagree with the body.
    expect(outboundParamHeaders({ type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' } } }, { region: 'a' }, { 'mcp-param-region': 'b', 'mcp-param-x': 'y' })).toEqual({ 'Mcp-Param-Region': 'a', 'mcp-param-x': 'y' });
  });
});

describe('outboundParamHeaders (pure)', () => {
  const schema = {
    type: 'object',
    properties: {
      s: { type: 'string', 'x-mcp-header': 'S' },
      n: { type: 'number', 'x-mcp-header': 'N' },
      b: { type: 'boolean', 'x-mcp-header': 'B' },
      deep: { type: 'object', properties: { id: { type: 'integer', 'x-mcp-header': 'Deep-Id' } } },
      list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Nope' } },
      obj: { type: 'object', 'x-mcp-header': 'Obj' },
    },
  };

  it('converts primitives, follows nested properties, skips marks the spec does not allow', () => {
    expect(outboundParamHeaders(schema, { s: 'x', n: 1.5, b: false, deep: { id: 42 }, list: ['a'], obj: {} })).toEqual({ 'Mcp-Param-S': 'x', 'Mcp-Param-N': '1.5', 'Mcp-Param-B': 'false', 'Mcp-Param-Deep-Id': '42' });
    expect(outboundParamHeaders(schema, { s: null })).toBeUndefined();
    expect(outboundParamHeaders(undefined, { s: 'x' })).toBeUndefined();
  });
});
