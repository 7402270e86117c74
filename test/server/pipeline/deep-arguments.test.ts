// Issue 9 item 11: arguments nested ~5k levels deep overflowed the gateway's stack on the way to the
// backend, and the error blamed the backend with its full command line. A real gateway in front of
// server-everything over stdio, real SDK clients of both eras over streamable HTTP. The SDK client
// cannot serialise such a body itself (JSON.stringify overflows too), so its fetch swaps a marker
// argument for the deep JSON text, as a hand-written client would send it.
import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { EVERYTHING, everythingStdio, textOf } from '../helpers.js';

const MARKER = '__gatehouse_deep__';

function deepJson(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

const swapMarker: typeof fetch = (input, init) => {
  const body = typeof init?.body === 'string' ? init.body.replace(`"${MARKER}"`, deepJson(5_000)) : init?.body;
  return fetch(input, { ...init, body });
};

describe('deeply nested arguments', () => {
  let gw: TestGateway;
  const clients: Client[] = [];

  beforeAll(async () => {
    gw = await startGateway({ backends: { everything: everythingStdio() } });
    await gw.ready();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()));
    await gw?.stop();
  });

  async function connect(era: 'legacy' | 'modern'): Promise<Client> {
    const client = new Client({ name: `deep-${era}`, version: '1.0.0' }, (era === 'modern' ? { versionNegotiation: { mode: 'auto' } } : {}) as never);
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { fetch: swapMarker }));
    return client;
  }

  for (const era of ['legacy', 'modern'] as const) {
    it(`${era} client: refused at the edge with -32602 naming the limit; the backend keeps serving`, async () => {
      const client = await connect(era);
      const err = await client.callTool({ name: 'everything_echo', arguments: { message: 'hi', payload: MARKER } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ProtocolError);
      const pe = err as ProtocolError;
      expect(pe.code).toBe(-32602);
      expect(pe.message).toMatch(/nested more than 64 levels deep, the gateway's limit/);
      expect(JSON.stringify({ message: pe.message, data: pe.data })).not.toContain(EVERYTHING);

      // Within the limit, arguments still reach the backend, and the connection to it was never lost.
      const ok = await client.callTool({ name: 'everything_echo', arguments: { message: 'still here', payload: nested(60) } });
      expect(textOf(ok)).toContain('still here');
      expect(gw.events.some((e) => e.type === 'backend.state' && e.backend === 'everything' && e.state === 'failed')).toBe(false);
    });
  }
});
