import { afterEach, describe, expect, it, vi } from 'vitest';
import { Box } from 'ink';
import { render, cleanup } from 'ink-testing-library';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { DashboardStore } from '../../src/ui/store.js';
import { clipSegments, StyledLine } from '../../src/ui/StyledLine.js';
import { EventBus, gateway } from './events.js';

// What keeps the dashboard's frames few and cheap (issue 13's cost budget). Frame counts, not times.

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('StyledLine', () => {
  it('cuts segments to the width with an ellipsis, and keeps short ones whole', () => {
    expect(clipSegments([{ text: 'abc' }, { text: 'def' }], 10)).toEqual([{ text: 'abc' }, { text: 'def' }]);
    expect(clipSegments([{ text: 'abc', colour: 'green' }, { text: 'defgh' }], 5)).toEqual([{ text: 'abc', colour: 'green' }, { text: 'd…' }]);
    expect(clipSegments([{ text: '✓ ok' }, { text: 'x' }], 3)).toEqual([{ text: '✓ …' }]);
  });

  it('draws its text where Ink laid out the placeholder, one line, between its neighbours', () => {
    const ui = render(
      <Box flexDirection="column" width={20}>
        <StyledLine width={20} segments={[{ text: 'first ✓ ' }, { text: 'row → ok', colour: 'green' }]} />
        <StyledLine width={10} segments={[{ text: 'second row is far too long' }]} />
        <StyledLine width={20} segments={[]} />
        <StyledLine width={20} segments={[{ text: 'last' }]} />
      </Box>,
    );
    const lines = (ui.lastFrame() ?? '').split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(lines).toEqual(['first ✓ row → ok', 'second ro…', '', 'last']);
  });
});

describe('under load', () => {
  it('publishes busy snapshots, then one calm one when the stream goes quiet', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 100, busy: { events: 20, throttleMs: 1000 } });
    const seen: boolean[] = [];
    store.subscribe(() => seen.push(store.getSnapshot().busy === true));
    const g = gateway(bus);
    g.call('quiet');
    vi.advanceTimersByTime(200);
    expect(seen).toEqual([false]);
    // 3 s at 200 calls/s.
    for (let i = 0; i < 600; i++) {
      g.call(`b${i}`);
      vi.advanceTimersByTime(5);
    }
    // Quiet since: the burst's last changes, then one calm publish, not busy, and nothing after it.
    vi.advanceTimersByTime(2500);
    expect(seen.at(-1)).toBe(false);
    // The first publish of the burst still came in the quiet cadence; every later one is busy.
    expect(seen.slice(2, -1)).not.toContain(false);
    expect(seen.filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(seen.filter(Boolean).length).toBeLessThanOrEqual(4);
    const count = seen.length;
    vi.advanceTimersByTime(5000);
    expect(seen.length).toBe(count);
    expect(store.getSnapshot().totals.total).toBe(601);
    store.dispose();
  });

  it('adds no clock frames between busy publishes, and the clock ticks again once calm', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 100, busy: { events: 20, throttleMs: 2000 } });
    const ui = render(<Dashboard store={store} onQuit={() => undefined} rows={30} clockMs={300} />);
    const g = gateway(bus);
    await vi.advanceTimersByTimeAsync(50);
    // 200 calls/s. Until the first busy snapshot is drawn the clock keeps its pace; from then on it
    // adds nothing: 6 s, about one frame per 2 s busy window, where a 300 ms clock would add 20.
    let before = 0;
    for (let i = 0; i < 1700; i++) {
      if (i === 500) before = ui.frames.length;
      g.call(`v${i}`);
      await vi.advanceTimersByTimeAsync(5);
    }
    const busy = ui.frames.length - before;
    expect(busy).toBeGreaterThanOrEqual(2);
    expect(busy).toBeLessThanOrEqual(4);
    // Quiet: the calm publish hands the time back to the clock, which redraws every 300 ms.
    await vi.advanceTimersByTimeAsync(2500);
    const quiet = ui.frames.length;
    await vi.advanceTimersByTimeAsync(3000);
    expect(ui.frames.length - quiet).toBeGreaterThanOrEqual(6);
    expect(ui.lastFrame()).toContain('v1699');
    store.dispose();
  });
});
