// The dashboard is one of the outputs a resolved secret must never reach (issue 9, item 3). The
// gateway's events are already redacted; this checks the dashboard's own line of defence: fed events
// that still carry a value the process resolved (as a backend would echo it), no rendered frame of any
// view or detail shows it.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { clearSecretValues, registerSecretValue } from '../../src/core/log/secret-values.js';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { DashboardStore } from '../../src/ui/store.js';
import { EventBus, gateway } from './events.js';
import { until } from './wait.js';

// Lower-case letters only, so no pattern rule catches it: only the resolved-value registry can.
const SECRET = `hushedotter${[...randomBytes(12)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;

afterEach(() => {
  cleanup();
  clearSecretValues();
});

describe('dashboard and resolved secrets', () => {
  it('shows no frame with a resolved value, on any view or detail', async () => {
    registerSecretValue(SECRET);
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 0 });
    const ui = render(<Dashboard store={store} onQuit={vi.fn()} rows={30} columns={100} />);
    const frames: string[] = [];
    const frame = () => {
      const f = ui.lastFrame() ?? '';
      frames.push(f);
      return f;
    };
    const g = gateway(bus);
    g.listening();
    g.backend('leaky', 'failed', { reason: `exited; stderr: using ${SECRET}`, retryInMs: 500 });
    bus.emit('backend.stderr', { backend: 'leaky', line: `token is ${SECRET}` });
    g.call('leaky_leak', 'leaky', { outcome: 'error', error: `[leaky] refused ${SECRET}\nsecond line ${SECRET}` });
    bus.emit('backend.warning', { backend: 'leaky', message: `could not listen (${SECRET})` });
    await until(frame, (f) => f.includes('leaky'), 'the backend on screen');
    for (const [key, expectText] of [
      ['2', 'Backends'],
      ['\r', 'leaky'],
      ['\u001b', 'Backends'],
      ['4', 'Calls'],
      ['\r', 'leaky'],
      ['\u001b', 'Calls'],
      ['6', 'Errors'],
      ['\r', 'leaky'],
    ] as const) {
      ui.stdin.write(key);
      await until(frame, (f) => f.includes(expectText), `${JSON.stringify(key)} → ${expectText}`);
    }
    expect(frames.length).toBeGreaterThan(5);
    expect(frames.join('\n')).toContain('[REDACTED]');
    for (const f of frames) expect(f).not.toContain(SECRET);
  });
});
