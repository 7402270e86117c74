// Must run before Ink (and chalk) load.
import './no-color.js';
import { render } from 'ink';
import type { BackendState } from '../core/events.js';
import type { EventSource } from '../core/log/logger.js';
import type { DashboardFeed } from '../core/admin/feed.js';
import { Dashboard, type QuitReason } from './Dashboard.js';
import { DashboardStore, type DashboardSnapshot } from './store.js';

export type { QuitReason } from './Dashboard.js';
export type { EventSource } from '../core/log/logger.js';
export type { DashboardFeed } from '../core/admin/feed.js';

export interface RenderDashboardOptions {
  /** The inbound endpoint, shown until `gateway.listening` announces the bound URL. */
  endpoint?: string;
  /** q or Ctrl-C. Called on every press: the caller drains and then calls `unmount()`. */
  onQuit: (reason: QuitReason) => void;
  /** Configured backends, so disabled ones show and order follows the config before any event. */
  backends?: ReadonlyArray<{ name: string; state?: BackendState }>;
  startedAt?: number;
  /** Default 100 ms. */
  throttleMs?: number;
  /** Size of the recent-calls ring. Default 500. */
  maxCalls?: number;
  /** Slower publishing under load (see DashboardStoreOptions.busy). Default 20 events → 2000 ms. */
  busy?: { events: number; throttleMs: number };
  /** Route stray console output above the dashboard instead of through it. Default true. */
  patchConsole?: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
}

export interface DashboardHandle {
  /** Stops rendering, restores the terminal and unsubscribes from the bus. Safe to call twice. */
  unmount(): void;
  /** Settles once unmounted. */
  waitUntilExit(): Promise<void>;
  /** The last published state, e.g. for a summary line after the dashboard is gone. */
  getSnapshot(): DashboardSnapshot;
}

/**
 * Renders the live dashboard for a gateway's event bus (serve, in-process) or a feed attached over the
 * admin API (`gatehouse dashboard`); a feed with approvals makes the approvals view's keys work. Only for a terminal: the caller checks that
 * stdin and stdout are TTYs and otherwise uses the event logger. Subscribe (call this) before the
 * gateway starts, or early backend events are missed.
 */
export function renderDashboard(source: EventSource | DashboardFeed, options: RenderDashboardOptions): DashboardHandle {
  const store = new DashboardStore(source, {
    endpoint: options.endpoint,
    backends: options.backends,
    startedAt: options.startedAt,
    throttleMs: options.throttleMs,
    maxCalls: options.maxCalls,
    // 20 events in one 100 ms window is about 100 calls/s: from there on, a frame every 2 s (k9s's
    // refresh). A frame costs the gateway's process 10-30 ms of React, Yoga layout and Ink output
    // whatever changed (more on a busy machine), and at 150 calls/s one frame a second was 7-10% of
    // its CPU per call; issue 13's budget is 10% (bench/dashboard.mjs, docs/benchmarks.md).
    busy: options.busy ?? { events: 20, throttleMs: 2000 },
  });
  const approvals = 'approvals' in source ? source.approvals : undefined;
  const pins = 'pins' in source ? source.pins : undefined;
  const instance = render(<Dashboard store={store} endpoint={options.endpoint} onQuit={options.onQuit} approvals={approvals} onDecided={() => store.refreshPlans()} pins={pins} onAccepted={() => store.refreshPins()} />, {
    // Ink treats a present-but-undefined stream as given, so only pass the ones we have.
    ...(options.stdout ? { stdout: options.stdout } : {}),
    ...(options.stdin ? { stdin: options.stdin } : {}),
    ...(options.stderr ? { stderr: options.stderr } : {}),
    patchConsole: options.patchConsole ?? true,
    // Ctrl-C is ours: it must drain the gateway, not just tear down the UI.
    exitOnCtrlC: false,
    // The store already publishes at most every throttleMs; Ink's own cap matches it. (Ink 6.8's
    // incrementalRendering leaves stale lines behind on a view switch, so whole frames it is.)
    maxFps: Math.max(1, Math.floor(1000 / Math.max(1, options.throttleMs ?? 100))),
  });
  let unmounted = false;
  return {
    unmount() {
      if (unmounted) return;
      unmounted = true;
      store.flush();
      instance.unmount();
      store.dispose();
    },
    async waitUntilExit() {
      await instance.waitUntilExit();
    },
    getSnapshot: () => store.getSnapshot(),
  };
}
