// SEP-2243 standard headers at the gateway's HTTP edge: Mcp-Method and Mcp-Name (and
// MCP-Protocol-Version) are checked against the JSON-RPC body before any dispatch, and a mismatch
// or a missing header is HTTP 400 with -32020 naming the header and the value it must carry. The
// pure check is tested directly; the edge is tested with raw POSTs and an SDK v2 client against a
// real gateway fronting a 2026-07-28 SDK v2 backend (test/fixtures/servers/header-server.mjs).
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkParamHeaders, checkStandardHeaders, decodeHeaderValue, encodeHeaderValue, HEADER_MISMATCH } from '../../../src/server/inbound/mcp-headers.js';
import { startHttpFixture, type HttpFixture } from '../../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { httpBackend } from '../helpers.js';

const V = '2026-07-28';
const envelope = { 'io.modelcontextprotocol/protocolVersion': V, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
const call = (name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name, arguments: args, _meta: envelope } });

describe('checkStandardHeaders (pure)', () => {
  const ok = { 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'a__b' };

  it('passes matching headers, 2025 bodies, batches and bodies without a name to mirror', () => {
    expect(checkStandardHeaders(ok, call('a__b'))).toBeUndefined();
    expect(checkStandardHeaders({}, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } })).toBeUndefined();
    expect(checkStandardHeaders({}, [call('a__b')])).toBeUndefined();
    expect(checkStandardHeaders({ 'mcp-protocol-version': V, 'mcp-method': 'tools/list' }, { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope } })).toBeUndefined();
    // Web Headers work as well as node's header object.
    expect(checkStandardHeaders(new Headers(ok), call('a__b'))).toBeUndefined();
  });

  it('refuses a Mcp-Method that disagrees, or is missing on a request, naming the expected method', () => {
    const r = checkStandardHeaders({ ...ok, 'mcp-method': 'tools/list' }, call('a__b'))!;
    expect(r.status).toBe(400);
    expect(r.body.id).toBe(7);
    expect(r.body.error.code).toBe(HEADER_MISMATCH);
    expect(r.body.error.message).toContain('Mcp-Method');
    expect(r.body.error.message).toContain('"tools/call"');
    expect(r.body.error.data).toEqual({ header: 'Mcp-Method', expected: 'tools/call', received: 'tools/list' });
    const { 'mcp-method': _m, ...noMethod } = ok;
    expect(checkStandardHeaders(noMethod, call('a__b'))?.body.error.data.header).toBe('Mcp-Method');
  });

  it('refuses a missing or different Mcp-Name for tools/call, prompts/get and resources/read', () => {
    const { 'mcp-name': _n, ...noName } = ok;
    expect(checkStandardHeaders(noName, call('a__b'))?.body.error.data).toEqual({ header: 'Mcp-Name', expected: 'a__b', received: null });
    expect(checkStandardHeaders({ ...ok, 'mcp-name': 'b' }, call('a__b'))?.body.error.message).toMatch(/Mcp-Name header says "b"; it must be "a__b" \(the body's params.name\)/);
    const read = { jsonrpc: '2.0', id: 'r', method: 'resources/read', params: { uri: 'mem://x', _meta: envelope } };
    expect(checkStandardHeaders({ 'mcp-protocol-version': V, 'mcp-method': 'resources/read', 'mcp-name': 'mem://y' }, read)?.body.error.data.expected).toBe('mem://x');
    const prompt = { jsonrpc: '2.0', id: 2, method: 'prompts/get', params: { name: 'p', _meta: envelope } };
    expect(checkStandardHeaders({ 'mcp-protocol-version': V, 'mcp-method': 'prompts/get' }, prompt)?.body.error.data.header).toBe('Mcp-Name');
  });

  it('decodes the Base64 sentinel and refuses a malformed one', () => {
    const name = 'räume__lesen';
    expect(encodeHeaderValue(name)).toMatch(/^=\?base64\?.+\?=$/);
    expect(decodeHeaderValue(encodeHeaderValue(name))).toBe(name);
    expect(encodeHeaderValue('plain')).toBe('plain');
    expect(checkStandardHeaders({ ...ok, 'mcp-name': encodeHeaderValue(name) }, call(name))).toBeUndefined();
    expect(checkStandardHeaders({ ...ok, 'mcp-name': '=?base64?@@@?=' }, call('a__b'))?.body.error.message).toContain('invalid =?base64?');
  });

  it('refuses a protocol version header that is missing or names another revision', () => {
    expect(checkStandardHeaders({ ...ok, 'mcp-protocol-version': '2025-11-25' }, call('a__b'))?.body.error.data.header).toBe('MCP-Protocol-Version');
    const { 'mcp-protocol-version': _v, ...noVersion } = ok;
    expect(checkStandardHeaders(noVersion, call('a__b'))?.body.error.data.header).toBe('MCP-Protocol-Version');
  });

  it('lets a notification through without headers but not with a disagreeing Mcp-Method', () => {
    const note = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: envelope } };
    expect(checkStandardHeaders({}, note)).toBeUndefined();
    expect(checkStandardHeaders({ 'mcp-method': 'tools/call' }, note)?.body.id).toBeNull();
  });
});

