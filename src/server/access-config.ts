import type { GatehouseConfig } from '../core/config/schema.js';
import { AccessPolicy } from '../core/policy/access.js';
import { backendFilters, type BackendFilters } from '../core/policy/filter.js';

/** Each backend's compiled filters (only backends that have any). */
export function compileBackendFilters(config: GatehouseConfig): Map<string, BackendFilters> {
  const out = new Map<string, BackendFilters>();
  for (const [name, bc] of Object.entries(config.backends)) {
    const f = backendFilters(bc);
    if (f) out.set(name, f);
  }
  return out;
}

/** The virtual servers and roles of a configuration, compiled. */
export function accessPolicy(config: GatehouseConfig): AccessPolicy {
  const gw = config.gateway ?? {};
  return new AccessPolicy({ servers: gw.servers, defaultServer: gw.defaultServer, roles: gw.roles });
}

/** Settings whose change reshapes what some client sees, though the catalog stays the same. */
export const VIEW_SETTINGS = ['servers', 'defaultServer', 'roles'] as const;
