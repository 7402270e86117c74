// JSON Schema 2020-12 tool schemas ($schema, $defs, $ref) pass through the gateway untouched, and a
// call whose structuredContent the client validates against such an outputSchema works, in both
// eras: a 2025 backend (SDK v1) and a 2026-07-28 backend (SDK v2) from
// test/server/fixtures/passthrough-server.mjs, real SDK v2 clients of both eras over streamable HTTP.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NODE } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/passthrough-server.mjs', import.meta.url));
const ERAS = { old: 'legacy', new: 'modern' } as const;

let gw: TestGateway;
const clients: Client[] = [];
/** Each backend's own tools/list, read directly (not through the gateway). */
const direct: Record<string, Tool[]> = {};

async function open(transport: StdioClientTransport | StreamableHTTPClientTransport, era?: 'legacy' | 'modern'): Promise<Client> {
  const client = new Client({ name: 'schema-test', version: '1.0.0' }, era === 'modern' ? ({ versionNegotiation: { mode: { pin: '2026-07-28' } } } as never) : undefined);
  await client.connect(transport);
  clients.push(client);
  if (era) expect(client.getProtocolEra()).toBe(era);
  return client;
}

beforeAll(async () => {
  for (const [name, era] of Object.entries(ERAS)) {
    const c = await open(new StdioClientTransport({ command: NODE, args: [FIXTURE, '--era', era] }), era);
    direct[name] = (await c.listTools()).tools;
  }
  gw = await startGateway({
    backends: Object.fromEntries(Object.entries(ERAS).map(([name, era]) => [name, { type: 'stdio' as const, command: NODE, args: [FIXTURE, '--era', era] }])),
  });
  await gw.ready();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  await gw?.stop();
});

describe.each(['legacy', 'modern'] as const)('a %s client', (clientEra) => {
  describe.each(Object.keys(ERAS))('of backend %s', (backend) => {
    it('lists the 2020-12 schemas exactly as the backend does', async () => {
      const client = await open(new StreamableHTTPClientTransport(new URL(gw.url)), clientEra);
      const mine = direct[backend]!.find((t) => t.name === 'lookup')!;
      expect(mine.inputSchema).toHaveProperty('$defs');
      const through = (await client.listTools()).tools.find((t) => t.name === `${backend}_lookup`);
      expect({ ...through, name: 'lookup' }).toEqual(mine);
    });

    it('calls it; the client validates structuredContent against the $ref outputSchema', async () => {
      const client = await open(new StreamableHTTPClientTransport(new URL(gw.url)), clientEra);
      await client.listTools();
      const res = await client.callTool({ name: `${backend}_lookup`, arguments: { item: 'bolt-7', tags: ['nut-1'] } });
      expect(res.isError).toBeFalsy();
      expect(res.structuredContent).toEqual({
        item: { id: 'bolt-7', price: { amount: 12.5, currency: 'EUR' } },
        related: [{ id: 'nut-1', price: { amount: 1, currency: 'USD' } }],
      });
      // The same call with content the schema refuses (a currency outside the $ref'd enum) fails in the client.
      await expect(client.callTool({ name: `${backend}_lookup`, arguments: { item: 'bad-1' } })).rejects.toThrow(/does not match the tool's output schema: data\/item\/price\/currency/);
    });
  });
});
