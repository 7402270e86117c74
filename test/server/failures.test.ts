// Failure isolation: a stdio backend killed mid-call, one that exits at once, an HTTP backend at a
// closed port, one serving an HTML page, one answering 401, one that only speaks legacy SSE (auto
// falls back), and one that never answers a call. In each case the gateway keeps serving the healthy
// backend, and reports the cause in backend.state events and /readyz.
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/core/events.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import {
  alive,
  closeAllClients,
  closedPort,
  connectClient,
  httpBackend,
  modernStdio,
  probeStdio,
  startEverythingHttp,
  startTinyHttp,
  textOf,
  until,
  type Proc,
  type TestClient,
} from './helpers.js';

type StateEvent = Extract<GatewayEvent, { type: 'backend.state' }>;
const states = (gw: TestGateway, backend: string) => gw.events.filter((e): e is StateEvent => e.type === 'backend.state' && e.backend === backend);

async function readyz(gw: TestGateway): Promise<{ status: number; body: { ready: boolean; backends: Record<string, { state: string; reason?: string; tools: number }> } }> {
  const res = await fetch(gw.url.replace(/\/mcp$/, '/readyz'));
  return { status: res.status, body: (await res.json()) as never };
}

async function callError(p: Promise<unknown>): Promise<ProtocolError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProtocolError);
  return e as ProtocolError;
}

describe('a stdio backend killed mid-call', () => {
  let gw: TestGateway;
  let tc: TestClient;

  beforeAll(async () => {
    gw = await startGateway(
      { backends: { victim: probeStdio('legacy'), healthy: modernStdio() } },
      { backoff: { initialMs: 1_000, maxMs: 5_000, resetAfterMs: 60_000 } },
    );
    await gw.ready();
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'killer' });
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
  });

  const pid = async () => ((await tc.client.callTool({ name: 'victim_pid', arguments: {} })).structuredContent as { pid: number }).pid;

  it('fails the call promptly, keeps the others serving, and restarts the backend with backoff', async () => {
    const gaps: number[] = [];
    let current = await pid();
    for (const round of [1, 2]) {
      const tag = `killed-${round}`;
      const call = tc.client.callTool({ name: 'victim_slow', arguments: { ms: 60_000, tag } });
      await until(() => gw.events.some((e) => e.type === 'backend.stderr' && e.line.includes(`PROBE STARTED ${tag}`)), 10_000, 'the slow call to start');
      const changedBefore = tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;
      const killedAt = Date.now();
      process.kill(current, 'SIGKILL');

      const err = await callError(call);
      expect(Date.now() - killedAt).toBeLessThan(3_000);
      expect(err.message).toMatch(/Backend "victim" closed the connection while handling tools\/call/);
      expect(err.code).toBe(-32001);
      expect((err.data as { backend?: string }).backend).toBe('victim');

      const failed = await gw.waitFor((e) => e.type === 'backend.state' && e.backend === 'victim' && e.state === 'failed' && e.at >= killedAt);
      expect((failed as StateEvent).reason).toMatch(/exited/);
      if (round === 1) {
        const r = await readyz(gw);
        // Failed until the restart begins; the reason stays while it restarts.
        expect(['failed', 'starting']).toContain(r.body.backends.victim!.state);
        expect(r.body.backends.victim!.reason).toMatch(/exited/);
        expect(r.body.backends.healthy!.state).toBe('ready');
      }
      // While it is down: its tools leave the catalog (clients are told), the others keep serving.
      await until(() => tc.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length > changedBefore, 5_000, 'list_changed after the crash');
      const during = await tc.client.callTool({ name: 'healthy_echo', arguments: { text: `still here ${round}` } });
      expect(textOf(during)).toBe(`still here ${round}`);

      const restarting = (await gw.waitFor((e) => e.type === 'backend.state' && e.backend === 'victim' && e.state === 'starting' && e.at > failed.at)) as StateEvent;
      gaps.push(restarting.at - failed.at);
      await gw.waitFor((e) => e.type === 'backend.state' && e.backend === 'victim' && e.state === 'ready' && e.at > restarting.at);
      await until(async () => (await tc.client.listTools()).tools.some((t) => t.name === 'victim_pid'), 5_000, 'victim tools back in the catalog');
      const next = await pid();
      expect(next).not.toBe(current);
      expect(alive(current)).toBe(false);
      current = next;
    }
    // Exponential: the second restart waits about twice as long as the first (1 s, then 2 s).
    expect(gaps[0]).toBeGreaterThanOrEqual(950);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_950);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]! * 1.5);
  });
});

