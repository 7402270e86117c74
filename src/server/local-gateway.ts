import type { GatehouseConfig } from '../core/config/schema.js';
import type { SecretStore } from '../core/secrets/resolve.js';
import { Gateway } from './gateway.js';

export interface LocalGatewayOptions {
  secrets?: SecretStore;
  baseDir?: string;
}

/**
 * A gateway started in this process for one command (`tools` and `call` when none runs): loopback,
 * a free port, no run record (so other commands never find it) and its backends started once.
 * It is stopped when `fn` settles, whatever happens.
 */
export async function withLocalGateway<T>(config: GatehouseConfig, opts: LocalGatewayOptions, fn: (g: Gateway) => Promise<T>): Promise<T> {
  const gateway = new Gateway({
    config,
    host: '127.0.0.1',
    port: 0,
    secrets: opts.secrets,
    baseDir: opts.baseDir,
    // One attempt per backend: a failed one reports why instead of being retried while the command runs.
    backoff: { initialMs: 3_600_000, maxMs: 3_600_000, resetAfterMs: 3_600_000 },
  });
  try {
    await gateway.start();
    return await fn(gateway);
  } finally {
    await gateway.stop('done', 2_000);
  }
}
