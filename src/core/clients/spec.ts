import { ExitCode, UserError } from '../errors.js';
import { configDir } from '../config/paths.js';
import { listRunStates } from '../config/run-state.js';
import { DEFAULTS } from '../config/schema.js';
import { serverUrl } from '../servers/index.js';
import type { ServerSpec } from './targets.js';

/** Where a client reaches Gatehouse when nothing says otherwise (serve's default host and port). */
export const DEFAULT_GATEWAY_URL = `http://${DEFAULTS.host}:${DEFAULTS.port}/mcp`;

/** How the client reaches the server, from the options `clients install` and `clients print` share. */
export interface ServerSpecOptions {
  url?: string;
  connect?: string;
  token?: string;
  bearerEnv?: string;
  /** A virtual server (gateway.servers): the URL becomes …/servers/NAME/mcp. */
  server?: string;
}

/** What `--server` is checked against: the configured servers and where the local gateway listens. */
export interface ServerSpecContext {
  servers: string[];
  /** http://host:port/mcp of the local gateway, used when --server comes without --url or --connect. */
  localUrl: string;
}

export interface ResolvedSpec {
  spec: ServerSpec;
  /** Where the URL came from when no flag gave it. */
  from: 'flag' | 'running' | 'default';
}

/**
 * `--connect` or `--url` when given (under /servers/NAME with `--server`); otherwise the endpoint of
 * the gateway running here, or serve's default endpoint when none runs. Several running gateways and
 * no flag is an error naming them.
 */
export async function serverSpecFrom(opts: ServerSpecOptions, client: string, ctx?: ServerSpecContext, dir: string = configDir()): Promise<ResolvedSpec> {
  const withUrl = (url: string, from: ResolvedSpec['from']): ResolvedSpec => ({ spec: { kind: 'url', url, ...(opts.bearerEnv ? { bearerEnv: opts.bearerEnv } : {}) }, from });
  if (opts.server !== undefined) {
    const known = ctx?.servers ?? [];
    if (!known.includes(opts.server)) {
      throw new UserError(`No virtual server named "${opts.server}" in gateway.servers.`, {
        code: 'server_unknown',
        exit: ExitCode.usage,
        hint: known.length ? `Servers: ${known.join(', ')} (see \`gatehouse servers list\`).` : 'Define one under gateway.servers in gatehouse.yaml first, e.g. servers: {dev: {backends: [github]}}.',
        details: { server: opts.server, known },
      });
    }
    const at = (u: string) => serverUrl(u, opts.server!);
    if (opts.connect) return { spec: { kind: 'connect', url: at(opts.connect), token: opts.token! }, from: 'flag' };
    return withUrl(at(opts.url ?? ctx!.localUrl), opts.url ? 'flag' : 'default');
  }
  if (opts.connect) return { spec: { kind: 'connect', url: opts.connect, token: opts.token! }, from: 'flag' };
  if (opts.url) return withUrl(opts.url, 'flag');
  const running = await listRunStates(dir).catch(() => []);
  if (running.length === 1) return withUrl(running[0]!.url, 'running');
  if (running.length > 1) {
    throw new UserError(`${running.length} gateways are running here; say which one ${client} should use.`, {
      code: 'several_gateways',
      exit: ExitCode.usage,
      hint: `Pass --url with one of: ${running.map((r) => r.url).join(', ')}.`,
      details: { urls: running.map((r) => r.url) },
    });
  }
  return withUrl(DEFAULT_GATEWAY_URL, 'default');
}

/** The servers and local gateway URL of a configuration, for --server. */
export function localServers(config: { gateway?: { servers?: Record<string, unknown>; host?: string; port?: number } }): ServerSpecContext {
  const gw = config.gateway ?? {};
  const host = gw.host && gw.host !== '0.0.0.0' && gw.host !== '::' ? gw.host : '127.0.0.1';
  return { servers: Object.keys(gw.servers ?? {}), localUrl: `http://${host.includes(':') ? `[${host}]` : host}:${gw.port ?? 7420}/mcp` };
}
