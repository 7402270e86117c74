import { ExitCode, UserError } from '../errors.js';
import { serverUrl } from '../servers/index.js';
import type { ServerSpec } from './install.js';

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

export function serverSpecFrom(opts: ServerSpecOptions, client: string, ctx?: ServerSpecContext): ServerSpec {
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
    if (opts.connect) return { kind: 'connect', url: at(opts.connect), token: opts.token! };
    return { kind: 'url', url: at(opts.url ?? ctx!.localUrl), ...(opts.bearerEnv ? { bearerEnv: opts.bearerEnv } : {}) };
  }
  if (opts.connect) return { kind: 'connect', url: opts.connect, token: opts.token! };
  if (opts.url) return { kind: 'url', url: opts.url, ...(opts.bearerEnv ? { bearerEnv: opts.bearerEnv } : {}) };
  throw new UserError('Missing --url or --connect: say how the client reaches the server.', {
    code: 'missing_flags',
    exit: ExitCode.usage,
    hint: `For a local gateway: gatehouse clients install ${client} --url http://127.0.0.1:7420/mcp. For a remote endpoint behind Cloudflare Access: gatehouse clients install ${client} --connect https://mcp.example.dev/mcp --token homelab`,
    details: { missing: ['url|connect'] },
  });
}

/** The servers and local gateway URL of a configuration, for --server. */
export function localServers(config: { gateway?: { servers?: Record<string, unknown>; host?: string; port?: number } }): ServerSpecContext {
  const gw = config.gateway ?? {};
  const host = gw.host && gw.host !== '0.0.0.0' && gw.host !== '::' ? gw.host : '127.0.0.1';
  return { servers: Object.keys(gw.servers ?? {}), localUrl: `http://${host.includes(':') ? `[${host}]` : host}:${gw.port ?? 7420}/mcp` };
}
