// The message-level fast path inside 2025 sessions (src/server/inbound/fast-session.ts). Two real
// gateways serve the same real backends: server-everything (a 2025 server), the SDK v2 modern
// fixture and the conformance fixture, all over stdio. One has the fast path, one has
// GATEHOUSE_FAST_PATH=0. Raw 2025 sessions send both the same requests, and the JSON-RPC messages
// that come back must be equal; SDK clients of the 2025 era then run the paths that need the
// client (sampling, elicitation, an input_required round fulfilled for a 2025 client, cancel).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, closeAllClients, connectClient, everythingStdio, modernStdio, textOf } from '../helpers.js';

const CONFORMANCE = fileURLToPath(new URL('../../fixtures/servers/conformance-server.mjs', import.meta.url));
const LEGACY = '2025-11-25';

interface Wire {
  status: number;
  type: string;
  messages: Array<Record<string, unknown>>;
}

class RawSession {
  id = '';
  constructor(readonly url: string) {}

  async open(): Promise<this> {
    const init = await this.post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'raw-2025', version: '1.0.0' } } });
    expect(init.status).toBe(200);
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return this;
  }

  async post(body: Record<string, unknown>): Promise<Wire> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': LEGACY, ...(this.id ? { 'mcp-session-id': this.id } : {}) },
      body: JSON.stringify(body),
    });
    this.id ||= res.headers.get('mcp-session-id') ?? '';
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!;
    const text = await res.text();
    const messages = type === 'text/event-stream'
      ? text.split('\n\n').map((ev) => ev.split('\n').find((l) => l.startsWith('data: '))).filter((l): l is string => Boolean(l)).map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>)
      : text ? [JSON.parse(text) as Record<string, unknown>] : [];
    return { status: res.status, type, messages };
  }

  close(): Promise<unknown> {
    return fetch(this.url, { method: 'DELETE', headers: { 'mcp-session-id': this.id, 'mcp-protocol-version': LEGACY } }).then((r) => r.text());
  }
}

/**
 * server-everything logs "Roots updated" once, at a moment of its own choosing soon after it starts;
 * the gateway gives a backend log to the one call in flight, so it may land on either gateway's
 * answer. It belongs to no request, so it is left out of the comparison.
 */
const own = (messages: Array<Record<string, unknown>>) => messages.filter((m) => !(m.method === 'notifications/message' && String((m.params as { data?: unknown }).data).startsWith('Roots updated')));

