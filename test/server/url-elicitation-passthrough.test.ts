// URL-mode elicitation passes through the gateway in both eras: a 2025 backend (SDK v1) that sends
// elicitation/create with mode "url" during a call, and a 2026-07-28 backend (SDK v2) that asks for
// it in an input_required round (test/server/fixtures/passthrough-server.mjs), each called by real
// SDK v2 clients of both eras over streamable HTTP. The client must see the URL exactly as the
// backend gave it, and its answer must reach the backend.
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NODE, textOf } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/passthrough-server.mjs', import.meta.url));
const URL_SHOWN = 'https://login.example.dev/device?code=ABCD-1234&next=%2Fhome%23top';

let gw: TestGateway;
const clients: Client[] = [];

beforeAll(async () => {
  gw = await startGateway({
    backends: {
      old: { type: 'stdio', command: NODE, args: [FIXTURE, '--era', 'legacy'] },
      new: { type: 'stdio', command: NODE, args: [FIXTURE, '--era', 'modern'] },
    },
  });
  await gw.ready();
}, 60_000);

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await gw?.stop();
});

type Elicit = { mode?: string; url?: string; message?: string; elicitationId?: string };

async function agent(era: 'legacy' | 'modern', action: 'accept' | 'decline'): Promise<{ client: Client; seen: Elicit[]; wire: Array<Record<string, unknown>> }> {
  const seen: Elicit[] = [];
  const wire: Array<Record<string, unknown>> = [];
  const client = new Client({ name: `url-${era}`, version: '1.0.0' }, {
    capabilities: { elicitation: { url: {} } },
    ...(era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
  } as never);
  client.setRequestHandler('elicitation/create', async (req) => {
    seen.push(req.params as Elicit);
    return { action } as never;
  });
  const transport = new StreamableHTTPClientTransport(new URL(gw.url));
  const deliver = () => transport.onmessage;
  await client.connect(transport);
  const inner = deliver()!;
  transport.onmessage = (m, extra) => {
    wire.push(m as Record<string, unknown>);
    inner.call(transport, m, extra);
  };
  clients.push(client);
  expect(client.getProtocolEra()).toBe(era);
  return { client, seen, wire };
}

describe.each([
  ['a 2025 backend (elicitation/create during the call)', 'old'],
  ['a 2026-07-28 backend (input_required round)', 'new'],
])('URL elicitation from %s', (_label, backend) => {
  it('reaches a 2025 session as elicitation/create with the URL intact, and its answer reaches the backend', async () => {
    const { client, seen } = await agent('legacy', 'accept');
    const res = await client.callTool({ name: `${backend}_visit`, arguments: { url: URL_SHOWN } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ mode: 'url', url: URL_SHOWN, message: 'Open the page to sign in' });
    expect(typeof seen[0]!.elicitationId).toBe('string');
    expect(textOf(res)).toBe(`action=accept url=${URL_SHOWN}`);
  });

  it('reaches a 2026-07-28 client in an input_required round with the URL intact; a decline reaches the backend', async () => {
    const { client, seen, wire } = await agent('modern', 'decline');
    const res = await client.callTool({ name: `${backend}_visit`, arguments: { url: URL_SHOWN } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ mode: 'url', url: URL_SHOWN, message: 'Open the page to sign in' });
    const round = wire.map((m) => m.result as { resultType?: string; inputRequests?: Record<string, { method: string; params: Elicit }> } | undefined).find((r) => r?.resultType === 'input_required');
    const asked = Object.values(round?.inputRequests ?? {});
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ method: 'elicitation/create', params: { mode: 'url', url: URL_SHOWN } });
    expect(textOf(res)).toBe(`action=decline url=${URL_SHOWN}`);
  });
});
