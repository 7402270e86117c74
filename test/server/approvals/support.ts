// What several guarded-write tests share: the REST "scale a Deployment" write tool against a fixture,
// and Debian's chromium launched headless for the approval page.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { RestBackendConfig } from '../../../src/core/config/schema.js';

/** A REST backend with one write tool, POST /scale/{namespace} {replicas} (plus `token` when asked, to check redaction). */
export function scaleBackend(baseUrl: string, opts: { token?: boolean } = {}): RestBackendConfig {
  const properties: Record<string, unknown> = { namespace: { type: 'string' }, replicas: { type: 'integer' }, ...(opts.token ? { token: { type: 'string' } } : {}) };
  return {
    type: 'rest',
    baseUrl,
    allowWrites: true,
    tools: [
      {
        name: 'scale',
        method: 'POST',
        path: '/scale/{namespace}',
        body: { replicas: '{replicas}', ...(opts.token ? { token: '{token}' } : {}) },
        inputSchema: { type: 'object', properties, required: ['namespace', 'replicas'] },
      },
    ],
  } as RestBackendConfig;
}

export const CHROMIUM = '/usr/bin/chromium';

/** Debian's chromium, headless, with the flags this machine's closed network needs; a fresh temporary profile each launch. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/install-deps.sh does).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
