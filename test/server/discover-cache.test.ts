// server/discover and the 2026-07-28 cache hints, against real gateways: one fronting a 2026-07-28
// SDK v2 backend that sends its own hints (test/fixtures/servers/header-server.mjs), one fronting
// server-everything (2025, subscriptions, no hints). Asserted with raw POSTs and SDK v2 clients of
// both eras: discover names both eras' versions and only capabilities that are delivered; lists,
// discover and resources/read carry ttlMs and cacheScope for 2026-07-28 clients (the smallest of
// the gateway's refresh policy and the backends' hints), and 2025 clients get neither field; a
// backend's list ttlMs schedules the gateway's re-list of it.
import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../src/core/config/schema.js';
import { passthroughSchema } from '../../src/server/upstream/passthrough.js';
import { startHttpFixture, type HttpFixture } from '../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { closeAllClients, connectClient, everythingStdio, httpBackend, tempDir, until, writeConfig, type TestClient } from './helpers.js';

const V = '2026-07-28';
const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const envelope = { [PROTOCOL_VERSION_META_KEY]: V, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };

/** One raw 2026-07-28 request to the gateway; the JSON-RPC result (JSON or a one-message SSE body). */
async function rawModern(url: string, method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': method,
      ...(typeof params.uri === 'string' ? { 'mcp-name': params.uri } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: envelope } }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  const json = text.trimStart().startsWith('{') ? text : /^data: (.*)$/m.exec(text)![1]!;
  const msg = JSON.parse(json) as { result?: Record<string, unknown>; error?: unknown };
  expect(msg.error).toBeUndefined();
  return msg.result!;
}

const raw = (tc: TestClient, method: string, params: Record<string, unknown> = {}) => tc.client.request({ method, params } as never, passthroughSchema) as Promise<Record<string, unknown>>;
const hintOf = (r: Record<string, unknown>) => ({ ttlMs: r.ttlMs, cacheScope: r.cacheScope });
/** The last result this client received on the wire (the SDK's decoded view may add defaults). */
const lastWireResult = (tc: TestClient) => [...tc.wire].reverse().find((m) => m.result)!.result!;