describe('backends that cannot be reached or do not answer', () => {
  let gw: TestGateway;
  let tc: TestClient;
  let html: Awaited<ReturnType<typeof startTinyHttp>>;
  let unauthorized: Awaited<ReturnType<typeof startTinyHttp>>;
  let sseOnly: Proc & { base: string; url: string };

  beforeAll(async () => {
    html = await startTinyHttp((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><head><title>Sign in</title></head><body><form action="/login">Sign in to continue</form></body></html>');
    });
    unauthorized = await startTinyHttp((_req, res) => {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthorized' }));
    });
    sseOnly = await startEverythingHttp('sse');
    const port = await closedPort();
    gw = await startGateway({
      backends: {
        healthy: modernStdio(),
        failstart: modernStdio(['--fail-on-start']),
        refused: httpBackend(`http://127.0.0.1:${port}/mcp`),
        html: httpBackend(`${html.url}/mcp`),
        unauthorized: httpBackend(`${unauthorized.url}/mcp`, { transport: 'auto' }),
        // POST /sse is a 404 on a legacy SSE server: auto falls back to SSE.
        ssefallback: httpBackend(sseOnly.url, { transport: 'auto' }),
        // The backend's call timeout is 3 s; `slow` overrides it with 1 s.
        hang: probeStdio('legacy', { timeout: 3, toolTimeouts: { slow: 1 } }),
      },
    });
    await gw.ready(30_000);
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'survivor' });
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    await html?.close();
    await unauthorized?.close();
    await sseOnly?.stop();
  });

  it('reports each cause in backend.state events and /readyz, and keeps serving the healthy backends', async () => {
    const expected: Record<string, RegExp> = {
      failstart: /failing on start as requested/,
      refused: /Connection refused/,
      html: /HTML page where MCP was expected; it looks like a login page/,
      unauthorized: /HTTP 401/,
    };
    const r = await readyz(gw);
    expect(r.status).toBe(200);
    expect(r.body.ready).toBe(true);
    for (const [name, reason] of Object.entries(expected)) {
      // Failed, or at that instant retrying with backoff; the reason stays either way.
      expect(['failed', 'starting'], name).toContain(r.body.backends[name]!.state);
      // /readyz needs no auth: a short reason, never the backend's stderr (that is in /admin/status).
      expect(r.body.backends[name]!.reason, name).toMatch(name === 'failstart' ? /closed the connection|exited/ : reason);
      expect(r.body.backends[name]!.reason, name).not.toMatch(/stderr|failing on start/);
      expect(r.body.backends[name]!.tools).toBe(0);
      const failed = states(gw, name).filter((e) => e.state === 'failed');
      expect(failed.length, name).toBeGreaterThan(0);
      expect(failed[0]!.reason, name).toMatch(reason);
    }
    for (const name of ['healthy', 'ssefallback', 'hang']) expect(r.body.backends[name]!.state, name).toBe('ready');

    const names = (await tc.client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('healthy_echo');
    expect(names).toContain('ssefallback_echo');
    for (const dead of Object.keys(expected)) expect(names.some((n) => n.startsWith(`${dead}_`)), dead).toBe(false);
    expect(textOf(await tc.client.callTool({ name: 'healthy_echo', arguments: { text: 'ok' } }))).toBe('ok');
  });

  it('stays ready while the failed backends retry with backoff', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 15; i++) {
      const r = await readyz(gw);
      expect(r.status).toBe(200);
      expect(r.body.ready).toBe(true);
      seen.add(r.body.backends.failstart!.state);
      await new Promise((res) => setTimeout(res, 100));
    }
    // The retries really happen (the test helper's backoff is 200 ms, capped at 1 s).
    expect(states(gw, 'failstart').filter((e) => e.state === 'starting').length).toBeGreaterThan(2);
    expect([...seen].every((st) => st === 'failed' || st === 'starting')).toBe(true);
  });

  it('shows the stderr of a backend that exits at once', () => {
    const reason = states(gw, 'failstart').find((e) => e.state === 'failed')!.reason!;
    expect(reason).toContain('modern-server: failing on start as requested (--fail-on-start)');
  });

  it('does not hide a 401 behind the SSE fallback', () => {
    expect(unauthorized.hits.length).toBeGreaterThan(0);
    expect(unauthorized.hits.every((h) => h.startsWith('POST '))).toBe(true);
    expect(states(gw, 'unauthorized').find((e) => e.state === 'failed')!.reason).not.toMatch(/\bSSE\b|\/sse/i);
  });

  it('falls back to legacy SSE when streamable HTTP answers 404, and serves through it', async () => {
    expect(gw.gateway.upstreams.find((u) => u.name === 'ssefallback')!.info.serverName).toBe('mcp-servers/everything');
    const res = await tc.client.callTool({ name: 'ssefallback_echo', arguments: { message: 'via sse' } });
    expect(textOf(res)).toBe('Echo: via sse');
  });

  it('times out a call the backend never answers, and tells the backend to stop', async () => {
    const started = Date.now();
    const err = await callError(tc.client.callTool({ name: 'hang_hang', arguments: { tag: 'never' } }));
    const took = Date.now() - started;
    expect(err.message).toMatch(/Backend "hang" did not answer tools\/call within 3 s/);
    expect((err.data as { backend?: string }).backend).toBe('hang');
    expect(took).toBeGreaterThanOrEqual(2_900);
    expect(took).toBeLessThan(7_000);
    await until(() => gw.events.some((e) => e.type === 'backend.stderr' && e.line.includes('PROBE CANCELLED never')), 5_000, 'the backend to see the cancellation');
    expect(gw.events.some((e) => e.type === 'call.finished' && e.name === 'hang_hang' && e.outcome === 'timeout')).toBe(true);
    // The backend stays in service.
    expect(gw.gateway.upstreams.find((u) => u.name === 'hang')!.state).toBe('ready');
    expect((await tc.client.callTool({ name: 'hang_pid', arguments: {} })).isError).toBeFalsy();
  });

  it('resets the call timeout on progress', async () => {
    const progress: number[] = [];
    // 2.5 s of work against a 1 s timeout, with progress every 300 ms.
    const res = await tc.client.callTool({ name: 'hang_slow', arguments: { ms: 2_500, every: 300, tag: 'ticking' } }, { onprogress: (p) => progress.push(p.progress) });
    expect(res.isError).toBeFalsy();
    expect(textOf(res)).toBe('slow ticking done after 2500 ms');
    expect(progress.length).toBeGreaterThanOrEqual(5);
    // The same work without progress times out.
    const err = await callError(tc.client.callTool({ name: 'hang_slow', arguments: { ms: 2_500, tag: 'silent' } }));
    expect(err.message).toMatch(/did not answer tools\/call within 1 s/);
  });
});

