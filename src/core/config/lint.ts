import type { GatehouseConfig } from './schema.js';

export interface ConfigWarning {
  path: string[];
  message: string;
}

/**
 * Problems that do not make a config invalid but are probably not meant: they are printed by
 * `config validate` and never block a write.
 */
export function lintConfig(config: GatehouseConfig): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (config.gateway?.prefixMode !== 'never') {
    const byPrefix = new Map<string, string[]>();
    for (const [name, b] of Object.entries(config.backends ?? {})) {
      if (b.disabled) continue;
      const p = (b.prefix ?? name).toLowerCase();
      byPrefix.set(p, [...(byPrefix.get(p) ?? []), name]);
    }
    for (const [prefix, names] of byPrefix) {
      if (names.length < 2 || !prefix) continue;
      warnings.push({
        path: ['backends', names[1]!, 'prefix'],
        message: `backends ${names.join(', ')} share the tool prefix "${prefix}"; same-named tools will collide (resolved by the naming policy, with a warning). Give each its own prefix.`,
      });
    }
  }
  warnings.push(...lintCluster(config));
  return warnings;
}

/** Rate-limit sharing (docs/rate-limits.md): a password written into the file, a setting with no effect. */
function lintCluster(config: GatehouseConfig): ConfigWarning[] {
  const cluster = config.gateway?.cluster;
  const out: ConfigWarning[] = [];
  if (cluster?.redis && /^rediss?:\/\/[^/@]*:[^/@]+@/.test(cluster.redis)) {
    out.push({ path: ['gateway', 'cluster', 'redis'], message: 'the Redis URL carries a password in the config file; store it with `gatehouse secrets set` and write secret:NAME (or env:VAR) instead.' });
  }
  if (cluster?.redis && !cluster.secret) {
    out.push({ path: ['gateway', 'cluster'], message: 'gateway.cluster.redis without gateway.cluster.secret: 2025 sessions stay on the replica that opened them (a load balancer needs affinity). Set secret to a reference (secret:NAME, env:VAR or file:PATH) shared by every replica.' });
  }
  if (cluster?.advertise && !cluster.redis) {
    out.push({ path: ['gateway', 'cluster', 'advertise'], message: 'advertise has no effect without gateway.cluster.redis (replicas find each other through Redis).' });
  }
  if (cluster?.redisFailure && !cluster.redis) {
    out.push({ path: ['gateway', 'cluster', 'redisFailure'], message: 'redisFailure has no effect without gateway.cluster.redis; limits are kept in this process.' });
  }
  return out;
}
