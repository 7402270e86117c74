// Issue 9 item 22: a client that stops reading its stream must not make the gateway buffer without
// bound. A legacy SSE client over a raw socket that never reads asks for ~24 MB of results; once
// the unread output passes gateway.inbound.maxStreamBufferBytes the gateway closes that stream
// (stream.dropped on the bus, the session ends) and keeps serving everyone else.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { everythingStdio, until } from '../helpers.js';
import { rawConnect, type RawConn } from './raw.js';

let gw: TestGateway | undefined;
let sse: RawConn | undefined;
afterEach(async () => {
  sse?.destroy();
  await gw?.stop();
  gw = undefined;
});

describe('unread response streams', () => {
  it('closes an SSE stream whose unread output passes the bound, with an event', async () => {
    const limit = 256 * 1024;
    gw = await startGateway({ gateway: { inbound: { maxStreamBufferBytes: limit } }, backends: { ev: everythingStdio() } });
    await gw.ready();
    const base = gw.url.replace(/\/mcp$/, '');
    sse = await rawConnect(Number(new URL(gw.url).port));
    sse.socket.write('GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    expect(await sse.waitFor((t) => /data: \S+sessionId=/.test(t), 10_000)).toBe(true);
    const endpoint = /data: (\S+)/.exec(sse.received())![1]!;
    // From here on the client reads nothing.
    sse.socket.pause();
    const post = (body: unknown) => fetch(`${base}${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'stalled', version: '1' } } })).status).toBe(202);
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const message = 'x'.repeat(1024 * 1024);
    for (let i = 1; i <= 24 && !gw.events.some((e) => e.type === 'stream.dropped'); i++) {
      const r = await post({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'ev_echo', arguments: { message } } });
      if (r.status === 404) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await until(() => gw!.events.some((e) => e.type === 'stream.dropped'), 20_000, 'the stalled stream to be dropped');
    const dropped = gw.events.find((e) => e.type === 'stream.dropped');
    expect(dropped?.type === 'stream.dropped' && dropped.bufferedBytes).toBeGreaterThan(limit);
    expect(dropped?.type === 'stream.dropped' && dropped.client).toBe('stalled');
    await until(() => gw!.gateway.sessions.list().every((s) => s.transport !== 'sse'), 10_000, 'the SSE session to end');
    expect((await post({ jsonrpc: '2.0', id: 99, method: 'ping' })).status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
