/**
 * Virtual servers end to end: gateway.servers served at /servers/NAME/mcp (streamable HTTP, both
 * eras) and /servers/NAME/sse, gateway.defaultServer over `serve --stdio`, and the edges: an unknown
 * server is 404, and a 2025 session opened on one server is not usable on another path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, modernStdio, tempDir, until, writeConfig, type ClientMode, type TempDir } from '../helpers.js';
import { names } from './support.js';

const backends = { a: modernStdio(), b: modernStdio() };
const servers = {
  dev: { backends: ['a'], tools: ['a_echo', 'a_add'], description: 'development agents' },
  both: {},
};

let gw: TestGateway;
let dir: TempDir;
let origin: string;
let stdioConfig: string;

beforeAll(async () => {
  dir = tempDir('gatehouse-servers-');
  // serve --stdio serves gateway.defaultServer.
  stdioConfig = writeConfig(dir.path, backends, { servers, defaultServer: 'dev' });
  gw = await startGateway({ backends, gateway: { servers } } as GatehouseConfig);
  await gw.ready();
  await until(() => gw.gateway.catalog.tools.length === 10, 20_000, 'the catalog');
  origin = new URL(gw.url).origin;
});

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
  dir?.remove();
});

const initBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('virtual servers', { timeout: 120_000 }, () => {
  for (const mode of ['http-legacy', 'http-modern', 'sse-legacy'] as ClientMode[]) {
    it(`${mode}: /servers/dev serves only its backends and tool globs, and refuses the rest`, async () => {
      const tc = await connectClient(mode, { url: `${origin}/servers/dev/mcp` });
      expect(names((await tc.client.listTools()).tools)).toEqual(['a_add', 'a_echo']);
      expect(names((await tc.client.listPrompts()).prompts)).toEqual(['a_greet']);
      expect((await tc.client.callTool({ name: 'a_echo', arguments: { text: 'in dev' } })).isError).toBeFalsy();
      await expect(tc.client.callTool({ name: 'a_slow', arguments: {} })).rejects.toThrow(/"a_slow" is not part of server "dev"/);
      await expect(tc.client.callTool({ name: 'b_echo', arguments: { text: 'x' } })).rejects.toThrow(/not part of server "dev"/);
      await expect(tc.client.getPrompt({ name: 'b_greet', arguments: { name: 'x' } })).rejects.toThrow(/not part of server "dev"/);
      await expect(tc.client.readResource({ uri: 'modern://info' })).resolves.toBeDefined();
      if (mode === 'http-modern') {
        // The same view for everyone at this path: shareable.
        const listed = tc.wire.filter((m) => Array.isArray(m.result?.tools)).at(-1);
        expect(listed?.result?.cacheScope).toBe('public');
      }
      await tc.close();
    });
  }

  it('/mcp stays the whole catalog; a server without backends or globs is the whole catalog too', async () => {
    for (const url of [`${origin}/mcp`, `${origin}/servers/both/mcp`]) {
      const tc = await connectClient('http-legacy', { url });
      expect((await tc.client.listTools()).tools).toHaveLength(10);
      await tc.close();
    }
  });

  for (const mode of ['stdio-legacy', 'stdio-modern'] as ClientMode[]) {
    it(`${mode}: serve --stdio serves gateway.defaultServer`, async () => {
      const tc = await connectClient(mode, { configFile: stdioConfig, configDir: dir.path });
      expect(names((await tc.client.listTools()).tools)).toEqual(['a_add', 'a_echo']);
      await expect(tc.client.callTool({ name: 'b_echo', arguments: { text: 'x' } })).rejects.toThrow(/not part of server "dev"/);
      await tc.close();
    });
  }

  it('an unknown server is 404 with a pointer to gateway.servers', async () => {
    const r = await fetch(`${origin}/servers/nope/mcp`, { method: 'POST', headers, body: initBody });
    expect(r.status).toBe(404);
    expect(((await r.json()) as { message: string }).message).toContain('gateway.servers');
    expect((await fetch(`${origin}/servers/dev/other`, { method: 'POST', headers, body: initBody })).status).toBe(404);
  });

  it('a 2025 session id from /servers/dev is not accepted at /mcp or another server', async () => {
    const init = await fetch(`${origin}/servers/dev/mcp`, { method: 'POST', headers, body: initBody });
    expect(init.status).toBe(200);
    const sid = init.headers.get('mcp-session-id')!;
    expect(sid).toBeTruthy();
    await init.text();
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    const h = { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    expect((await fetch(`${origin}/mcp`, { method: 'POST', headers: h, body: list })).status).toBe(404);
    expect((await fetch(`${origin}/servers/both/mcp`, { method: 'POST', headers: h, body: list })).status).toBe(404);
    const same = await fetch(`${origin}/servers/dev/mcp`, { method: 'POST', headers: h, body: list });
    expect(same.status).toBe(200);
    expect(await same.text()).toContain('a_echo');
  });

  it('the admin status lists each server with the tools it carries now', () => {
    const s = gw.gateway.status().servers!;
    expect(s.find((x) => x.name === 'dev')).toMatchObject({ path: '/servers/dev/mcp', prompts: 1, description: 'development agents', default: false });
    expect([...s.find((x) => x.name === 'dev')!.tools].sort()).toEqual(['a_add', 'a_echo']);
    expect(s.find((x) => x.name === 'both')!.tools).toHaveLength(10);
  });

  it('a reload that changes a server applies live and tells its sessions', async () => {
    const tc = await connectClient('http-legacy', { url: `${origin}/servers/dev/mcp` });
    expect((await tc.client.listTools()).tools).toHaveLength(2);
    const summary = await gw.gateway.reconcile({ version: 1, backends, gateway: { servers: { ...servers, dev: { backends: ['a', 'b'], tools: ['*_echo'] } } } } as GatehouseConfig);
    expect(summary.settings).toContain('gateway.servers');
    expect(summary.restarted).toEqual([]);
    await until(() => tc.notifications.some((n) => n.method === 'notifications/tools/list_changed'), 10_000, 'tools list_changed');
    expect(names((await tc.client.listTools()).tools)).toEqual(['a_echo', 'b_echo']);
    await tc.close();
  });
});
