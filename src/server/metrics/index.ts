import type { EventBus } from '../../core/events.js';
import type { Approvals } from '../approvals/service.js';
import type { Catalog } from '../catalog.js';
import type { SessionRegistry } from '../sessions.js';
import type { Upstream } from '../upstream/types.js';
import { GatewayMetrics } from './metrics.js';

export { GatewayMetrics, type Scrape } from './metrics.js';

/** The gateway's metrics, reading the parts they count (nothing is loaded until `configure` turns them on). */
export function gatewayMetrics(g: { bus: EventBus; sessions: SessionRegistry; upstreams: () => Upstream[]; catalog: Catalog; approvals?: Approvals }): GatewayMetrics {
  return new GatewayMetrics({
    bus: g.bus,
    sources: {
      sessions: () => g.sessions.sessions(),
      upstreams: () => g.upstreams(),
      catalog: () => ({ tools: g.catalog.tools.length, resources: g.catalog.resources.length, resourceTemplates: g.catalog.resourceTemplates.length, prompts: g.catalog.prompts.length }),
      ...(g.approvals ? { plans: () => g.approvals!.stateCounts() } : {}),
    },
    isBackend: (name) => g.upstreams().some((u) => u.name === name),
    // An exposed name, or a backend's own name for one of its tools (a limit may name either).
    isTool: (name) => g.catalog.resolveTool(name) !== undefined || g.upstreams().some((u) => u.catalog().tools.some((t) => t.name === name)),
  });
}
