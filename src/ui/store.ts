import type { EventSource } from '../core/log/logger.js';
import type { GatewayEvent } from '../core/events.js';
import { DashboardModel, type DashboardModelOptions } from './dashboard-model.js';
import type { DashboardSnapshot } from './snapshot.js';

export type { EventSource } from '../core/log/logger.js';
export type * from './snapshot.js';
export { DashboardModel } from './dashboard-model.js';

export interface DashboardStoreOptions extends DashboardModelOptions {
  /** Minimum time between two notifications. Default 100 ms (at most 10 frames/s). */
  throttleMs?: number;
}

/** What components need from a store; the remote-attach store of phase E implements the same. */
export interface SnapshotSource {
  subscribe(listener: () => void): () => void;
  getSnapshot(): DashboardSnapshot;
}

/**
 * Subscribes a DashboardModel to an event source and publishes snapshots for useSyncExternalStore.
 * Listeners are called from a timer, at most once per `throttleMs`, never from inside `emit`: the
 * gateway's emit returns after an O(1) fold and never runs React.
 */
export class DashboardStore implements SnapshotSource {
  private readonly model: DashboardModel;
  private readonly throttleMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeSource: () => void;
  private snapshot: DashboardSnapshot;
  private dirty = false;
  private lastPublish = Number.NEGATIVE_INFINITY;
  private timer?: ReturnType<typeof setTimeout>;
  private disposed = false;

  constructor(source: EventSource, options: DashboardStoreOptions = {}) {
    this.model = new DashboardModel(options);
    this.throttleMs = Math.max(0, options.throttleMs ?? 100);
    this.now = options.now ?? (() => Date.now());
    this.snapshot = this.model.snapshot();
    this.unsubscribeSource = source.onAny((e) => this.receive(e));
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** Stable between publishes, as useSyncExternalStore requires. */
  readonly getSnapshot = (): DashboardSnapshot => {
    // Nobody is listening yet (first render, tests): there is no render to throttle, so be current.
    if (this.dirty && this.listeners.size === 0) this.publish();
    return this.snapshot;
  };

  /** Publishes pending changes now, e.g. before a final frame on shutdown. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty) this.publish();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribeSource();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private receive(e: GatewayEvent): void {
    if (this.disposed) return;
    this.model.apply(e);
    this.dirty = true;
    if (this.timer) return;
    const wait = Math.max(0, this.lastPublish + this.throttleMs - this.now());
    this.timer = setTimeout(this.onTimer, wait);
    // The dashboard must never be the reason the process stays up.
    this.timer.unref?.();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.dirty && !this.disposed) this.publish();
  };

  private publish(): void {
    this.dirty = false;
    this.snapshot = this.model.snapshot();
    this.lastPublish = this.now();
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // A rendering bug must not stop other listeners or the next publish.
      }
    }
  }
}
