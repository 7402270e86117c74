// Starts an in-process Gateway on 127.0.0.1 with a free port; the caller must stop() it.
import { Gateway, type GatewayOptions } from '../../src/server/gateway.js';
import type { GatehouseConfig } from '../../src/core/config/schema.js';
import type { GatewayEvent } from '../../src/core/events.js';

export interface TestGateway {
  gateway: Gateway;
  url: string;
  events: GatewayEvent[];
  /** Resolves when every backend has left `starting`. */
  ready(timeoutMs?: number): Promise<void>;
  waitFor(pred: (e: GatewayEvent) => boolean, timeoutMs?: number): Promise<GatewayEvent>;
  stop(): Promise<void>;
}

export async function startGateway(config: Partial<GatehouseConfig> & { backends: GatehouseConfig['backends'] }, opts: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const gateway = new Gateway({
    config: { version: 1, ...config },
    host: '127.0.0.1',
    port: 0,
    backoff: { initialMs: 200, maxMs: 1_000, resetAfterMs: 60_000 },
    ...opts,
  });
  const events: GatewayEvent[] = [];
  const waiters = new Set<{ pred: (e: GatewayEvent) => boolean; resolve: (e: GatewayEvent) => void }>();
  gateway.bus.onAny((e) => {
    events.push(e);
    for (const w of waiters) if (w.pred(e)) {
      waiters.delete(w);
      w.resolve(e);
    }
  });
  await gateway.start();
  const waitFor = (pred: (e: GatewayEvent) => boolean, timeoutMs = 15_000) => {
    const seen = events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<GatewayEvent>((resolve, reject) => {
      const w = { pred, resolve: (e: GatewayEvent) => (clearTimeout(t), resolve(e)) };
      const t = setTimeout(() => {
        waiters.delete(w);
        reject(new Error(`event not seen within ${timeoutMs} ms; saw: ${events.map((e) => e.type).join(', ')}`));
      }, timeoutMs);
      waiters.add(w);
    });
  };
  return {
    gateway,
    url: gateway.url!,
    events,
    waitFor,
    async ready(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (gateway.upstreams.some((u) => u.state === 'starting' || u.state === 'stopped')) {
        if (Date.now() > deadline) throw new Error('backends did not settle');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: () => gateway.stop('test', 2_000),
  };
}
