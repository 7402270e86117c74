/**
 * Joins a gateway to its cluster when `gateway.cluster.redis` is set (issue 12): a replica id, a
 * heartbeat carrying the address it advertises, reloads relayed to every replica, and (with
 * `gateway.cluster.secret`) 2025 sessions any replica can serve. Without it the gateway never
 * imports this file's dependencies (ioredis), so one process stays as it was.
 */
import { hostname, networkInterfaces } from 'node:os';
import { UserError } from '../../core/errors.js';
import type { GatehouseConfig } from '../../core/config/schema.js';
import type { EventBus } from '../../core/events.js';
import { resolveValue, type SecretStore } from '../../core/secrets/resolve.js';
import type { ClusterInbound } from '../inbound/context.js';
import type { ClientTokenVerifier } from '../../core/auth/client-tokens.js';
import type { AliasTable } from '../aliases.js';
import type { HeldSeal } from '../era/held-call.js';
import type { ClusterBus } from './bus.js';

export interface ClusterAttachment {
  bus: ClusterBus;
  /** Sealed, forwarded and taken-over 2025 sessions; undefined without gateway.cluster.secret. */
  sessions?: ClusterInbound;
  close(): Promise<void>;
}

export interface AttachDeps {
  config: GatehouseConfig;
  secrets?: SecretStore;
  events: EventBus;
  /** This replica's /mcp URL (the default advertised address is its origin). */
  where?: string;
  /** Re-reads this replica's config file; undefined when the gateway serves none. */
  reload?: () => Promise<unknown>;
  /** Bearer mode's token checker (revocations go round). */
  tokens?: ClientTokenVerifier;
  /** The alias table being served (counts go round). */
  aliases?: () => AliasTable | undefined;
  /** Re-lists one backend when another replica saw it change. */
  refresh?: (backend: string) => Promise<unknown>;
  backends?: () => string[];
  /** Held calls' requestState gets sealed with the cluster key. */
  router?: { sealHeldCalls(seal: HeldSeal | undefined): void };
}

/**
 * gateway.cluster.advertise (resolved), or http://<host>:<port> of the listener. A wildcard bind
 * advertises this host's first non-loopback IPv4 address (in a pod, the pod IP), else its name.
 */
export async function advertisedAddress(config: GatehouseConfig, where: string | undefined, secrets?: SecretStore): Promise<string | undefined> {
  const set = config.gateway?.cluster?.advertise;
  if (set) {
    const url = (await resolveValue(set, { store: secrets })).trim().replace(/\/$/, '');
    if (!/^https?:\/\/[^\s/]+$/.test(url)) throw new UserError(`gateway.cluster.advertise (${set}) does not hold an http://host:port URL.`, { code: 'cluster_advertise', hint: 'Set it to the address other replicas reach this one at, e.g. http://10.42.0.17:7420, or an env: reference holding one (in Kubernetes: http://$(POD_IP):7420).' });
    return url;
  }
  if (!where) return undefined;
  const u = new URL(where);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') {
    const ipv4 = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    u.hostname = ipv4?.address ?? hostname();
  }
  return u.origin;
}

/** undefined (and nothing loaded) when the config names no cluster Redis. */
export async function attachCluster(deps: AttachDeps): Promise<ClusterAttachment | undefined> {
  const cluster = deps.config.gateway?.cluster;
  if (!cluster?.redis) return undefined;
  const url = await resolveValue(cluster.redis, { store: deps.secrets });
  const secret = cluster.secret ? await resolveValue(cluster.secret, { store: deps.secrets }) : undefined;
  const [{ openClusterBus }, { newReplica, sessionKey, heldCallKey }, { startBroadcasts }] = await Promise.all([import('./bus.js'), import('./replica.js'), import('./broadcasts.js')]);
  const bus = await openClusterBus(url, newReplica(await advertisedAddress(deps.config, deps.where, deps.secrets)));
  await bus.startHeartbeat();
  const offs: Array<() => void> = [];
  // A reload asked of one replica (admin API, SIGHUP) is asked of all; a file watch fires on each
  // replica by itself, and a reload a message caused is not sent on again.
  let relayed = 0;
  offs.push(
    deps.events.on('config.reloaded', (e) => {
      if (relayed > 0 || e.trigger === 'watch') return;
      void bus.publish('config.reloaded', { trigger: e.trigger }).catch(() => undefined);
    }),
  );
  offs.push(
    bus.onMessage((m) => {
      if (m.kind !== 'config.reloaded' || !deps.reload) return;
      relayed++;
      void deps
        .reload()
        .catch(() => undefined)
        .finally(() => relayed--);
    }),
  );
  offs.push(startBroadcasts({ bus, events: deps.events, tokens: deps.tokens, aliases: deps.aliases, refresh: deps.refresh, backends: deps.backends }));
  let sessions: ClusterInbound | undefined;
  if (secret) {
    const [{ ClusterSessions }, { heldSeal }] = await Promise.all([import('./sessions.js'), import('./held.js')]);
    const held = heldCallKey(secret);
    const cs = new ClusterSessions(bus, sessionKey(secret), deps.events, held);
    deps.router?.sealHeldCalls(heldSeal(held, bus.replica.id));
    offs.push(() => deps.router?.sealHeldCalls(undefined));
    // A session the client deleted, or that expired or was evicted, is gone for every replica; one
    // that ended because this replica stops stays stored, so another one can take it over.
    offs.push(deps.events.on('session.closed', (e) => cs.forget(e.sessionId, e.reason !== 'shutdown' && e.reason !== 'disconnected')));
    sessions = cs;
  }
  return {
    bus,
    ...(sessions ? { sessions } : {}),
    async close() {
      for (const off of offs) off();
      await bus.close();
    },
  };
}
