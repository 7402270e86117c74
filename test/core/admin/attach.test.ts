// The attach source against real gateways in this process, found through their run records as
// `gatehouse dashboard` finds them: backfill on connect, live events, the status snapshot, and a
// reconnect (with the restarted gateway's new admin token) after the gateway restarts on its port.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { attachToGateway } from '../../../src/core/admin/approvals-port.js';
import type { AttachedGateway } from '../../../src/core/admin/attach.js';
import type { LinkState } from '../../../src/core/admin/feed.js';
import type { GatewayEvent } from '../../../src/core/events.js';
import { DashboardStore } from '../../../src/ui/store.js';
import { makeTempDir } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, probeStdio } from '../../server/helpers.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const dir = makeTempDir();
const gateways: TestGateway[] = [];
let feed: AttachedGateway | undefined;
let store: DashboardStore | undefined;

afterAll(async () => {
  store?.dispose();
  feed?.close();
  await closeAllClients();
  for (const g of gateways) await g.stop();
});

async function start(port = 0): Promise<TestGateway> {
  const g = await startGateway({ backends: { probe: probeStdio('modern') } }, { stateDir: dir, port });
  gateways.push(g);
  await g.ready();
  return g;
}

async function until<T>(what: string, get: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('attached dashboard feed', () => {
  it('backfills, streams live events, and reconnects to a restarted gateway', async () => {
    const first = await start();
    feed = await attachToGateway(dir, { operator: 'op', attach: { statusMs: 200, backoffMs: 100, maxBackoffMs: 400 } });
    const events: GatewayEvent[] = [];
    const links: LinkState[] = [];
    let resets = 0;
    feed.onAny((e) => events.push(e));
    feed.onReset(() => {
      resets++;
      events.length = 0;
    });
    feed.link.subscribe(() => links.push(feed!.link.get()));
    store = new DashboardStore(feed, { throttleMs: 0 });
    feed.start();

    await until('connected', () => feed!.link.get().state === 'connected');
    // Backfill: the backend came up before we attached.
    await until('backfilled ready state', () => events.find((e) => e.type === 'backend.state' && e.backend === 'probe' && e.state === 'ready'));
    expect(first.gateway.eventStream.attached).toBe(1);

    // Live: a real client's call through the gateway reaches the attached feed.
    const tc = await connectClient('http-modern', { url: first.url }, { name: 'live-agent' });
    await tc.client.callTool({ name: 'probe_meta', arguments: {} });
    const finished = await until('live call.finished', () => events.find((e) => e.type === 'call.finished' && e.client === 'live-agent'));
    expect(finished).toMatchObject({ outcome: 'ok', name: 'probe_meta' });
    await until('store folded the call', () => store!.getSnapshot().calls.find((c) => c.client === 'live-agent' && c.outcome === 'ok'));
    expect(store.getSnapshot().link?.state).toBe('connected');
    await tc.close();

    // The gateway restarts on the same port (with a new admin token in a new run record).
    const port = Number(new URL(first.url).port);
    const oldToken = first.gateway.admin!.token;
    await first.stop();
    gateways.splice(gateways.indexOf(first), 1);
    await until('reconnecting', () => links.find((l) => l.state === 'reconnecting'));
    await until('the store shows the drop', () => store!.getSnapshot().link?.state === 'reconnecting' || store!.getSnapshot().link?.state === 'connected');
    const second = await start(port);
    expect(second.gateway.admin!.token).not.toBe(oldToken);
    await until('reset for the new gateway', () => resets === 1);
    await until('connected again', () => feed!.link.get().state === 'connected');
    await until('the new gateway’s backfill', () => events.find((e) => e.type === 'backend.state' && e.backend === 'probe' && e.state === 'ready'));
    expect(feed.link.get().attempt).toBe(0);
    expect(second.gateway.eventStream.attached).toBe(1);

    // Detaching ends only our stream: the gateway keeps serving.
    feed.close();
    await until('detached on the gateway side', () => second.gateway.eventStream.attached === 0);
    const ready = await fetch(second.url.replace(/\/mcp$/, '/readyz'));
    expect(ready.status).toBe(200);
    expect(second.gateway.upstreams[0]!.state).toBe('ready');
  });
});