describe('a gateway fronting a 2026-07-28 backend with its own hints', () => {
  let backend: HttpFixture;
  let gw: TestGateway;
  let modern: TestClient;
  let legacy: TestClient;

  beforeAll(async () => {
    backend = await startHttpFixture('header-server', ['--list-ttl', '1500', '--read-ttl', '7000', '--private-prompts']);
    gw = await startGateway({ gateway: { refreshInterval: 120 }, backends: { hdr: httpBackend(backend.url) } });
    await gw.ready();
    modern = await connectClient('http-modern', { url: gw.url });
    legacy = await connectClient('http-legacy', { url: gw.url });
  }, 60_000);

  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    await backend?.stop();
  });

  it('server/discover names both eras and no subscriptions (no backend offers them), raw and to an SDK client', async () => {
    const d = await rawModern(gw.url, 'server/discover');
    expect(d.supportedVersions).toEqual(expect.arrayContaining([V, ...LEGACY_VERSIONS]));
    const caps = d.capabilities as Record<string, Record<string, unknown>>;
    expect(caps.tools).toMatchObject({ listChanged: true });
    expect(caps.prompts).toMatchObject({ listChanged: true });
    expect(caps.resources).toMatchObject({ listChanged: true });
    expect(caps.resources!.subscribe).toBeUndefined();
    expect(d.cacheScope).toBe('public');
    // As fresh as the freshest list: the backend's resources/list carries the SDK's default ttlMs 0.
    expect(d.ttlMs).toBe(0);
    const sdk = modern.client.getDiscoverResult() as { supportedVersions: string[]; capabilities: { resources?: { subscribe?: boolean } } };
    expect(sdk.supportedVersions).toEqual(expect.arrayContaining([V, '2025-11-25']));
    expect(sdk.capabilities.resources?.subscribe).toBeUndefined();
  });

  it('serve --stdio answers a 2026-07-28 stdio client the same way (discover and list hints)', async () => {
    const dir = tempDir('gatehouse-discover-');
    try {
      const configFile = writeConfig(dir.path, { hdr: httpBackend(backend.url) }, { refreshInterval: 120 });
      const stdio = await connectClient('stdio-modern', { configFile, configDir: dir.path });
      const d = stdio.client.getDiscoverResult() as { supportedVersions: string[] };
      expect(d.supportedVersions).toEqual(expect.arrayContaining([V, ...LEGACY_VERSIONS]));
      // The child lists its backend as it starts; wait for the tools, then read the hint.
      await until(async () => ((await raw(stdio, 'tools/list')).tools as unknown[]).length > 0, 20_000, 'tools through serve --stdio');
      expect(hintOf(await raw(stdio, 'tools/list'))).toEqual({ ttlMs: 1500, cacheScope: 'public' });
      await stdio.close();
    } finally {
      dir.remove();
    }
  }, 60_000);

  it("lists carry the smallest ttlMs of the backend's and the gateway's, in the gateway's own scope", async () => {
    expect(hintOf(await raw(modern, 'tools/list'))).toEqual({ ttlMs: 1500, cacheScope: 'public' });
    // The backend's private names the gateway's own context: one catalog serves every caller (cache-hints.ts).
    expect(hintOf(await raw(modern, 'prompts/list'))).toEqual({ ttlMs: 1500, cacheScope: 'public' });
    // No hint configured on the backend: the SDK's encode seam sends ttlMs 0, which the gateway keeps.
    expect(hintOf(await raw(modern, 'resources/list'))).toEqual({ ttlMs: 0, cacheScope: 'public' });
    expect(hintOf(await rawModern(gw.url, 'tools/list'))).toEqual({ ttlMs: 1500, cacheScope: 'public' });
  });

  it('resources/read passes the backend hint to a 2026-07-28 client and no hint fields to a 2025 client', async () => {
    expect(hintOf(await rawModern(gw.url, 'resources/read', { uri: 'mem://note' }))).toEqual({ ttlMs: 7000, cacheScope: 'public' });
    await legacy.client.readResource({ uri: 'mem://note' });
    const wire = lastWireResult(legacy);
    expect(wire.contents).toBeDefined();
    expect('ttlMs' in wire || 'cacheScope' in wire).toBe(false);
    await legacy.client.listTools();
    const list = lastWireResult(legacy);
    expect(list.tools).toBeDefined();
    expect('ttlMs' in list || 'cacheScope' in list).toBe(false);
  });

  it("re-lists the backend when its lists' ttlMs says so, though it announces list changes and no interval is due", async () => {
    await modern.client.callTool({ name: 'hdr_grow', arguments: {} });
    // The backend adds the tool without announcing it; only a re-list finds it (the gateway's interval is 120 s).
    await until(() => gw.gateway.catalog.tools.some((t) => t.name === 'hdr_extra_1'), 20_000, 'the re-list after the backend ttlMs');
  });
});

describe('a gateway fronting a 2025 backend that offers subscriptions and sends no hints', () => {
  let gw: TestGateway;
  let modern: TestClient;

  beforeAll(async () => {
    gw = await startGateway({ gateway: { refreshInterval: 90 }, backends: { ev: everythingStdio() } });
    await gw.ready(40_000);
    modern = await connectClient('http-modern', { url: gw.url });
  }, 60_000);

  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  it('server/discover advertises resources.subscribe, with the refresh interval as ttlMs', async () => {
    const d = await rawModern(gw.url, 'server/discover');
    expect((d.capabilities as { resources?: { subscribe?: boolean } }).resources?.subscribe).toBe(true);
    expect(hintOf(d)).toEqual({ ttlMs: 90_000, cacheScope: 'public' });
  });

  it('lists take the gateway refresh interval; a read without a backend hint gets the default (0, private)', async () => {
    expect(hintOf(await raw(modern, 'tools/list'))).toEqual({ ttlMs: 90_000, cacheScope: 'public' });
    const { resources } = (await raw(modern, 'resources/list')) as { resources: Array<{ uri: string }> };
    expect(resources.length).toBeGreaterThan(0);
    expect(hintOf(await rawModern(gw.url, 'resources/read', { uri: resources[0]!.uri }))).toEqual({ ttlMs: 0, cacheScope: 'private' });
  });

  it('follows a reloaded gateway.refreshInterval at once', async () => {
    const config = { version: 1, gateway: { refreshInterval: 60 }, backends: { ev: everythingStdio() } } as GatehouseConfig;
    await gw.gateway.reconcile(config);
    expect(hintOf(await rawModern(gw.url, 'tools/list'))).toEqual({ ttlMs: 60_000, cacheScope: 'public' });
    expect((await rawModern(gw.url, 'server/discover')).ttlMs).toBe(60_000);
  });
});
