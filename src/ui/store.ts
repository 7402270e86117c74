import type { EventSource } from '../core/log/logger.js';
import type { DashboardFeed } from '../core/admin/feed.js';
import type { GatewayEvent } from '../core/events.js';
import { DashboardModel, type DashboardModelOptions } from './dashboard-model.js';
import type { DashboardSnapshot } from './snapshot.js';

export type { EventSource } from '../core/log/logger.js';
export type * from './snapshot.js';
export { DashboardModel } from './dashboard-model.js';

export interface DashboardStoreOptions extends DashboardModelOptions {
  /** Minimum time between two notifications. Default 100 ms (at most 10 frames/s). */
  throttleMs?: number;
  /**
   * Under load, publish less often: when at least `events` arrived since the last publish, the next
   * one waits `throttleMs` instead. A frame costs the gateway's process a fixed amount, so this is
   * what keeps the dashboard's share of CPU per call small at high call rates. Off unless given.
   */
  busy?: { events: number; throttleMs: number };
  /** How often the plan list is re-read from the admin API (besides after each approval event). Default 10 s. */
  approvalsPollMs?: number;
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
  private model: DashboardModel;
  private readonly options: DashboardStoreOptions;
  private readonly feed: DashboardFeed;
  private readonly cleanups: Array<() => void> = [];
  private plansTimer?: ReturnType<typeof setTimeout>;
  private plansPoll?: ReturnType<typeof setInterval>;
  private plansLoading = false;
  private pinsTimer?: ReturnType<typeof setTimeout>;
  private pinsLoading = false;
  private sincePublish = 0;
  /** A reload was asked for while one was in flight: its answer may predate what was asked about. */
  private plansAgain = false;
  private readonly throttleMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeSource: () => void;
  private snapshot: DashboardSnapshot;
  private dirty = false;
  private lastPublish = Number.NEGATIVE_INFINITY;
  private timer?: ReturnType<typeof setTimeout>;
  /** After a busy publish, re-publishes once the stream goes quiet, so the clock resumes its pace. */
  private calmTimer?: ReturnType<typeof setTimeout>;
  private disposed = false;

  constructor(source: EventSource | DashboardFeed, options: DashboardStoreOptions = {}) {
    this.options = options;
    this.feed = source;
    this.model = new DashboardModel(options);
    this.throttleMs = Math.max(0, options.throttleMs ?? 100);
    this.now = options.now ?? (() => Date.now());
    const link = this.feed.link;
    if (link) {
      this.model.setLink(link.get());
      this.cleanups.push(link.subscribe(() => this.changed(() => this.model.setLink(link.get()))));
    }
    // The gateway restarted under an attached dashboard: start over from its backfill.
    if (this.feed.onReset) this.cleanups.push(this.feed.onReset(() => this.changed(() => this.reset())));
    this.snapshot = this.model.snapshot();
    this.unsubscribeSource = source.onAny((e) => this.receive(e));
    if (this.feed.approvals) {
      this.loadPlans();
      this.plansPoll = setInterval(() => this.loadPlans(), Math.max(50, options.approvalsPollMs ?? 10_000));
      this.plansPoll.unref?.();
    }
    this.loadPins();
  }

  /** Re-reads the held tools now (after an accept, so the catalog view does not wait for the event). */
  refreshPins(): void {
    this.loadPins();
  }

  /** Held tools (tool pinning) with their diffs: read at start and after each pin event, never per call. */
  private loadPins(): void {
    const port = this.feed.pins;
    if (!port || this.disposed || this.pinsLoading) return;
    this.pinsLoading = true;
    port
      .list()
      .then((pins) => {
        if (!this.disposed) this.changed(() => this.model.setPins(pins));
      })
      .catch(() => undefined) // not listening yet, or the link is down: the next pin event asks again
      .finally(() => {
        this.pinsLoading = false;
      });
  }

  /** Re-reads the plan list now (after a decision, so the view does not wait for the event). */
  refreshPlans(): void {
    this.loadPlans();
  }

  private reset(): void {
    const link = this.model.snapshot().link;
    this.model = new DashboardModel({ ...this.options, backends: undefined });
    this.model.setLink(link);
    this.loadPlans();
    this.loadPins();
  }