describe('the message-level fast path in 2025 sessions', () => {
  let fast: TestGateway;
  let sdk: TestGateway;
  let a: RawSession;
  let b: RawSession;
  const backends = { ev: everythingStdio(), mod: modernStdio(), conf: { type: 'stdio' as const, command: NODE, args: [CONFORMANCE, '--stdio'] } };

  beforeAll(async () => {
    [fast, sdk] = await Promise.all([startGateway({ backends }), startGateway({ backends }, { fastPath: false })]);
    await Promise.all([fast.ready(), sdk.ready()]);
    [a, b] = await Promise.all([new RawSession(fast.url).open(), new RawSession(sdk.url).open()]);
  }, 60_000);
  afterAll(async () => {
    await closeAllClients();
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.all([fast?.stop(), sdk?.stop()]);
  });

  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['a call to a 2025 backend', 'tools/call', { name: 'ev_echo', arguments: { message: 'hello' } }],
    ['a call to a 2026-07-28 backend', 'tools/call', { name: 'mod_echo', arguments: { text: 'hello' } }],
    ['a call with progress', 'tools/call', { name: 'mod_slow', arguments: { steps: 3, ms: 5 }, _meta: { progressToken: 'p-9' } }],
    ['a call that logs', 'tools/call', { name: 'conf_test_tool_with_logging', arguments: {} }],
    ['arguments the backend refuses', 'tools/call', { name: 'mod_add', arguments: { a: 'one', b: 2 } }],
    ['an unknown tool', 'tools/call', { name: 'nope_nothing', arguments: {} }],
    ['an input_required round the client did not declare the capability for', 'tools/call', { name: 'mod_ask', arguments: {} }],
    ['a prompt', 'prompts/get', { name: 'mod_greet', arguments: { name: 'Ada' } }],
    ['a resource', 'resources/read', { uri: 'modern://items/3' }],
    ['a resource nobody has', 'resources/read', { uri: 'modern://nothing' }],
  ];

  it.each(cases)('%s: the same messages as the SDK session path', async (_label, method, params) => {
    const before = fast.gateway.router.fastServed;
    const [x, y] = await Promise.all([a.post({ jsonrpc: '2.0', id: 11, method, params }), b.post({ jsonrpc: '2.0', id: 11, method, params })]);
    expect(x.status).toBe(200);
    expect(own(x.messages)).toEqual(own(y.messages));
    expect(x.messages.at(-1)!.id).toBe(11);
    expect(fast.gateway.router.fastServed).toBe(before + 1);
    expect(sdk.gateway.router.fastServed).toBe(0);
  });

  it('a plain answer is one JSON body; progress makes it a stream (the SDK path always streams)', async () => {
    const plain = await a.post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: cases[1]![2] });
    expect(plain.type).toBe('application/json');
    const slow = await a.post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: cases[2]![2] });
    expect(slow.type).toBe('text/event-stream');
    expect(slow.messages.filter((m) => m.method === 'notifications/progress')).toHaveLength(3);
    const logs = await a.post({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: cases[3]![2] });
    expect(logs.messages.filter((m) => m.method === 'notifications/message')).toHaveLength(3);
  });

  it('logging/setLevel still filters what a fast call relays', async () => {
    for (const s of [a, b]) expect((await s.post({ jsonrpc: '2.0', id: 'lv', method: 'logging/setLevel', params: { level: 'error' } })).status).toBe(200);
    const [x, y] = await Promise.all([a.post({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: cases[3]![2] }), b.post({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: cases[3]![2] })]);
    expect(x.messages.filter((m) => m.method === 'notifications/message')).toEqual([]);
    expect(x.messages).toEqual(y.messages);
  });

  it('SDK 2025 clients: sampling and elicitation asked of the client mid-call, and a 2026-07-28 backend’s input_required fulfilled for them', async () => {
    const results: Record<string, string[]> = {};
    for (const gw of [fast, sdk]) {
      const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'reverse' });
      const before = gw.gateway.router.fastServed;
      const sampled = await tc.client.callTool({ name: 'ev_trigger-sampling-request', arguments: { prompt: 'hi', maxTokens: 5 } });
      const asked = await tc.client.callTool({ name: 'mod_ask', arguments: { question: 'Who?' } });
      const modelled = await tc.client.callTool({ name: 'mod_sample', arguments: { prompt: 'write' } });
      results[gw === fast ? 'fast' : 'sdk'] = [textOf(sampled), textOf(asked), textOf(modelled)];
      expect(tc.samplings).toHaveLength(2);
      expect(tc.elicitations).toHaveLength(1);
      expect(gw.gateway.router.fastServed - before).toBe(gw === fast ? 3 : 0);
      await tc.close();
    }
    expect(results.fast).toEqual(results.sdk);
    expect(results.fast![1]).toBe('user said: answer from reverse');
  });

  it('a 2025 client cancelling a fast call cancels it upstream, and the session goes on', async () => {
    const tc = await connectClient('http-legacy', { url: fast.url }, { name: 'canceller' });
    const ac = new AbortController();
    const started = fast.waitFor((e) => e.type === 'call.started' && (e as { client?: string }).client === 'canceller', 10_000);
    const call = tc.client.callTool({ name: 'mod_slow', arguments: { steps: 100, ms: 100 } }, { signal: ac.signal }).catch((e: Error) => e);
    await started;
    ac.abort('changed my mind');
    expect(await call).toBeInstanceOf(Error);
    const finished = (await fast.waitFor((e) => e.type === 'call.finished' && (e as { client?: string }).client === 'canceller', 10_000)) as unknown as { outcome: string };
    expect(finished.outcome).toBe('cancelled');
    expect(textOf(await tc.client.callTool({ name: 'mod_echo', arguments: { text: 'still here' } }))).toBe('still here');
    await tc.close();
  });
});
