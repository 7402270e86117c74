// The message-level fast path (src/server/inbound/fast-modern.ts): 2026-07-28 calls and lists are
// answered without a per-request SDK Server, and every answer is the one the SDK's own path gives.
// Two real gateways serve the same real backends (the modern SDK v2 fixture and the conformance
// fixture, over stdio): one with the fast path, one with it off (`fastPath: false`, as GATEHOUSE_FAST_PATH=0 does). The same raw
// requests go to both, and the JSON-RPC messages that come back (results, errors, progress and log
// notifications, in order) must be equal. The SDK server construction count says which path ran.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, modernStdio, textOf } from '../helpers.js';
import { fileURLToPath } from 'node:url';

const CONFORMANCE = fileURLToPath(new URL('../../fixtures/servers/conformance-server.mjs', import.meta.url));
const REV = '2026-07-28';
const envelope = (extra: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': REV,
  'io.modelcontextprotocol/clientInfo': { name: 'fast-path-test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
  ...extra,
});

interface Wire {
  status: number;
  type: string;
  messages: Array<Record<string, unknown>>;
}

async function post(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Wire> {
  const params = (body.params ?? {}) as Record<string, unknown>;
  const name = typeof params.name === 'string' ? params.name : typeof params.uri === 'string' ? params.uri : undefined;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': REV,
      'mcp-method': String(body.method),
      ...(name !== undefined ? { 'mcp-name': name } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  const text = await res.text();
  const messages = type.includes('text/event-stream')
    ? text
        .split('\n\n')
        .map((ev) => ev.split('\n').find((l) => l.startsWith('data: ')))
        .filter((l): l is string => Boolean(l))
        .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>)
    : text
      ? [JSON.parse(text) as Record<string, unknown>]
      : [];
  return { status: res.status, type: type.split(';')[0]!, messages };
}

/** requestState carries a fresh random token per round; everything else must match exactly. */
function comparable(w: Wire): unknown {
  return JSON.parse(JSON.stringify(w.messages, (k, v) => (k === 'requestState' && typeof v === 'string' ? '<state>' : v)));
}

describe('the message-level fast path', () => {
  let fast: TestGateway;
  let sdk: TestGateway;
  const backends = { mod: modernStdio(), conf: { type: 'stdio' as const, command: NODE, args: [CONFORMANCE, '--stdio'] } };

  beforeAll(async () => {
    [fast, sdk] = await Promise.all([startGateway({ backends }), startGateway({ backends }, { fastPath: false })]);
    await Promise.all([fast.ready(), sdk.ready()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([fast?.stop(), sdk?.stop()]);
  });

  const cases: Array<[string, Record<string, unknown>, Record<string, string>?]> = [
    ['a tool call', { name: 'mod_echo', arguments: { text: 'hello' }, _meta: envelope() }],
    ['a tool call with a progress token', { name: 'mod_slow', arguments: { steps: 3, ms: 5 }, _meta: envelope({ progressToken: 'p-1' }) }],
    ['a tool call that logs, at the level the request asked for', { name: 'conf_test_tool_with_logging', arguments: {}, _meta: envelope({ 'io.modelcontextprotocol/logLevel': 'info' }) }],
    ['a tool call that logs below the level asked for', { name: 'conf_test_tool_with_logging', arguments: {}, _meta: envelope({ 'io.modelcontextprotocol/logLevel': 'error' }) }],
    ['a tool call whose arguments the backend refuses', { name: 'mod_add', arguments: { a: 'one', b: 2 }, _meta: envelope() }],
    ['an unknown tool', { name: 'mod_nope', arguments: {}, _meta: envelope() }],
    ['an input_required round the client can answer', { name: 'mod_ask', arguments: {}, _meta: envelope({ 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } }) }],
    ['an input_required round the client did not declare the capability for', { name: 'mod_ask', arguments: {}, _meta: envelope() }],
    ['a prompt', { name: 'mod_greet', arguments: { name: 'Ada' }, _meta: envelope() }],
    ['a resource', { uri: 'modern://items/2', _meta: envelope() }],
    ['a resource nobody has', { uri: 'modern://nothing', _meta: envelope() }],
    ['a tool call with a foreign _meta key kept', { name: 'mod_echo', arguments: { text: 'x' }, _meta: envelope({ 'example.com/tag': 7 }) }],
  ];
  const methodOf = (p: Record<string, unknown>) => (p.uri !== undefined ? 'resources/read' : String(p.name).includes('greet') ? 'prompts/get' : 'tools/call');

  it.each(cases)('%s: the same answer as the SDK path, without building an SDK server', async (_label, params) => {
    const body = { jsonrpc: '2.0', id: 7, method: methodOf(params), params };
    const before = { fast: fast.gateway.router.serversBuilt, sdk: sdk.gateway.router.serversBuilt };
    const [a, b] = await Promise.all([post(fast.url, body), post(sdk.url, body)]);
    expect(a.status).toBe(b.status);
    expect(comparable(a)).toEqual(comparable(b));
    expect(a.messages.at(-1)?.id).toBe(7);
    // The fast gateway built no server; the other built one for this request.
    expect(fast.gateway.router.serversBuilt).toBe(before.fast);
    expect(sdk.gateway.router.serversBuilt).toBe(before.sdk + 1);
  });

  it('the answers carry what the cases claim (so equal answers are not equally empty)', async () => {
    const progress = await post(fast.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: cases[1]![1] });
    expect(progress.type).toBe('text/event-stream');
    expect(progress.messages.filter((m) => m.method === 'notifications/progress').map((m) => (m.params as { progress: number }).progress)).toEqual([1, 2, 3]);
    const logs = await post(fast.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: cases[2]![1] });
    expect(logs.messages.filter((m) => m.method === 'notifications/message')).toHaveLength(3);
    const quiet = await post(fast.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: cases[3]![1] });
    expect(quiet.type).toBe('application/json');
    const asked = await post(fast.url, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: cases[6]![1] });
    expect((asked.messages[0]!.result as { resultType: string }).resultType).toBe('input_required');
    const refused = await post(fast.url, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: cases[7]![1] });
    expect((refused.messages[0]!.error as { code: number }).code).toBe(-32021);
  });

  it.each([
    ['tools/list', 'tools'],
    ['prompts/list', 'prompts'],
    ['resources/list', 'resources'],
    ['resources/templates/list', 'resourceTemplates'],
  ])('%s: the same list, with the cache fields, and no SDK server', async (method, key) => {
    const body = { jsonrpc: '2.0', id: 'l', method, params: { _meta: envelope() } };
    const before = fast.gateway.router.serversBuilt;
    const [a, b] = await Promise.all([post(fast.url, body), post(sdk.url, body)]);
    expect(comparable(a)).toEqual(comparable(b));
    const result = a.messages[0]!.result as Record<string, unknown>;
    expect((result[key] as unknown[]).length).toBeGreaterThan(0);
    expect(result).toMatchObject({ resultType: 'complete', cacheScope: 'public', ttlMs: expect.any(Number) });
    expect(fast.gateway.router.serversBuilt).toBe(before);
  });

  it.each([
    ['a header that disagrees with the body (refused at the edge)', { name: 'mod_echo', arguments: { text: 'x' }, _meta: envelope() }, { 'mcp-name': 'mod_add' }],
    ['params the schema refuses', { name: 42, _meta: envelope() }, {}],
    ['a missing envelope key', { name: 'mod_echo', arguments: { text: 'x' }, _meta: { 'io.modelcontextprotocol/protocolVersion': REV } }, {}],
    ['a retry of an input_required round', { name: 'mod_echo', arguments: { text: 'x' }, requestState: 'abc', _meta: envelope() }, {}],
  ])('%s is answered as without the fast path', async (_label, params, headers) => {
    const body = { jsonrpc: '2.0', id: 9, method: 'tools/call', params };
    const before = fast.gateway.router.serversBuilt;
    const [a, b] = await Promise.all([post(fast.url, body, headers), post(sdk.url, body, headers)]);
    expect(a.status).toBe(b.status);
    expect(comparable(a)).toEqual(comparable(b));
    expect(fast.gateway.router.serversBuilt - before).toBeLessThanOrEqual(1);
  });

  it("the SDK's own 2026-07-28 client is served on the fast path: calls with progress, lists, and no server built", async () => {
    const client = new Client({ name: 'fast-sdk-client', version: '1.0.0' }, { versionNegotiation: { mode: 'modern' } } as never);
    await client.connect(new StreamableHTTPClientTransport(new URL(fast.url)));
    try {
      const before = fast.gateway.router.serversBuilt;
      const tools = await client.listTools();
      expect(tools.tools.map((t) => t.name)).toContain('mod_echo');
      const seen: number[] = [];
      const slow = await client.callTool({ name: 'mod_slow', arguments: { steps: 2, ms: 5 } }, { onprogress: (p) => seen.push(p.progress) });
      expect(textOf(slow)).toBe('done after 2 steps');
      expect(seen).toEqual([1, 2]);
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => client.callTool({ name: 'mod_echo', arguments: { text: `n${i}` } })));
      expect(results.map(textOf)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
      expect(fast.gateway.router.serversBuilt).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('a client that goes away mid-call has the call cancelled, on the fast path as on the other', async () => {
    for (const gw of [fast, sdk]) {
      const ac = new AbortController();
      const body = { jsonrpc: '2.0', id: 'gone', method: 'tools/call', params: { name: 'mod_slow', arguments: { steps: 100, ms: 100 }, _meta: envelope({ 'io.modelcontextprotocol/clientInfo': { name: 'leaver', version: '1' } }) } };
      const started = gw.waitFor((e) => e.type === 'call.started' && (e as { name?: string }).name === 'mod_slow' && (e as { client?: string }).client === 'leaver', 10_000);
      const sent = fetch(gw.url, {
        method: 'POST',
        signal: ac.signal,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': REV, 'mcp-method': 'tools/call', 'mcp-name': 'mod_slow' },
        body: JSON.stringify(body),
      }).catch((e: Error) => e);
      await started;
      ac.abort();
      await sent;
      const finished = (await gw.waitFor((e) => e.type === 'call.finished' && (e as { client?: string }).client === 'leaver', 10_000)) as unknown as { outcome: string; durationMs: number };
      expect(finished.outcome).toBe('cancelled');
      // Ended by the cancel, not by the 10 s the call would have run.
      expect(gw.events.filter((e) => e.type === 'call.finished' && (e as { client?: string }).client === 'leaver')).toHaveLength(1);
      gw.events.splice(0, gw.events.length);
    }
  });
});
