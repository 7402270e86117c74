import { EventEmitter } from 'node:events';
import { until } from './wait.js';
import { describe, expect, it, vi } from 'vitest';
import { renderDashboard } from '../../src/ui/render-dashboard.js';
import { EventBus, gateway } from './events.js';

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

/** Just enough of a TTY pair for Ink. */
function terminal(columns = 100, rows = 24) {
  let last = '';
  const stdout = Object.assign(new EventEmitter(), {
    isTTY: true,
    columns,
    rows,
    write(chunk: string) {
      last += chunk;
      return true;
    },
  });
  const stdin = Object.assign(new EventEmitter(), {
    isTTY: true,
    data: null as string | null,
    setEncoding() {},
    setRawMode() {},
    resume() {},
    pause() {},
    ref() {},
    unref() {},
    read() {
      const d = stdin.data;
      stdin.data = null;
      return d;
    },
    press(data: string) {
      stdin.data = data;
      stdin.emit('readable');
    },
  });
  return { stdout, stdin, output: () => last };
}

describe('renderDashboard', () => {
  it('renders a bus, quits on q, and unsubscribes on unmount', async () => {
    const bus = new EventBus();
    const t = terminal();
    const onQuit = vi.fn();
    const app = renderDashboard(bus, {
      endpoint: 'http://127.0.0.1:7420/mcp',
      onQuit,
      backends: [{ name: 'disabled-one', state: 'disabled' }],
      stdout: t.stdout as unknown as NodeJS.WriteStream,
      stdin: t.stdin as unknown as NodeJS.ReadStream,
      stderr: t.stdout as unknown as NodeJS.WriteStream,
      patchConsole: false, // vitest's console cannot be re-created on fake streams
    });
    const g = gateway(bus);
    g.backend('everything', 'ready', { tools: 7 });
    g.call('everything_echo');
    // The first publish is a timer away; on a loaded machine that can take longer than any fixed delay.
    await until(t.output, (f) => f.includes('everything_echo'), 'the call in a frame');
    expect(t.output()).toContain('http://127.0.0.1:7420/mcp');
    expect(t.output()).toContain('disabled-one');
    expect(t.output()).toContain('everything_echo');

    t.stdin.press('q');
    await vi.waitFor(() => expect(onQuit).toHaveBeenCalledWith('q'), { timeout: 5000 });

    const exited = app.waitUntilExit();
    app.unmount();
    app.unmount(); // idempotent
    await exited;
    const calls = app.getSnapshot().totals.total;
    g.call('after');
    expect(app.getSnapshot().totals.total).toBe(calls);
  });
});
