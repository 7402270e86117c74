import { afterEach, describe, expect, it, vi } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { bodyRows, Dashboard } from '../../src/ui/Dashboard.js';
import { overviewLayout } from '../../src/ui/Overview.js';
import { DashboardStore } from '../../src/ui/store.js';
import { EventBus, gateway } from './events.js';
import { selectedLine, until } from './wait.js';

const tick = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function setup(options: { rows?: number; columns?: number; throttleMs?: number; clockMs?: number } = {}) {
  const bus = new EventBus();
  const store = new DashboardStore(bus, { throttleMs: options.throttleMs ?? 0 });
  const onQuit = vi.fn();
  const ui = render(<Dashboard store={store} onQuit={onQuit} endpoint="http://127.0.0.1:7420/mcp" rows={options.rows ?? 30} columns={options.columns} clockMs={options.clockMs} />);
  return { bus, store, g: gateway(bus), onQuit, ui, frame: () => ui.lastFrame() ?? '' };
}

/** The first table row (or other line) of the frame that mentions `text`. */
function line(frame: string, text: string): string {
  const lines = frame.split('\n');
  return lines.find((l) => /^[ ›] /.test(l) && l.includes(text)) ?? lines.find((l) => l.includes(text)) ?? '';
}

describe('Dashboard', () => {
  it('shows the endpoint, backends with state and tool counts, and recent calls', async () => {
    const { g, frame, bus } = setup();
    g.listening();
    g.backend('everything', 'ready', { tools: 12, resources: 3, prompts: 2, protocolVersion: '2025-11-25' });
    g.backend('modern', 'starting');
    g.backend('flaky', 'failed', { reason: 'connection refused', retryInMs: 5000 });
    bus.emit('catalog.changed', { kind: 'tools', diff: { added: [], removed: [], changed: [] }, total: 12 });
    g.call('everything_echo', 'everything', { durationMs: 42 });
    g.call('everything_add', 'everything', { durationMs: 2500, outcome: 'error', error: 'backend crashed' });
    await tick();
    const f = frame();
    expect(f).toContain('http://127.0.0.1:7420/mcp');
    expect(f).toContain('listening');
    expect(line(f, 'everything ')).toMatch(/everything\s+● ready\s+12\s+2\s+1/);
    expect(line(f, 'modern')).toContain('starting');
    expect(line(f, 'flaky')).toMatch(/✗ failed\s+—.*connection refused/);
    expect(line(f, 'everything_echo')).toMatch(/✓ ok\s+42ms everything_echo/);
    expect(line(f, 'everything_add')).toMatch(/✗ error\s+2\.5s everything_add/);
    expect(f).toContain('12 tools');
    // The selected (latest) call's detail line carries its error.
    expect(f).toContain('backend crashed');
  });

  it('updates a running call in place when it finishes', async () => {
    const { g, frame } = setup();
    const id = g.start('everything_slow');
    await tick();
    expect(line(frame(), 'everything_slow')).toContain('… running');
    expect(frame()).toContain('in flight 1');
    g.finish(id, 'everything_slow', 'everything', { durationMs: 1234, outcome: 'timeout' });
    await tick();
    const f = frame();
    expect(f.split('\n').filter((l) => l.includes('everything_slow') && l.includes('1.2s'))).toHaveLength(1);
    expect(line(f, 'everything_slow')).toContain('✗ timeout');
    expect(f).toContain('in flight 0');
  });

  it('renders at most once per throttle window however many events arrive', async () => {
    const { g, ui, frame } = setup({ throttleMs: 100, clockMs: 3_600_000 });
    await tick();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const before = ui.frames.length;
    for (let i = 0; i < 300; i++) g.call(`t${i}`);
    expect(ui.frames.length).toBe(before); // nothing rendered inside emit
    await vi.advanceTimersByTimeAsync(100);
    expect(ui.frames.length).toBe(before + 1);
    expect(frame()).toContain('t299');
    for (let i = 0; i < 100; i++) {
      g.call(`u${i}`);
      await vi.advanceTimersByTimeAsync(5);
    }
    await vi.advanceTimersByTimeAsync(100);
    // 500 ms of traffic, two events every 5 ms: one frame per 100 ms, not 200.
    const frames = ui.frames.length - before - 1;
    expect(frames).toBeGreaterThanOrEqual(4);
    expect(frames).toBeLessThanOrEqual(6);
    expect(frame()).toContain('u99');
  });

  it('adds no clock frames while snapshots are being drawn, and keeps ticking when quiet', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const { g, ui, frame } = setup({ throttleMs: 100, clockMs: 300 });
    await vi.advanceTimersByTimeAsync(50);
    const before = ui.frames.length;
    // 3 s of traffic, an event every 50 ms: 30 published frames; the 10 clock ticks must add none.
    for (let i = 0; i < 60; i++) {
      g.call(`v${i}`);
      await vi.advanceTimersByTimeAsync(50);
    }
    const busy = ui.frames.length - before;
    expect(busy).toBeGreaterThanOrEqual(25);
    expect(busy).toBeLessThanOrEqual(31);
    expect(frame()).toContain('v59');
    // Quiet: the clock alone redraws, once per 300 ms.
    const quiet = ui.frames.length;
    await vi.advanceTimersByTimeAsync(3000);
    expect(ui.frames.length - quiet).toBeGreaterThanOrEqual(8);
  });

  it('calls onQuit for q and for Ctrl-C', async () => {
    const { ui, onQuit } = setup();
    await tick();
    ui.stdin.write('q');
    await tick();
    expect(onQuit).toHaveBeenLastCalledWith('q');
    ui.stdin.write('\u0003');
    await tick();
    expect(onQuit).toHaveBeenLastCalledWith('ctrl-c');
    expect(onQuit).toHaveBeenCalledTimes(2);
  });

  it('scrolls to the latest calls and keeps a pinned selection while new calls arrive', async () => {
    const { g, ui, frame } = setup({ rows: 20 });
    g.backend('everything', 'ready', { tools: 1 });
    for (let i = 0; i < 100; i++) g.call(`call_${String(i).padStart(3, '0')}`);
    await tick();
    let f = frame();
    expect(f).toContain('call_099');
    expect(f).not.toContain('call_000');
    expect(f).toContain('following');
    expect(line(f, '›')).toContain('call_099');
    expect(f.split('\n').length).toBeLessThan(20);

    ui.stdin.write('k');
    await until(frame, (x) => selectedLine(x).includes('call_098'), 'k to select call_098');
    ui.stdin.write('k');
    await until(frame, (x) => selectedLine(x).includes('call_097'), 'k to select call_097');
    ui.stdin.write('\u001b[A'); // up arrow
    f = await until(frame, (x) => selectedLine(x).includes('call_096'), 'up to select call_096');
    expect(f).toContain('paused at 97/100');

    for (let i = 100; i < 105; i++) g.call(`call_${i}`);
    f = await until(frame, (x) => x.includes('105'), 'the new calls to be counted');
    expect(line(f, '›')).toContain('call_096');
    expect(f).not.toContain('call_104');

    ui.stdin.write('G');
    f = await until(frame, (x) => selectedLine(x).includes('call_104'), 'G to select the newest call');
    expect(f).toContain('following');

    ui.stdin.write('g');
    await until(frame, (x) => selectedLine(x).includes('call_000'), 'g to select the oldest call');
  });

  it('switches focus with b and c and moves the backend selection', async () => {
    const { g, ui, frame } = setup();
    g.backend('alpha', 'ready', { tools: 1, serverName: 'alpha-server', serverVersion: '1.2.3' });
    g.backend('beta', 'degraded', { tools: 2, reason: 'slow responses' });
    await until(frame, (x) => x.includes('▸ Recent calls') && x.includes('beta'), 'first frame');
    ui.stdin.write('b');
    let f = await until(frame, (x) => x.includes('▸ Backends'), 'b to focus backends');
    expect(line(f, '›')).toContain('alpha');
    ui.stdin.write('j');
    f = await until(frame, (x) => line(x, '›').includes('beta'), 'j to select beta');
    expect(f).toMatch(/beta · .*slow responses/);
    ui.stdin.write('c');
    await until(frame, (x) => x.includes('▸ Recent calls'), 'c to focus calls');
  });

  it('fits narrow and short terminals without wrapping', async () => {
    for (const [columns, rows] of [
      [50, 12],
      [70, 24],
      [140, 40],
    ] as const) {
      const { g, frame, ui } = setup({ columns, rows });
      g.listening('http://127.0.0.1:7420/mcp');
      g.backend('a-backend-with-a-rather-long-name', 'failed', { reason: 'x'.repeat(300) });
      for (let i = 0; i < 50; i++) g.call(`tool_with_a_long_name_${i}`, 'a-backend-with-a-rather-long-name');
      await tick();
      const lines = frame().split('\n');
      expect(lines.length).toBeLessThan(rows);
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
      expect(frame()).toMatch(columns > 100 ? /› .*tool_with_a_long_name_49/ : /› .*tool_with/);
      ui.unmount();
    }
  });

  it('splits rows between panels sensibly', () => {
    // 24 rows: 2 header + 1 tabs + 1 key line + 1 spare leave 19 for the body.
    expect(bodyRows(24, 2)).toBe(19);
    expect(overviewLayout(19, 3)).toEqual({ backends: 3, calls: 10, details: true });
    expect(overviewLayout(18, 40).backends).toBeLessThan(overviewLayout(18, 40).calls);
    const tiny = overviewLayout(bodyRows(8, 3), 5);
    expect(tiny.backends).toBeGreaterThanOrEqual(1);
    expect(tiny.calls).toBeGreaterThanOrEqual(1);
    expect(tiny.details).toBe(false);
  });
});