describe('checkParamHeaders (pure)', () => {
  const schema = { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': 'Region' }, n: { type: 'integer', 'x-mcp-header': 'N' }, free: { type: 'string' } } };
  const schemaOf = (name: string) => (name === 'a_t' ? schema : undefined);
  const base = { 'mcp-protocol-version': V, 'mcp-method': 'tools/call', 'mcp-name': 'a_t' };

  it('passes headers that mirror the arguments (numbers compared as numbers), absent arguments and unknown tools', () => {
    expect(checkParamHeaders({ ...base, 'mcp-param-region': 'eu', 'mcp-param-n': '42.0' }, call('a_t', { region: 'eu', n: 42, free: 'x' }), schemaOf)).toBeUndefined();
    expect(checkParamHeaders(base, call('a_t', { free: 'x', region: null }), schemaOf)).toBeUndefined();
    expect(checkParamHeaders(base, call('other', { region: 'eu' }), schemaOf)).toBeUndefined();
    expect(checkParamHeaders({ 'mcp-param-region': encodeHeaderValue('Zürich') }, call('a_t', { region: 'Zürich' }), schemaOf)).toBeUndefined();
  });

  it('refuses a declared header that is missing or disagrees, naming it and the argument value', () => {
    const missing = checkParamHeaders(base, call('a_t', { region: 'eu' }), schemaOf)!;
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: HEADER_MISMATCH, data: { header: 'Mcp-Param-Region', expected: 'eu', received: null } });
    expect(missing.body.error.message).toContain("The Mcp-Param-Region header is missing; it must be \"eu\" (the body's params.arguments.region)");
    expect(checkParamHeaders({ 'mcp-param-region': 'us' }, call('a_t', { region: 'eu' }), schemaOf)?.body.error.data.received).toBe('us');
    expect(checkParamHeaders({ 'mcp-param-region': 'eu', 'mcp-param-n': '7' }, call('a_t', { region: 'eu', n: 8 }), schemaOf)?.body.error.data.header).toBe('Mcp-Param-N');
  });
});

describe('the gateway edge', () => {
  let backend: HttpFixture;
  let gw: TestGateway;

  beforeAll(async () => {
    backend = await startHttpFixture('header-server');
    gw = await startGateway({ backends: { hdr: httpBackend(backend.url) } });
    await gw.ready();
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await backend?.stop();
  });

  const post = (body: unknown, headers: Record<string, string>) =>
    fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': V, ...headers }, body: JSON.stringify(body) });

  it('answers 400 / -32020 naming Mcp-Name and the exposed name it must carry', async () => {
    const res = await post(call('hdr_lookup', { region: 'eu' }), { 'mcp-method': 'tools/call', 'mcp-name': 'lookup' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { id: unknown; error: { code: number; message: string } };
    expect(body.id).toBe(7);
    expect(body.error.code).toBe(-32020);
    // The gateway's own wording (the SDK's says "the request headers and body disagree"): the edge answered.
    expect(body.error.message).toContain('Mcp-Name header says "lookup"; it must be "hdr_lookup"');
  });

  it('answers 400 for a missing Mcp-Method, and for a resources/read whose Mcp-Name is not the URI', async () => {
    const noMethod = await post(call('hdr_lookup', { region: 'eu' }), { 'mcp-name': 'hdr_lookup' });
    expect(noMethod.status).toBe(400);
    expect(((await noMethod.json()) as { error: { message: string } }).error.message).toContain('The Mcp-Method header is missing; it must be "tools/call"');
    const read = await post({ jsonrpc: '2.0', id: 3, method: 'resources/read', params: { uri: 'mem://note', _meta: envelope } }, { 'mcp-method': 'resources/read', 'mcp-name': 'mem://other' });
    expect(read.status).toBe(400);
    expect(((await read.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: -32020, message: expect.stringContaining('it must be "mem://note"') });
  });

  it('answers 400 / -32020 for a declared Mcp-Param-* header that disagrees with the arguments', async () => {
    const res = await post(call('hdr_lookup', { region: 'eu' }), { 'mcp-method': 'tools/call', 'mcp-name': 'hdr_lookup', 'mcp-param-region': 'us' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: -32020, message: expect.stringContaining('The Mcp-Param-Region header says "us"; it must be "eu"') });
  });

  it('serves a request whose headers match, raw and through an SDK v2 client', async () => {
    const res = await post(call('hdr_lookup', { region: 'eu' }), { 'mcp-method': 'tools/call', 'mcp-name': 'hdr_lookup', 'mcp-param-region': 'eu' });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"region":"eu"');
    const client = new Client({ name: 'sdk', version: '1' }, { versionNegotiation: { mode: 'auto' } } as never);
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    try {
      expect(client.getProtocolEra()).toBe('modern');
      const out = await client.callTool({ name: 'hdr_lookup', arguments: { region: 'eu' } });
      expect(out.isError).not.toBe(true);
      const read = await client.readResource({ uri: 'mem://note' });
      expect(read.contents[0]).toMatchObject({ uri: 'mem://note', text: 'a note' });
    } finally {
      await client.close();
    }
  });
});
