import type { RelaySinks } from './types.js';

type Progress = { progress: number; total?: number; message?: string };
type Notification = { method: string; params?: Record<string, unknown> };

/**
 * Sends what a backend emits for one call back to its client, in the backend's order. Relays are
 * chained so nothing the backend sent before its response arrives after it.
 */
export class Relay {
  private chain: Promise<unknown> = Promise.resolve();
  private relayed = false;
  /** Set only when the client asked for progress (it sent a progress token). */
  readonly progress: ((p: Progress) => Promise<unknown>) | undefined;
  readonly notification: (n: Notification) => Promise<unknown>;

  constructor(sinks: RelaySinks, progressToken: string | number | undefined) {
    this.progress =
      progressToken === undefined ? undefined : (p) => this.push(() => sinks.notify({ method: 'notifications/progress', params: { progressToken, ...p } }));
    this.notification = (n) =>
      this.push(() => (n.method === 'notifications/message' ? sinks.log(n.params as { level: string; data: unknown; logger?: string }) : sinks.notify(n)));
  }

  private push(send: () => Promise<unknown>): Promise<unknown> {
    this.relayed = true;
    this.chain = this.chain.then(send).catch(() => undefined);
    return this.chain;
  }

  /**
   * Waits for everything relayed so far. Clients (SDK v1 and v2 alike) drop a progress notification
   * that arrives in the same read as the response; after relaying anything, let the socket flush
   * before the result goes out.
   */
  async drain(): Promise<void> {
    await this.chain;
    if (this.relayed) await new Promise((r) => setImmediate(r));
  }
}
