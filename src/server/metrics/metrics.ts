import type { EventBus } from '../../core/events.js';
import type { MetricsConfig } from '../../core/config/schema.js';
import { defineMetrics, type MetricSet, type MetricSources } from './definitions.js';
import { MetricsListener, parseListen } from './listener.js';
import { CallMetrics } from './step.js';
import { subscribeMetrics } from './subscriber.js';

export interface GatewayMetricsOptions {
  bus: EventBus;
  sources: MetricSources;
  isBackend(name: string): boolean;
  isTool(name: string): boolean;
}

/** One scrape: the body in Prometheus text format and its content type. */
export interface Scrape {
  contentType: string;
  body: string;
}

/**
 * The gateway's metrics: on by default, prom-client loaded only when on. `configure` applies
 * `gateway.metrics` at start and on every reload (on/off, and the separate listener, live).
 */
export class GatewayMetrics {
  readonly calls = new CallMetrics();
  private set?: MetricSet;
  /** Defined once: turning metrics off and on again continues the same counters. */
  private defined?: MetricSet;
  private unsubscribe?: () => void;
  private listener?: MetricsListener;
  private listenOn?: string;

  constructor(private readonly opts: GatewayMetricsOptions) {}

  get enabled(): boolean {
    return this.set !== undefined;
  }

  /** The separate listener's URL (`http://host:port/metrics`), when one is bound. */
  get listenUrl(): string | undefined {
    return this.listener?.url;
  }

  /**
   * Turns metrics on or off and binds, moves or closes the separate listener. A listener that cannot
   * bind fails the call and leaves the previous one serving.
   */
  async configure(config: MetricsConfig | undefined): Promise<void> {
    const on = config?.enabled ?? true;
    const listen = on ? config?.listen : undefined;
    if (listen !== this.listenOn) {
      const scrape = () => this.scrape();
      const before = this.listenOn;
      // The same port on another address cannot be bound while the old listener holds it: close first,
      // and put the old one back if the new address fails.
      const samePort = listen !== undefined && before !== undefined && parseListen(listen).port === parseListen(before).port;
      if (samePort) {
        await this.listener?.close();
        this.listener = undefined;
      }
      let next: MetricsListener | undefined;
      try {
        next = listen ? await MetricsListener.open(listen, scrape) : undefined;
      } catch (e) {
        if (samePort) this.listener = await MetricsListener.open(before, scrape).catch(() => undefined);
        if (samePort && !this.listener) this.listenOn = undefined;
        throw e;
      }
      await this.listener?.close();
      this.listener = next;
      this.listenOn = listen;
    }
    if (on && !this.set) {
      this.defined ??= defineMetrics(await import('prom-client'), this.opts.sources);
      this.set = this.defined;
      this.calls.use(this.set);
      this.unsubscribe = subscribeMetrics(this.set, {
        bus: this.opts.bus,
        calls: this.calls,
        isBackend: this.opts.isBackend,
        isTool: this.opts.isTool,
        states: () => this.opts.sources.upstreams().map((u) => [u.name, u.state] as [string, typeof u.state]),
      });
    } else if (!on && this.set) {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      this.calls.use(undefined);
      this.set = undefined;
    }
  }

  /** Undefined when metrics are off (the route answers 404). */
  async scrape(): Promise<Scrape | undefined> {
    const set = this.set;
    if (!set) return undefined;
    return { contentType: set.registry.contentType, body: await set.registry.metrics() };
  }

  async close(): Promise<void> {
    await this.configure({ enabled: false });
  }
}
