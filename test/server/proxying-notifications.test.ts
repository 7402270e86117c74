// Unsolicited notifications: resource updates reach only the sessions subscribed to the resource
// (2025 resources/subscribe, 2026 subscriptions/listen), and list_changed reaches clients of both
// eras when a backend's list changes (announced by a 2025 backend, or on a 2026 backend's listen
// stream), over every inbound transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  closeAllClients,
  connectClient,
  everythingStdio,
  probeStdio,
  sleep,
  tempDir,
  until,
  writeConfig,
  type TempDir,
  type TestClient,
} from './helpers.js';

const updates = (tc: TestClient, uri: string) => tc.notifications.filter((n) => n.method === 'notifications/resources/updated' && n.params?.uri === uri).length;
const toolsChanged = (tc: TestClient) => tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;

describe('resource subscriptions', () => {
  let gw: TestGateway;
  let dir: TempDir;
  let uri: string;

  beforeAll(async () => {
    gw = await startGateway({ backends: { ev: everythingStdio() } });
    await gw.ready();
    uri = gw.gateway.catalog.resources.find((r) => r.uri.startsWith('demo://resource/static/document/'))!.uri;
    dir = tempDir();
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    dir?.remove();
  });

  it('delivers a backend resource update only to the sessions subscribed to it, in both eras', async () => {
    const subscribed = await connectClient('http-legacy', { url: gw.url }, { name: 'sub-http' });
    const subscribedSse = await connectClient('sse-legacy', { url: gw.url }, { name: 'sub-sse' });
    const idle = await connectClient('http-legacy', { url: gw.url }, { name: 'idle-http' });
    const idleSse = await connectClient('sse-legacy', { url: gw.url }, { name: 'idle-sse' });
    const listener = await connectClient('http-modern', { url: gw.url }, { name: 'listen-modern' });
    const idleModern = await connectClient('http-modern', { url: gw.url }, { name: 'idle-modern' });

    await subscribed.client.subscribeResource({ uri });
    await subscribedSse.client.subscribeResource({ uri });
    const listen = await listener.client.listen({ resourceSubscriptions: [uri] });
    const otherListen = await idleModern.client.listen({ toolsListChanged: true });

    // server-everything sends an update for every subscribed URI right away, then every 5 s.
    const toggle = await idle.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    expect(toggle.isError).toBeFalsy();
    await until(() => updates(subscribed, uri) > 0 && updates(subscribedSse, uri) > 0 && updates(listener, uri) > 0, 10_000, 'updates for the subscribers');
    await sleep(200);
    expect(updates(idle, uri)).toBe(0);
    expect(updates(idleSse, uri)).toBe(0);
    expect(updates(idleModern, uri)).toBe(0);
    // Stop the backend's timer again.
    await idle.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });

    // After everyone unsubscribes, the backend subscription is gone: a new round sends nothing.
    await subscribed.client.unsubscribeResource({ uri });
    await subscribedSse.client.unsubscribeResource({ uri });
    await listen.close();
    await otherListen.close();
    await sleep(100);
    const before = [subscribed, subscribedSse, listener].map((c) => updates(c, uri));
    await idle.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    await sleep(500);
    await idle.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    expect([subscribed, subscribedSse, listener].map((c) => updates(c, uri))).toEqual(before);
  });

  it('subscribes the backend for a 2026-07-28 listen stream alone, and unsubscribes when it closes', async () => {
    const listener = await connectClient('http-modern', { url: gw.url }, { name: 'only-listener' });
    const caller = await connectClient('http-legacy', { url: gw.url }, { name: 'toggler' });
    const listen = await listener.client.listen({ resourceSubscriptions: [uri] });
    await caller.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    await until(() => updates(listener, uri) > 0, 10_000, 'an update on the listen stream');
    await caller.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    // server-everything logs each unsubscribe (outside any call, so the gateway reports it as unattributed).
    const unsubscribes = () => gw.events.filter((e) => e.type === 'relay.unattributed' && /Received Unsubscribe Resource request/.test(e.message ?? '')).length;
    const seen = unsubscribes();
    await listen.close();
    await until(() => unsubscribes() > seen, 5_000, 'the backend to see the unsubscribe');
    const before = updates(listener, uri);
    await caller.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    await sleep(500);
    await caller.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    expect(updates(listener, uri)).toBe(before);
  });

  it.each(['stdio-legacy', 'stdio-modern'] as const)('delivers resource updates to a subscribed %s client of serve --stdio', async (mode) => {
    const configFile = writeConfig(dir.path, { ev: everythingStdio() });
    const tc = await connectClient(mode, { configFile, configDir: dir.path }, { name: `sub-${mode}` });
    let listen: { close(): Promise<void> } | undefined;
    if (tc.era === 'legacy') await tc.client.subscribeResource({ uri });
    else listen = await tc.client.listen({ resourceSubscriptions: [uri] });
    await tc.client.callTool({ name: 'ev_toggle-subscriber-updates', arguments: {} });
    await until(() => updates(tc, uri) > 0, 10_000, `a resource update on the ${mode} client`);
    await listen?.close();
    await tc.close();
  });
});

