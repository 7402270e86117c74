import { ExitCode, UserError } from '../errors.js';
import type { ServerSpec } from './install.js';

/** How the client reaches the server, from the options `clients install` and `clients print` share. */
export interface ServerSpecOptions {
  url?: string;
  connect?: string;
  token?: string;
  bearerEnv?: string;
}

export function serverSpecFrom(opts: ServerSpecOptions, client: string): ServerSpec {
  if (opts.connect) return { kind: 'connect', url: opts.connect, token: opts.token! };
  if (opts.url) return { kind: 'url', url: opts.url, ...(opts.bearerEnv ? { bearerEnv: opts.bearerEnv } : {}) };
  throw new UserError('Missing --url or --connect: say how the client reaches the server.', {
    code: 'missing_flags',
    exit: ExitCode.usage,
    hint: `For a local gateway: gatehouse clients install ${client} --url http://127.0.0.1:7420/mcp. For a remote endpoint behind Cloudflare Access: gatehouse clients install ${client} --connect https://mcp.example.dev/mcp --token homelab`,
    details: { missing: ['url|connect'] },
  });
}