describe('a remote backend that goes away and comes back', () => {
  let gw: TestGateway;
  let tc: TestClient;
  let backend: Proc & { base: string; url: string };

  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    await backend?.stop();
  });

  it('reports the outage and serves again once it is back (new 2025 session)', async () => {
    backend = await startEverythingHttp('streamableHttp');
    const port = Number(new URL(backend.url).port);
    gw = await startGateway({ backends: { remote: httpBackend(backend.url, { transport: 'streamable-http' }), healthy: modernStdio() } });
    await gw.ready();
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'remote-user' });
    expect(textOf(await tc.client.callTool({ name: 'remote_echo', arguments: { message: 'before' } }))).toBe('Echo: before');

    await backend.stop();
    const down = await tc.client.callTool({ name: 'remote_echo', arguments: { message: 'during' } }).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    expect(down).toMatch(/\[remote\] Connection refused/);
    // The dead link takes the backend out of service, with the cause, until it answers again.
    const failed = (await gw.waitFor((e) => e.type === 'backend.state' && e.backend === 'remote' && e.state === 'failed')) as StateEvent;
    expect(failed.reason).toMatch(/Connection refused/);
    await until(async () => !(await tc.client.listTools()).tools.some((t) => t.name === 'remote_echo'), 5_000, 'remote tools to leave the catalog');
    expect((await readyz(gw)).body.backends.remote!.reason).toMatch(/Connection refused/);
    expect(textOf(await tc.client.callTool({ name: 'healthy_echo', arguments: { text: 'still here' } }))).toBe('still here');

    // Same port, new process: its sessions are new, so the gateway has to connect again.
    backend = await startEverythingHttp('streamableHttp', port);
    await until(
      async () =>
        textOf(
          await tc.client.callTool({ name: 'remote_echo', arguments: { message: 'after' } }).catch((e: Error) => ({ content: [{ type: 'text', text: e.message }] })),
        ) === 'Echo: after',
      20_000,
      'the backend to serve again through the gateway',
    );
    expect(gw.events.some((e) => e.type === 'backend.state' && e.backend === 'remote' && e.state === 'ready' && e.at > failed.at)).toBe(true);
  });

  it('starts a new 2025 session when the backend forgets ours (restarted between calls)', async () => {
    const port = Number(new URL(backend.url).port);
    await backend.stop();
    backend = await startEverythingHttp('streamableHttp', port);
    // No call saw the outage: the first one after it meets an unknown session.
    const first = await tc.client.callTool({ name: 'remote_echo', arguments: { message: 'stale' } }).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    expect(first).toMatch(/no longer knows the gateway's session|session/i);
    await until(
      async () =>
        textOf(
          await tc.client.callTool({ name: 'remote_echo', arguments: { message: 'fresh' } }).catch((e: Error) => ({ content: [{ type: 'text', text: e.message }] })),
        ) === 'Echo: fresh',
      20_000,
      'a new session',
    );
  });
});
