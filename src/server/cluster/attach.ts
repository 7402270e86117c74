/**
 * Joins a gateway to its cluster when `gateway.cluster.redis` is set (issue 12): a replica id, a
 * heartbeat, and reloads relayed to every replica. Without it the gateway never imports this
 * file's dependencies (ioredis), so one process stays as it was.
 */
import type { GatehouseConfig } from '../../core/config/schema.js';
import type { EventBus } from '../../core/events.js';
import { resolveValue, type SecretStore } from '../../core/secrets/resolve.js';
import type { ClusterBus } from './bus.js';

export interface ClusterAttachment {
  bus: ClusterBus;
  close(): Promise<void>;
}

export interface AttachDeps {
  config: GatehouseConfig;
  secrets?: SecretStore;
  events: EventBus;
  /** host:port of this replica, for logs. */
  where?: string;
  /** Re-reads this replica's config file; undefined when the gateway serves none. */
  reload?: () => Promise<unknown>;
}

/** undefined (and nothing loaded) when the config names no cluster Redis. */
export async function attachCluster(deps: AttachDeps): Promise<ClusterAttachment | undefined> {
  const ref = deps.config.gateway?.cluster?.redis;
  if (!ref) return undefined;
  const url = await resolveValue(ref, { store: deps.secrets });
  const [{ openClusterBus }, { newReplica }] = await Promise.all([import('./bus.js'), import('./replica.js')]);
  const bus = await openClusterBus(url, newReplica(deps.where));
  await bus.startHeartbeat();
  // A reload asked of one replica (admin API, SIGHUP) is asked of all; a file watch fires on each
  // replica by itself, and a reload a message caused is not sent on again.
  let relayed = 0;
  const offLocal = deps.events.on('config.reloaded', (e) => {
    if (relayed > 0 || e.trigger === 'watch') return;
    void bus.publish('config.reloaded', { trigger: e.trigger }).catch(() => undefined);
  });
  const offRemote = bus.onMessage((m) => {
    if (m.kind !== 'config.reloaded' || !deps.reload) return;
    relayed++;
    void deps
      .reload()
      .catch(() => undefined)
      .finally(() => relayed--);
  });
  return {
    bus,
    async close() {
      offLocal();
      offRemote();
      await bus.close();
    },
  };
}
