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
  return warnings;
}