  private loadPlans(): void {
    const port = this.feed.approvals;
    if (!port || this.disposed) return;
    if (this.plansLoading) {
      this.plansAgain = true;
      return;
    }
    this.plansLoading = true;
    const asked = this.now();
    port
      .list()
      .then((plans) => {
        if (!this.disposed) this.changed(() => this.model.setPlans(plans, asked));
      })
      .catch(() => undefined) // the link state (attached) or the next poll says what is wrong
      .finally(() => {
        this.plansLoading = false;
        if (this.plansAgain) {
          this.plansAgain = false;
          this.loadPlans();
        }
      });
  }

  /** Applies a change that is not an event and schedules a publish, like an event does. */
  private changed(apply: () => void): void {
    if (this.disposed) return;
    apply();
    this.dirty = true;
    this.schedule();
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
    for (const c of this.cleanups) c();
    if (this.plansTimer) clearTimeout(this.plansTimer);
    if (this.pinsTimer) clearTimeout(this.pinsTimer);
    if (this.plansPoll) clearInterval(this.plansPoll);
    if (this.timer) clearTimeout(this.timer);
    if (this.calmTimer) clearTimeout(this.calmTimer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private receive(e: GatewayEvent): void {
    if (this.disposed) return;
    this.model.apply(e);
    this.dirty = true;
    this.sincePublish++;
    if (e.type === 'approval.changed' && this.feed.approvals && !this.plansTimer) {
      // The event carries no arguments or requester; the admin API's answer fills them in.
      this.plansTimer = setTimeout(() => {
        this.plansTimer = undefined;
        this.loadPlans();
      }, 250);
      this.plansTimer.unref?.();
    }
    if ((e.type === 'catalog.pin_held' || e.type === 'catalog.pin_accepted' || e.type === 'gateway.listening') && this.feed.pins && !this.pinsTimer) {
      // The event names the fields that changed; the admin API's list carries the diff (and serve's
      // admin API answers only once the gateway listens).
      this.pinsTimer = setTimeout(() => {
        this.pinsTimer = undefined;
        this.loadPins();
      }, 250);
      this.pinsTimer.unref?.();
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const busy = this.options.busy;
    const window = busy && this.sincePublish >= busy.events ? Math.max(this.throttleMs, busy.throttleMs) : this.throttleMs;
    const wait = Math.max(0, this.lastPublish + window - this.now());
    this.timer = setTimeout(this.onTimer, wait);
    // The dashboard must never be the reason the process stays up.
    this.timer.unref?.();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (!this.dirty || this.disposed) return;
    // Still busy when the timer fires: stretch this window too.
    const busy = this.options.busy;
    if (busy && this.sincePublish >= busy.events) {
      const due = this.lastPublish + Math.max(this.throttleMs, busy.throttleMs) - this.now();
      if (due > 0) {
        this.timer = setTimeout(this.onTimer, due);
        this.timer.unref?.();
        return;
      }
    }
    this.publish();
  };

  private publish(): void {
    const busy = this.options.busy !== undefined && this.sincePublish >= this.options.busy.events;
    this.dirty = false;
    this.sincePublish = 0;
    this.snapshot = this.model.snapshot(busy);
    this.lastPublish = this.now();
    if (busy) this.calmLater();
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        // A rendering bug must not stop other listeners or the next publish.
      }
    }
  }

  /**
   * A busy snapshot tells the dashboard that publishes are the clock (it adds no ticks of its own).
   * When no event follows within the busy window, publish once more, no longer busy, so the clock
   * takes over again instead of the screen standing still.
   */
  private calmLater(): void {
    const busy = this.options.busy;
    if (!busy) return;
    if (this.calmTimer) clearTimeout(this.calmTimer);
    this.calmTimer = setTimeout(() => {
      this.calmTimer = undefined;
      if (this.disposed || this.dirty || this.timer || !this.snapshot.busy) return;
      this.publish();
    }, Math.max(this.throttleMs, busy.throttleMs));
    this.calmTimer.unref?.();
  }
}
