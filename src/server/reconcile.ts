import { isDeepStrictEqual } from 'node:util';
import type { ReloadSummary } from '../core/admin/contract.js';
import { FILTER_FIELDS, type BackendConfig, type GatehouseConfig, type GatewayConfig } from '../core/config/schema.js';
import { fileRefsChanged } from '../core/secrets/file-ref.js';
import type { Upstream } from './upstream/types.js';

/** Gateway settings the running gateway applies without a restart. */
export const LIVE_SETTINGS = ['prefixMode', 'separator', 'aliases', 'callTimeout', 'refreshInterval', 'sessions', 'rateLimits', 'cluster', 'pin', 'tracing', 'approvals', 'servers', 'defaultServer', 'roles', 'metrics', 'admin'] as const;
/** Backend fields the gateway reads per call or applies to the catalog (filters, pins), not when it builds the upstream: a change is applied without a restart. */
export const LIVE_BACKEND_FIELDS = ['rateLimit', 'toolRateLimits', 'pin', ...FILTER_FIELDS] as const;
/**
 * Settings fixed when the gateway starts: the listener (host, port), the Host/Origin checks built
 * with it, and the inbound auth hook, which serve builds once from `gateway.auth` (bearer tokens
 * themselves are re-read by the verifier whenever the token file changes, so they need no reload).
 * `log` (the log file) is opened by `serve` once, before the gateway starts.
 */
export const RESTART_SETTINGS = ['host', 'port', 'allowedHosts', 'allowedOrigins', 'auth', 'inbound', 'log'] as const;

type LiveSetting = (typeof LIVE_SETTINGS)[number];

/** What a reload must do: which backends to start, stop and restart, and which settings changed. */
export interface ReconcilePlan {
  start: Array<[string, BackendConfig]>;
  stop: string[];
  restart: Array<[string, BackendConfig]>;
  unchanged: string[];
  /** Live settings whose value changed. */
  live: LiveSetting[];
  /** Dotted names (gateway.port) of changed settings that need a restart. */
  restartNeeded: string[];
  /** Dotted names (backends.gh.rateLimit) of changed live backend fields on backends left running. */
  liveBackend: string[];
}

/**
 * Gateway settings a backend's upstream is built with, beyond its own block: a change to one of
 * these restarts the backends that depend on it. `allowedNetworks` is checked by REST upstreams
 * when they are created.
 */
function builtWith(gw: GatewayConfig | undefined, bc: BackendConfig): unknown {
  return bc.type === 'rest' ? { allowedNetworks: gw?.allowedNetworks } : {};
}

/**
 * Diffs two validated configs. Backends are compared by their whole block (a disabled flag, a new
 * arg, a header: anything the upstream was built from), so "unchanged" means the running upstream
 * is exactly what the new file describes and is left alone. A backend whose `file:` references now
 * hold other values (a rotated Kubernetes Secret) restarts too, so a reload re-reads them.
 */
export function planReconcile(current: GatehouseConfig, next: GatehouseConfig): ReconcilePlan {
  const plan: ReconcilePlan = { start: [], stop: [], restart: [], unchanged: [], live: [], restartNeeded: [], liveBackend: [] };
  const cur = current.backends;
  for (const [name, bc] of Object.entries(next.backends)) {
    const was = cur[name];
    if (!was) plan.start.push([name, bc]);
    else if (!isDeepStrictEqual(withoutLive(was), withoutLive(bc)) || !isDeepStrictEqual(builtWith(current.gateway, was), builtWith(next.gateway, bc)) || fileRefsChanged(bc)) plan.restart.push([name, bc]);
    else {
      plan.unchanged.push(name);
      for (const k of LIVE_BACKEND_FIELDS) if (!isDeepStrictEqual(was[k], bc[k])) plan.liveBackend.push(`backends.${name}.${k}`);
    }
  }
  for (const name of Object.keys(cur)) if (!(name in next.backends)) plan.stop.push(name);
  const a = current.gateway ?? {};
  const b = next.gateway ?? {};
  for (const k of LIVE_SETTINGS) if (!isDeepStrictEqual(a[k], b[k])) plan.live.push(k);
  for (const k of RESTART_SETTINGS) if (!isDeepStrictEqual(a[k], b[k])) plan.restartNeeded.push(`gateway.${k}`);
  // Approval settings apply live (ttl, self-approval, the page), except where plans are stored.
  if (a.approvals?.store !== b.approvals?.store) plan.restartNeeded.push('gateway.approvals.store');
  return plan;
}

/** A backend block without the fields read per call (rate limits). */
function withoutLive(bc: BackendConfig): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...bc };
  for (const k of LIVE_BACKEND_FIELDS) delete copy[k];
  return copy;
}

export function summarize(plan: ReconcilePlan): ReloadSummary {
  return {
    added: plan.start.map(([n]) => n),
    removed: [...plan.stop],
    restarted: plan.restart.map(([n]) => n),
    unchanged: [...plan.unchanged],
    settings: [...plan.live.map((k) => `gateway.${k}`), ...plan.liveBackend],
    restartNeeded: [...plan.restartNeeded],
  };
}

export function isEmptyPlan(plan: ReconcilePlan): boolean {
  return !plan.start.length && !plan.stop.length && !plan.restart.length && !plan.live.length && !plan.restartNeeded.length && !plan.liveBackend.length;
}

/** The parts of the gateway a plan is carried out on. */
export interface ReconcileTarget {
  /** The gateway's live list, changed in place (the catalog and router read it). */
  upstreams: Upstream[];
  create: (name: string, config: BackendConfig) => Upstream | undefined;
  /** Adds to `upstreams` and wires the upstream's events to the gateway. */
  attach: (u: Upstream) => void;
  /** A removed backend's readiness record. */
  forget: (name: string) => void;
  rebuild: () => void;
  drainMs: number;
  /** Backend names in config order. */
  order: string[];
}

/**
 * Stops what leaves and creates what arrives; returns the new upstreams, not yet started. Leaving
 * upstreams are taken out of the list before they drain, so no new call routes to them while their
 * in-flight calls finish, and their tools leave the catalog at once.
 */
export async function applyBackendChanges(plan: ReconcilePlan, t: ReconcileTarget): Promise<Upstream[]> {
  const leaving = [...plan.stop, ...plan.restart.map(([n]) => n)].flatMap((name) => {
    const i = t.upstreams.findIndex((u) => u.name === name);
    return i < 0 ? [] : t.upstreams.splice(i, 1);
  });
  for (const name of plan.stop) t.forget(name);
  t.rebuild();
  await Promise.all(leaving.map((u) => u.stop({ drainMs: t.drainMs })));
  const arriving: Upstream[] = [];
  for (const [name, bc] of [...plan.restart, ...plan.start]) {
    const u = t.create(name, bc);
    if (!u) continue;
    t.attach(u);
    arriving.push(u);
  }
  // Config order, as at start: conditional naming resolves collisions by it.
  t.upstreams.sort((x, y) => t.order.indexOf(x.name) - t.order.indexOf(y.name));
  return arriving;
}
