import { afterEach, describe, expect, it, vi } from 'vitest';
import { DashboardStore } from '../../src/ui/store.js';
import { EventBus, gateway } from './events.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('DashboardStore folding', () => {
  it('tracks backends in first-seen order with state, reason, counts and last change', () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus, { backends: [{ name: 'github', state: 'disabled' }] });
    const g = gateway(bus);
    g.backend('everything', 'starting');
    g.backend('everything', 'ready', { tools: 12, resources: 3, prompts: 2, protocolVersion: '2025-11-25', serverName: 'everything', serverVersion: '1.0' });
    g.backend('flaky', 'failed', { reason: 'connection refused', retryInMs: 2000 });
    const s = store.getSnapshot();
    expect(s.backends.map((b) => [b.name, b.state])).toEqual([
      ['github', 'disabled'],
      ['everything', 'ready'],
      ['flaky', 'failed'],
    ]);
    const everything = s.backends[1]!;
    expect(everything).toMatchObject({ tools: 12, resources: 3, prompts: 2, protocolVersion: '2025-11-25', serverName: 'everything' });
    expect(s.backends[2]!.reason).toBe('connection refused');
    expect(s.backends[2]!.retryAt).toBeGreaterThan(Date.now());
    expect(s.warnings.at(-1)).toMatchObject({ kind: 'backend', backend: 'flaky' });

    // A state without a reason clears the old one; counts survive a restart that does not repeat them.
    const since = s.backends[2]!.since;
    g.backend('flaky', 'starting');
    const t = store.getSnapshot();
    expect(t.backends[2]!.reason).toBeUndefined();
    expect(t.backends[2]!.since).toBeGreaterThanOrEqual(since);
    // Unchanged backends keep identity, so memoised rows skip re-rendering.
    expect(t.backends[1]).toBe(everything);
    store.dispose();
  });

  it('keeps a bounded ring of calls, updating in-flight calls when they finish', () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus, { maxCalls: 5 });
    const g = gateway(bus);
    const first = g.start('slow');
    expect(store.getSnapshot().inFlight).toBe(1);
    expect(store.getSnapshot().calls[0]).toMatchObject({ callId: first, requestBytes: 120 });
    expect(store.getSnapshot().calls[0]!.outcome).toBeUndefined();
    g.finish(first, 'slow', 'everything', { durationMs: 1500, outcome: 'timeout', error: 'timed out after 1.5s' });
    let s = store.getSnapshot();
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]).toMatchObject({ callId: first, outcome: 'timeout', durationMs: 1500, responseBytes: 3500 });
    expect(s.inFlight).toBe(0);

    for (let i = 0; i < 7; i++) g.call(`echo${i}`);
    s = store.getSnapshot();
    expect(s.calls).toHaveLength(5);
    expect(s.calls.map((c) => c.name)).toEqual(['echo2', 'echo3', 'echo4', 'echo5', 'echo6']);
    expect(s.calls.map((c) => c.seq)).toEqual([...s.calls.map((c) => c.seq)].sort((a, b) => a - b));
    expect(s.totals).toMatchObject({ total: 8, ok: 7, timeout: 1 });
    expect(s.backends[0]!.calls).toMatchObject({ total: 8, ok: 7, timeout: 1 });
    store.dispose();
  });

  it('shows a finish whose start scrolled out (or was never seen) as a new row', () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus, { maxCalls: 3 });
    const g = gateway(bus);
    const early = g.start('early', 'a');
    for (let i = 0; i < 3; i++) g.call(`x${i}`, 'a');
    expect(store.getSnapshot().calls.some((c) => c.callId === early)).toBe(false);
    expect(store.getSnapshot().backends[0]!.inFlight).toBe(1);
    g.finish(early, 'early', 'a', { outcome: 'error', error: 'boom' });
    const s = store.getSnapshot();
    expect(s.calls.at(-1)).toMatchObject({ callId: early, outcome: 'error', error: 'boom' });
    expect(s.inFlight).toBe(0);
    expect(s.backends[0]!.inFlight).toBe(0);
    // A call to a backend we never got state for is still counted, under an honest "unknown".
    g.finish('orphan', 'tool', 'ghost');
    expect(store.getSnapshot().backends.find((b) => b.name === 'ghost')).toMatchObject({ state: 'unknown', calls: { total: 1 } });
    store.dispose();
  });

  it('follows gateway phase, catalog totals, sessions and warnings', () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus, { maxWarnings: 2 });
    const g = gateway(bus);
    expect(store.getSnapshot().phase).toBe('starting');
    g.listening('http://127.0.0.1:9999/mcp');
    bus.emit('catalog.changed', { kind: 'tools', backend: 'a', diff: { added: ['a_x'], removed: [], changed: [] }, total: 42 });
    bus.emit('catalog.changed', { kind: 'prompts', diff: { added: [], removed: [], changed: [] }, total: 3 });
    bus.emit('session.opened', { sessionId: 's1', client: 'x', era: 'legacy', transport: 'streamable-http' });
    bus.emit('session.opened', { sessionId: 's2', client: 'y', era: 'modern', transport: 'streamable-http' });
    bus.emit('session.closed', { sessionId: 's1', client: 'x' });
    bus.emit('naming.warning', { message: 'one' });
    bus.emit('relay.unattributed', { backend: 'a', method: 'notifications/progress', reason: 'token unknown' });
    bus.emit('auth.failed', { reason: 'bad credentials', remote: '10.0.0.9' });
    bus.emit('gateway.stopping', { reason: 'SIGINT', inFlight: 0 });
    const s = store.getSnapshot();
    expect(s).toMatchObject({ endpoint: 'http://127.0.0.1:9999/mcp', phase: 'stopping', stopReason: 'SIGINT', catalog: { tools: 42, prompts: 3 } });
    expect(s.transports).toEqual(['streamable-http', 'sse']);
    expect(s.sessions).toEqual({ open: 1, legacy: 0, modern: 1 });
    expect(s.warnings.map((w) => w.kind)).toEqual(['relay', 'auth']);
    bus.emit('gateway.stopped', {});
    expect(store.getSnapshot().phase).toBe('stopped');
    store.dispose();
  });

  it('redacts secrets and strips escape sequences from what it keeps', () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus);
    const g = gateway(bus);
    g.backend('a', 'failed', { reason: 'HTTP 401 with Authorization: Bearer abcdefghijklmnop1234' });
    bus.emit('backend.stderr', { backend: 'a', line: '\u001b[31mERROR\u001b[0m api_key=sk-live-0123456789abcdefghij\r\nnext' });
    g.call('x', 'a', { outcome: 'error', error: 'upstream said password=hunter22' });
    const json = JSON.stringify(store.getSnapshot());
    expect(json).not.toContain('abcdefghijklmnop1234');
    expect(json).not.toContain('sk-live-0123456789abcdefghij');
    expect(json).not.toContain('hunter22');
    expect(json).not.toContain('\\u001b');
    expect(store.getSnapshot().backends[0]!.stderrTail[0]).toBe('ERROR api_key=[REDACTED]\\nnext');
    store.dispose();
  });
});

