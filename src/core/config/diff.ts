import type { GatehouseConfig } from './schema.js';
import { deepEqual } from './yaml.js';

export type ImportMode = 'merge' | 'replace';

export interface ConfigChanges {
  backends: { added: string[]; removed: string[]; changed: string[]; unchanged: string[] };
  /** Gateway settings that differ, by key. */
  gateway: { added: string[]; removed: string[]; changed: string[] };
  /** True when nothing would change. */
  same: boolean;
}

/**
 * `merge` keeps what the file does not mention: a backend in the file replaces the one of the same
 * name as a whole (no field-by-field blending, so what you read in the file is what runs), and
 * gateway keys in the file override the stored ones. `replace` makes the store exactly the file.
 */
export function applyImport(current: GatehouseConfig, incoming: GatehouseConfig, mode: ImportMode): GatehouseConfig {
  if (mode === 'replace') return structuredClone(incoming);
  const next: GatehouseConfig = structuredClone(current);
  next.version = incoming.version;
  if (incoming.gateway) next.gateway = { ...(current.gateway ?? {}), ...structuredClone(incoming.gateway) };
  next.backends = { ...current.backends, ...structuredClone(incoming.backends) };
  return next;
}

export function diffConfigs(before: GatehouseConfig, after: GatehouseConfig): ConfigChanges {
  const b = before.backends ?? {};
  const a = after.backends ?? {};
  const backends = { added: [] as string[], removed: [] as string[], changed: [] as string[], unchanged: [] as string[] };
  for (const name of Object.keys(a)) {
    if (!(name in b)) backends.added.push(name);
    else if (deepEqual(a[name], b[name])) backends.unchanged.push(name);
    else backends.changed.push(name);
  }
  for (const name of Object.keys(b)) if (!(name in a)) backends.removed.push(name);

  const gb = (before.gateway ?? {}) as Record<string, unknown>;
  const ga = (after.gateway ?? {}) as Record<string, unknown>;
  const gateway = { added: [] as string[], removed: [] as string[], changed: [] as string[] };
  for (const k of Object.keys(ga)) {
    if (ga[k] === undefined) continue;
    if (gb[k] === undefined) gateway.added.push(k);
    else if (!deepEqual(ga[k], gb[k])) gateway.changed.push(k);
  }
  for (const k of Object.keys(gb)) if (gb[k] !== undefined && ga[k] === undefined) gateway.removed.push(k);

  const same =
    !backends.added.length && !backends.removed.length && !backends.changed.length && !gateway.added.length && !gateway.removed.length && !gateway.changed.length && before.version === after.version;
  return { backends, gateway, same };
}

/** Human lines for a change set: `+ added`, `- removed`, `~ changed`. */
export function describeChanges(changes: ConfigChanges): string[] {
  const lines: string[] = [];
  for (const n of changes.backends.added) lines.push(`+ backend ${n}`);
  for (const n of changes.backends.changed) lines.push(`~ backend ${n}`);
  for (const n of changes.backends.removed) lines.push(`- backend ${n}`);
  for (const k of changes.gateway.added) lines.push(`+ gateway.${k}`);
  for (const k of changes.gateway.changed) lines.push(`~ gateway.${k}`);
  for (const k of changes.gateway.removed) lines.push(`- gateway.${k}`);
  return lines;
}
