import { join } from 'node:path';
import { listRunStates, type RunRecord } from '../config/run-state.js';
import type { BackendState } from '../events.js';
import type { ApprovalsListResponse } from './approvals.js';
import type { AdminCallTally, AdminStatus, ConfigHealth } from './contract.js';
import { checkAdminAnswer } from './guards.js';

/**
 * `gatehouse status`: every gateway recorded in the config dir (or the one at --url), asked over its
 * loopback admin API, folded into one verdict with an exit code a script can branch on.
 */
export type Health = 'healthy' | 'degraded' | 'down';

/** 0 healthy, 1 degraded (a backend not ready, or the config file on disk not applied), 3 down or none running. */
export const STATUS_EXIT: Record<Health, number> = { healthy: 0, degraded: 1, down: 3 };

export interface BackendLine {
  name: string;
  type: string;
  state: BackendState;
  reason?: string;
  tools: number;
}

export interface GatewayReport {
  url: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  health: Health;
  /** Why it is not healthy, one line each. */
  problems: string[];
  backends: BackendLine[];
  sessions?: number;
  inFlight?: number;
  tools?: number;
  calls?: AdminCallTally;
  /** Pending plans of guarded calls; undefined when the gateway did not say. */
  pendingApprovals?: Array<{ id: string; tool: string; requestedBy: string; expiresAt: string }>;
  config?: ConfigHealth;
}

export interface StatusReport {
  health: Health;
  exitCode: number;
  running: number;
  gateways: GatewayReport[];
  /** What to do when nothing runs. */
  hint?: string;
}

const ANSWER_TIMEOUT_MS = 5_000;

async function getJson(r: RunRecord, path: string): Promise<unknown> {
  const res = await fetch(`${r.adminUrl}${path}`, { headers: { authorization: `Bearer ${r.adminToken}` }, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${path} answered HTTP ${res.status}`);
  return res.json();
}

function normalise(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/(mcp|admin)$/, '');
}

/** Backend states that mean "serving its tools": disabled ones are off on purpose. */
const FINE: ReadonlySet<BackendState> = new Set(['ready', 'disabled']);

export function judge(s: Pick<AdminStatus, 'backends' | 'config'>): { health: Health; problems: string[] } {
  const problems: string[] = [];
  for (const b of s.backends) if (!FINE.has(b.state)) problems.push(`backend ${b.name} is ${b.state}${b.reason ? `: ${b.reason}` : ''}`);
  if (s.config && !s.config.ok) problems.push(`the config file on disk was not applied: ${s.config.error.message}`);
  return { health: problems.length ? 'degraded' : 'healthy', problems };
}

async function reportOne(r: RunRecord, now: number): Promise<GatewayReport> {
  const base = { url: r.url, pid: r.pid, startedAt: r.startedAt, uptimeSeconds: Math.max(0, Math.round((now - Date.parse(r.startedAt)) / 1000)) };
  let status: AdminStatus;
  try {
    const body = await getJson(r, '/status');
    if (!checkAdminAnswer('GET /status', body)) throw new Error('its /admin/status answer has a shape this CLI does not know');
    status = body;
  } catch (e) {
    const why = (e as Error).name === 'TimeoutError' ? `no answer within ${ANSWER_TIMEOUT_MS / 1000} s` : (e as Error).message;
    return { ...base, health: 'down', problems: [`its admin API does not answer (${why})`], backends: [] };
  }
  let pendingApprovals: GatewayReport['pendingApprovals'];
  try {
    const plans = (await getJson(r, '/approvals?state=pending')) as ApprovalsListResponse;
    if (Array.isArray(plans?.plans)) pendingApprovals = plans.plans.map((p) => ({ id: p.id, tool: p.exposedName, requestedBy: p.requestedBy.subject ?? p.requestedBy.client, expiresAt: p.expiresAt }));
  } catch {
    // An older gateway without approvals: the count is unknown, not zero.
  }
  const { health, problems } = judge(status);
  return {
    ...base,
    health,
    problems,
    backends: status.backends.map((b) => ({ name: b.name, type: b.type, state: b.state, ...(b.reason ? { reason: b.reason } : {}), tools: b.tools })),
    sessions: status.sessions,
    inFlight: status.inFlight,
    tools: status.catalog?.tools,
    ...(status.calls ? { calls: status.calls } : {}),
    ...(pendingApprovals ? { pendingApprovals } : {}),
    config: status.config,
  };
}

export async function statusReport(dir: string, opts: { url?: string; now?: number } = {}): Promise<StatusReport> {
  let records = await listRunStates(dir);
  if (opts.url) {
    const want = normalise(opts.url);
    records = records.filter((r) => normalise(r.url) === want || normalise(r.adminUrl) === want);
  }
  if (records.length === 0) {
    const where = opts.url ? `at ${opts.url}` : `with this config dir (${join(dir, 'run')})`;
    return {
      health: 'down',
      exitCode: STATUS_EXIT.down,
      running: 0,
      gateways: [],
      hint: `No gateway is running ${where}. Start one with \`gatehouse serve\`, or check it first with \`gatehouse doctor\`.`,
    };
  }
  const now = opts.now ?? Date.now();
  const gateways = await Promise.all(records.map((r) => reportOne(r, now)));
  const up = gateways.filter((g) => g.health !== 'down');
  const health: Health = up.length === 0 ? 'down' : gateways.every((g) => g.health === 'healthy') ? 'healthy' : 'degraded';
  return { health, exitCode: STATUS_EXIT[health], running: up.length, gateways };
}
