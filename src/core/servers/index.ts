import type { AdminServerStatus, AdminStatus } from '../admin/contract.js';
import { liveStatus } from '../admin/live.js';
import type { GatehouseConfig } from '../config/schema.js';
import { ExitCode, UserError } from '../errors.js';

/** One virtual server: its settings from gatehouse.yaml, and what the running gateway serves in it. */
export interface ServerSummary {
  name: string;
  description?: string;
  /** Configured backends; absent means every backend. */
  backends?: string[];
  /** Configured globs on exposed tool names; absent means every tool of those backends. */
  tools?: string[];
  path: string;
  /** Served at /mcp too (gateway.defaultServer). */
  default: boolean;
  /** Roles (gateway.roles) that name this server. */
  roles: string[];
  /** From the running gateway, when one answers. */
  live?: { tools: string[]; prompts: number; resources: number; url?: string };
}

export interface ServersReport {
  servers: ServerSummary[];
  /** Why there is no live part (no gateway running, several running, an older gateway). */
  liveError?: string;
}

/** The servers of a configuration, joined with a running gateway's status when there is one. */
export function describeServers(config: GatehouseConfig, status?: AdminStatus): ServerSummary[] {
  const gw = config.gateway ?? {};
  const live = new Map<string, AdminServerStatus>((status?.servers ?? []).map((s) => [s.name, s]));
  const origin = status?.url ? status.url.replace(/\/mcp$/, '') : undefined;
  return Object.entries(gw.servers ?? {}).map(([name, s]) => {
    const l = live.get(name);
    const roles = Object.entries(gw.roles ?? {})
      .filter(([, r]) => r.servers?.includes(name))
      .map(([role]) => role);
    return {
      name,
      ...(s.description ? { description: s.description } : {}),
      ...(s.backends ? { backends: [...s.backends] } : {}),
      ...(s.tools ? { tools: [...s.tools] } : {}),
      path: `/servers/${name}/mcp`,
      default: gw.defaultServer === name,
      roles,
      ...(l ? { live: { tools: l.tools, prompts: l.prompts, resources: l.resources, ...(origin ? { url: `${origin}${l.path}` } : {}) } } : {}),
    };
  });
}

export async function serversReport(config: GatehouseConfig, dir: string, url?: string): Promise<ServersReport> {
  const { status, error } = await liveStatus(dir, url);
  return { servers: describeServers(config, status), ...(error ? { liveError: error } : {}) };
}

export function findServer(report: ServersReport, name: string): ServerSummary {
  const s = report.servers.find((x) => x.name === name);
  if (s) return s;
  const known = report.servers.map((x) => x.name);
  throw new UserError(`No virtual server named "${name}".`, {
    code: 'server_unknown',
    exit: ExitCode.usage,
    hint: known.length ? `Servers: ${known.join(', ')}.` : 'None is defined; add one under gateway.servers in gatehouse.yaml: servers: {dev: {backends: [github], tools: ["github_get*"]}}.',
    details: { server: name, known },
  });
}

/** The client URL of a virtual server: the gateway's /mcp URL with /servers/NAME/mcp in its place. */
export function serverUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = u.pathname.replace(/\/(?:servers\/[^/]+\/)?mcp\/?$/, '') + `/servers/${name}/mcp`;
  return u.toString();
}
