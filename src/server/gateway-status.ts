import type { AdminRefreshResult, AdminStatus, AdminToolPolicy, ConfigHealth } from '../core/admin/contract.js';
import { redactString } from '../core/log/redact.js';
import type { CallTally } from './call-tally.js';
import type { Catalog } from './catalog.js';
import type { AccessPolicy } from '../core/policy/access.js';
import { serverStatus } from './server-status.js';
import { toolPolicy } from './tool-policy.js';
import type { SessionRegistry } from './sessions.js';
import type { Upstream } from './upstream/types.js';

/** What the readiness, status and refresh answers read of a running gateway. */
export interface GatewayView {
  /** Virtual servers and roles being served. */
  access?: AccessPolicy;
  upstreams: readonly Upstream[];
  catalog: Catalog;
  sessions: SessionRegistry;
  /** Backends that have left `starting` at least once. */
  tried: ReadonlySet<string>;
  url?: string;
  startedAt: number;
  inFlight: number;
  config: ConfigHealth;
  /** Each listed tool's approval policy (the approvals service knows it). */
  policy?: (u: Upstream) => AdminToolPolicy[];
  /** Call counts and the default call timeout, for status and per-tool policy (issue 13). */
  calls?: CallTally;
  defaultTimeoutMs?: number;
}

/**
 * Unauthenticated, so it says only state and a short reason: never stderr tails or detail (those
 * are in the admin API's /admin/status), and always redacted.
 */
export function readiness(g: GatewayView): { ready: boolean; backends: Record<string, unknown>; config: ConfigHealth } {
  const backends: Record<string, unknown> = {};
  let ready = true;
  for (const u of g.upstreams) {
    // Tried once is enough: a failed backend retrying with backoff must not flap readiness.
    const tried = g.tried.has(u.name) || (u.state !== 'starting' && u.state !== 'stopped');
    if (!tried) ready = false;
    const reason = shortReason(u.summary ?? u.lastError);
    const warnings = u.warnings?.map((w) => redactString(w.message));
    backends[u.name] = { state: u.state, ...(reason ? { reason } : {}), tools: u.catalog().tools.length, ...(warnings?.length ? { warnings } : {}) };
  }
  return { ready, backends, config: g.config };
}

export function status(g: GatewayView): AdminStatus {
  return {
    url: g.url,
    pid: process.pid,
    startedAt: new Date(g.startedAt).toISOString(),
    inFlight: g.inFlight,
    sessions: g.sessions.size,
    sessionList: g.sessions.list(),
    exposedTools: g.catalog.toolEntries().map((t) => {
      const u = g.upstreams.find((x) => x.name === t.backend);
      return u && g.defaultTimeoutMs !== undefined ? { ...t, policy: toolPolicy(u, t.original, g.defaultTimeoutMs) } : t;
    }),
    catalog: {
      tools: g.catalog.tools.length,
      resources: g.catalog.resources.length,
      resourceTemplates: g.catalog.resourceTemplates.length,
      prompts: g.catalog.prompts.length,
    },
    backends: g.upstreams.map((u) => ({
      name: u.name,
      type: u.config.type,
      state: u.state,
      reason: u.lastError,
      tools: u.catalog().tools.length,
      toolNames: u.catalog().tools.map((t) => t.name),
      resources: u.catalog().resources.length,
      prompts: u.catalog().prompts.length,
      serverName: u.info.serverName,
      serverVersion: u.info.serverVersion,
      protocolVersion: u.info.protocolVersion,
      era: u.info.era,
      ...(g.policy ? { policy: g.policy(u) } : {}),
      ...(g.catalog.filtered(u.name).length ? { filtered: g.catalog.filtered(u.name) } : {}),
    })),
    config: g.config,
    ...(g.access ? { servers: serverStatus(g.access, g.catalog) } : {}),
    ...(g.calls ? { calls: g.calls.snapshot() } : {}),
  };
}

/** Re-lists one backend or all now; returns what changed. */
export async function refresh(g: GatewayView, backend?: string): Promise<AdminRefreshResult> {
  const targets = backend ? g.upstreams.filter((u) => u.name === backend) : g.upstreams;
  if (backend && targets.length === 0) throw new Error(`No backend named "${backend}" in the running gateway.`);
  const before = new Map(g.catalog.tools.map((t) => [t.name, JSON.stringify(t)]));
  await Promise.all(targets.map((u) => u.refresh()));
  await new Promise((r) => setTimeout(r, 0));
  const after = new Map(g.catalog.tools.map((t) => [t.name, JSON.stringify(t)]));
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed = [...after.keys()].filter((k) => before.has(k) && before.get(k) !== after.get(k));
  return { refreshed: targets.map((u) => ({ name: u.name, state: u.state, reason: u.lastError, tools: u.catalog().tools.length })), tools: { added, removed, changed } };
}

/** The first sentence, cut: readiness is for probes and load balancers, not for diagnosis. */
export function shortReason(reason: string | undefined): string | undefined {
  if (!reason) return undefined;
  const cut = reason.split(/; stderr:| The process wrote to stderr:/)[0]!;
  const first = /^(.*?[.!?])(\s|$)/.exec(cut)?.[1] ?? cut;
  return redactString(first.length > 160 ? `${first.slice(0, 157)}…` : first);
}
