import { ExitCode, UserError } from '../errors.js';
import { configDir } from '../config/paths.js';
import { listRunStates } from '../config/run-state.js';
import { DEFAULTS } from '../config/schema.js';
import type { ServerSpec } from './targets.js';

/** Where a client reaches Gatehouse when nothing says otherwise (serve's default host and port). */
export const DEFAULT_GATEWAY_URL = `http://${DEFAULTS.host}:${DEFAULTS.port}/mcp`;

/** How the client reaches the server, from the options `clients install` and `clients print` share. */
export interface ServerSpecOptions {
  url?: string;
  connect?: string;
  token?: string;
  bearerEnv?: string;
}

export interface ResolvedSpec {
  spec: ServerSpec;
  /** Where the URL came from when no flag gave it. */
  from: 'flag' | 'running' | 'default';
}

/**
 * `--connect` or `--url` when given; otherwise the endpoint of the gateway running here, or serve's
 * default endpoint when none runs. Several running gateways and no flag is an error naming them.
 */
export async function serverSpecFrom(opts: ServerSpecOptions, client: string, dir: string = configDir()): Promise<ResolvedSpec> {
  if (opts.connect) return { spec: { kind: 'connect', url: opts.connect, token: opts.token! }, from: 'flag' };
  const withUrl = (url: string, from: ResolvedSpec['from']): ResolvedSpec => ({ spec: { kind: 'url', url, ...(opts.bearerEnv ? { bearerEnv: opts.bearerEnv } : {}) }, from });
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