describe('list_changed', () => {
  let gw: TestGateway;
  let dir: TempDir;
  const BACKENDS = { lp: probeStdio('legacy'), mp: probeStdio('modern') };

  beforeAll(async () => {
    gw = await startGateway({ backends: BACKENDS });
    await gw.ready();
    dir = tempDir();
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    dir?.remove();
  });

  it('reaches clients of both eras when a 2025 or a 2026 backend changes its tools', async () => {
    const clients = [
      await connectClient('http-legacy', { url: gw.url }, { name: 'lc-http' }),
      await connectClient('sse-legacy', { url: gw.url }, { name: 'lc-sse' }),
      await connectClient('http-modern', { url: gw.url }, { name: 'lc-modern' }),
    ];
    const listen = await clients[2]!.client.listen({ toolsListChanged: true });

    for (const [backend, grown] of [
      ['lp', 'lp_extra_1'],
      ['mp', 'mp_extra_1'],
    ] as const) {
      const before = clients.map(toolsChanged);
      const res = await clients[0]!.client.callTool({ name: `${backend}_grow`, arguments: {} });
      expect(res.isError).toBeFalsy();
      await gw.waitFor((e) => e.type === 'catalog.changed' && e.kind === 'tools' && e.diff.added.includes(grown));
      await until(() => clients.every((c, i) => toolsChanged(c) > before[i]!), 10_000, `list_changed on every client after ${backend} grew`);
      for (const c of clients) {
        const { tools } = await c.client.listTools(undefined, { cacheMode: 'bypass' } as never);
        expect(tools.map((t) => t.name), c.name).toContain(grown);
      }
      const called = await clients[2]!.client.callTool({ name: grown, arguments: {} });
      expect(called.content).toEqual([{ type: 'text', text: grown.slice(3) }]);
    }
    await listen.close();
  });

  it.each(['stdio-legacy', 'stdio-modern'] as const)('reaches a %s client of serve --stdio', async (mode) => {
    const configFile = writeConfig(dir.path, BACKENDS);
    const tc = await connectClient(mode, { configFile, configDir: dir.path }, { name: `lc-${mode}` });
    const listen = tc.era === 'modern' ? await tc.client.listen({ toolsListChanged: true }) : undefined;
    for (const backend of ['lp', 'mp']) {
      const before = toolsChanged(tc);
      await tc.client.callTool({ name: `${backend}_grow`, arguments: {} });
      await until(() => toolsChanged(tc) > before, 10_000, `list_changed after ${backend} grew`);
      const { tools } = await tc.client.listTools(undefined, { cacheMode: 'bypass' } as never);
      expect(tools.map((t) => t.name)).toContain(`${backend}_extra_1`);
    }
    await listen?.close();
    await tc.close();
  });
});
