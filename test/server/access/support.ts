// Clients that send credentials (a bearer token, a JWT) in both eras, for the access tests. The
// shared connectClient speaks to open gateways; these add the Authorization header.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Era } from '../helpers.js';

export interface AuthedClient {
  client: Client;
  /** Every JSON-RPC result this client received (to read 2026-07-28 cache fields as sent). */
  results: Array<Record<string, unknown>>;
  notifications: string[];
  close(): Promise<void>;
}

export async function authedClient(url: string, era: Era, headers: Record<string, string>, name = `access-${era}`): Promise<AuthedClient> {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {}, ...(era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {}) } as never);
  const results: Array<Record<string, unknown>> = [];
  const notifications: string[] = [];
  for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed'] as const) {
    client.setNotificationHandler(method, () => void notifications.push(method));
  }
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  let handler: ((m: unknown, e?: unknown) => void) | undefined;
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () =>
      handler &&
      ((m: unknown, e?: unknown) => {
        const r = (m as { result?: Record<string, unknown> }).result;
        if (r) results.push(r);
        handler!(m, e);
      }),
    set: (h) => (handler = h),
  });
  await client.connect(transport);
  return { client, results, notifications, close: () => client.close().catch(() => undefined) };
}

export const names = (items: Array<{ name: string }>) => items.map((t) => t.name).sort();

/** The last tools/list result this client received, as it came over the wire. */
export function lastToolsResult(c: AuthedClient): Record<string, unknown> | undefined {
  return [...c.results].reverse().find((r) => Array.isArray(r.tools));
}
