// GET /admin/events against a real gateway on 127.0.0.1: authenticated exactly like the other admin
// routes, hello then backfill of recent (redacted) events, live events, and keep-alive comments.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SseParser, type SseMessage } from '../../../src/core/admin/events.js';
import { EventBus } from '../../../src/core/events.js';
import { AdminEventStream } from '../../../src/server/inbound/admin-events.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { probeStdio } from '../helpers.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let gw: TestGateway;
let admin: { adminUrl: string; token: string };

beforeAll(async () => {
  gw = await startGateway({ backends: { probe: probeStdio('modern') } });
  await gw.ready();
  admin = gw.gateway.admin!;
});
afterAll(async () => {
  await gw?.stop();
});

/** Reads an event stream until `done` says enough (bounded), then aborts it. */
async function read(url: string, headers: Record<string, string>, done: (msgs: SseMessage[], raw: string) => boolean, timeoutMs = 15_000): Promise<{ status: number; type: string | null; msgs: SseMessage[]; raw: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const res = await fetch(url, { headers, signal: abort.signal });
  const msgs: SseMessage[] = [];
  let raw = '';
  try {
    if (res.ok && res.body) {
      const parser = new SseParser();
      const decoder = new TextDecoder();
      const reader = res.body.getReader();
      while (!done(msgs, raw)) {
        const { value, done: end } = await reader.read();
        if (end) break;
        const text = decoder.decode(value, { stream: true });
        raw += text;
        msgs.push(...parser.push(text));
      }
    } else raw = await res.text();
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return { status: res.status, type: res.headers.get('content-type'), msgs, raw };
}

describe('GET /admin/events', () => {
  it('refuses a request without the admin token, or with a wrong one (401), like every admin route', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${admin.token}` }]) {
      const r = await read(`${admin.adminUrl}/events`, headers, () => true);
      expect(r.status).toBe(401);
      expect(r.raw).toContain('unauthorized');
      expect(r.raw).not.toContain('event: hello');
    }
    expect(gw.gateway.eventStream.attached).toBe(0);
  });

  it('answers hello, then the backfill of recent events, then live events', async () => {
    let sent = false;
    const r = await read(`${admin.adminUrl}/events`, { authorization: `Bearer ${admin.token}` }, (msgs) => {
      if (msgs.length > 0 && !sent && (sent = true)) gw.gateway.bus.emit('backend.warning', { backend: 'probe', message: 'live one' });
      return msgs.some((m) => m.data.includes('live one'));
    });
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/event-stream/);
    const [hello, ...rest] = r.msgs;
    expect(hello!.event).toBe('hello');
    const h = JSON.parse(hello!.data) as { instance: string; backfill: number };
    expect(h.instance).toBe(gw.gateway.eventStream.instance);
    expect(h.backfill).toBeGreaterThan(0);
    const events = rest.map((m) => JSON.parse(m.data) as { type: string; state?: string; backend?: string });
    // The backfill holds what happened before we connected: the backend coming up, the listener.
    expect(events.slice(0, h.backfill).some((e) => e.type === 'backend.state' && e.backend === 'probe' && e.state === 'ready')).toBe(true);
    expect(events.slice(0, h.backfill).some((e) => e.type === 'gateway.listening')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'backend.warning', message: 'live one' });
    // Ids increase, so a reconnect can resume after the last one.
    const ids = rest.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('resumes after Last-Event-ID on the same gateway, and sends the whole ring to another instance id', async () => {
    const auth = { authorization: `Bearer ${admin.token}` };
    const first = await read(`${admin.adminUrl}/events`, auth, (msgs) => msgs.length > 1 && msgs.length - 1 === (JSON.parse(msgs[0]!.data) as { backfill: number }).backfill);
    const lastId = first.msgs.at(-1)!.id!;
    gw.gateway.bus.emit('backend.warning', { backend: 'probe', message: 'after the drop' });
    const resumed = await read(`${admin.adminUrl}/events`, { ...auth, 'last-event-id': lastId, 'x-gatehouse-instance': gw.gateway.eventStream.instance }, (msgs) => msgs.some((m) => m.data.includes('after the drop')));
    expect(JSON.parse(resumed.msgs[0]!.data)).toMatchObject({ backfill: 1 });
    const other = await read(`${admin.adminUrl}/events`, { ...auth, 'last-event-id': lastId, 'x-gatehouse-instance': 'someone-else' }, (msgs) => msgs.length > 0);
    expect((JSON.parse(other.msgs[0]!.data) as { backfill: number }).backfill).toBeGreaterThan(1);
  });

  it('is read-only: POST is 405', async () => {
    const res = await fetch(`${admin.adminUrl}/events`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.status).toBe(405);
  });
});

describe('AdminEventStream keep-alives and bounds', () => {
  let server: Server;
  let bus: EventBus;
  let stream: AdminEventStream;
  let url: string;
  beforeAll(async () => {
    bus = new EventBus();
    stream = new AdminEventStream(bus, { startedAt: Date.now() }, { keepAliveMs: 50, backfill: 3 });
    server = createServer((req, res) => {
      if (!stream.handle(req, res, new URL(req.url ?? '/', 'http://x').pathname)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/events`;
  });
  afterAll(async () => {
    stream.dispose();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends a keep-alive comment when quiet, and keeps only the last N events for backfill', async () => {
    for (let i = 0; i < 10; i++) bus.emit('backend.warning', { backend: 'b', message: `w${i}` });
    const r = await read(url, {}, (_m, raw) => raw.includes(': keep-alive'));
    expect(r.raw).toContain(': keep-alive');
    expect(r.msgs.slice(1).map((m) => (JSON.parse(m.data) as { message: string }).message)).toEqual(['w7', 'w8', 'w9']);
  });

  it('forgets a client when it goes away', async () => {
    await read(url, {}, (m) => m.length > 0);
    await expect.poll(() => stream.attached, { timeout: 10_000 }).toBe(0);
  });
});