describe('DashboardStore publishing', () => {
  it('under load (busy), publishes at the slower rate; a quiet stream keeps the fast one', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 100, busy: { events: 20, throttleMs: 500 } });
    const listener = vi.fn();
    store.subscribe(listener);
    const g = gateway(bus);
    // A quiet stream: one call every 200 ms is published at once each time.
    for (let i = 0; i < 5; i++) {
      g.call(`q${i}`);
      vi.advanceTimersByTime(200);
    }
    expect(listener).toHaveBeenCalledTimes(5);
    listener.mockClear();
    // 2 s at 200 calls/s (400 events/s): about one publish per 500 ms, not one per 100 ms.
    for (let i = 0; i < 400; i++) {
      g.call(`b${i}`);
      vi.advanceTimersByTime(5);
    }
    expect(listener.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(listener.mock.calls.length).toBeLessThanOrEqual(5);
    vi.advanceTimersByTime(600);
    expect(store.getSnapshot().totals.total).toBe(405);
    store.dispose();
  });

  it('notifies at most once per throttle window, from a timer, never inside emit', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 100 });
    const listener = vi.fn();
    store.subscribe(listener);
    const g = gateway(bus);
    const before = store.getSnapshot();
    for (let i = 0; i < 1000; i++) g.call(`t${i}`);
    expect(listener).not.toHaveBeenCalled();
    // Stable between publishes, as useSyncExternalStore requires.
    expect(store.getSnapshot()).toBe(before);
    vi.advanceTimersByTime(0);
    expect(listener).toHaveBeenCalledTimes(1);
    const first = store.getSnapshot();
    expect(first).not.toBe(before);
    expect(first.totals.total).toBe(1000);

    for (let i = 0; i < 50; i++) {
      g.call(`u${i}`);
      vi.advanceTimersByTime(10);
    }
    // 500 ms of steady traffic: about one publish per 100 ms, not 50.
    expect(listener.mock.calls.length).toBeGreaterThanOrEqual(5);
    expect(listener.mock.calls.length).toBeLessThanOrEqual(7);
    vi.advanceTimersByTime(100);
    expect(store.getSnapshot().totals.total).toBe(1050);
    const count = listener.mock.calls.length;
    vi.advanceTimersByTime(1000);
    expect(listener.mock.calls.length).toBe(count); // nothing new, no publish
    store.dispose();
  });

  it('does not keep the process alive and stops listening on dispose', () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 60_000 });
    const listener = vi.fn();
    store.subscribe(listener);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    gateway(bus).call('a');
    gateway(bus).call('b');
    // The pending publish timer is unref'd: Node does not count it as keeping the loop alive.
    expect(timers()).toBe(before);
    store.dispose();
    gateway(bus).call('c');
    expect(listener).not.toHaveBeenCalled();
  });

  it('flush publishes pending changes at once', () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 60_000 });
    const listener = vi.fn();
    store.subscribe(listener);
    gateway(bus).call('a');
    store.flush();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.getSnapshot().totals.total).toBe(1);
    store.dispose();
  });
});
