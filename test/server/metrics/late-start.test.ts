// Metrics come up after the backends have started (prom-client loads while children boot): a
// backend that had already failed by then still counts its supervised restart. Real prom-client and
// a real event bus; the backend list is plain data, since only its names and states are read.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.js';
import type { BackendState } from '../../../src/core/events.js';
import { GatewayMetrics } from '../../../src/server/metrics/metrics.js';

describe('metrics that start after the backends', () => {
  it('counts the restart of a backend that failed before metrics came up', async () => {
    const bus = new EventBus();
    const upstreams: Array<{ name: string; state: BackendState }> = [
      { name: 'early-fail', state: 'failed' },
      { name: 'fine', state: 'ready' },
    ];
    const metrics = new GatewayMetrics({
      bus,
      sources: { sessions: () => [], upstreams: () => upstreams, catalog: () => ({ tools: 0, resources: 0, resourceTemplates: 0, prompts: 0 }) },
      isBackend: (name) => upstreams.some((u) => u.name === name),
      isTool: () => false,
    });
    await metrics.configure({ enabled: true });
    try {
      bus.emit('backend.state', { backend: 'early-fail', state: 'starting' });
      bus.emit('backend.state', { backend: 'fine', state: 'starting' });
      const text = (await metrics.scrape())!.body;
      expect(text).toMatch(/^gatehouse_backend_restarts_total\{backend="early-fail",reason="failure"\} 1$/m);
      // A backend that was up is not restarting after a failure.
      expect(text).not.toMatch(/^gatehouse_backend_restarts_total\{backend="fine",reason="failure"\}/m);
    } finally {
      await metrics.close();
    }
  });
});
