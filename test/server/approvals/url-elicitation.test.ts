// URL-mode elicitation for guarded calls: a real gateway in front of a real REST backend (a
// loopback fixture that counts every request), real SDK v2 clients of both eras over streamable
// HTTP. A 2026-07-28 client that declared elicitation.url gets input_required pointing at the
// approval page; a person approves (admin API, as `gatehouse approvals approve` does) between the
// rounds, and the client's own retry executes the plan exactly once.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { runStatePath } from '../../../src/core/config/run-state.js';
import { startFixture, sendJson, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { makeTempDir } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { textOf } from '../helpers.js';

import { scaleBackend } from './support.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

let fx: FixtureServer;
let gw: TestGateway;
let dir: string;
let adminToken: string;
const clients: Client[] = [];

beforeAll(async () => {
  let n = 0;
  fx = await startFixture((req, res) => sendJson(res, 200, { applied: ++n, body: JSON.parse(req.body || 'null') }));
  dir = makeTempDir();
  const k8s = scaleBackend(fx.url);
  gw = await startGateway({ backends: { k8s } }, { stateDir: dir });
  await gw.ready();
  adminToken = await tokenOf(dir);
});

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await gw?.stop();
  await fx?.close();
});

const writes = () => fx.requests.filter((r) => r.method === 'POST').length;

async function admin(path: string, body?: unknown): Promise<Response> {
  return fetch(`${gw.url.replace(/\/mcp$/, '/admin')}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

type Elicit = { mode?: string; url?: string; message?: string };

/** A real SDK client; `onUrl` answers each URL elicitation (the person's browser round happens in it). */
async function agent(opts: { era: 'legacy' | 'modern'; name: string; url?: boolean; onUrl?: (e: Elicit, round: number) => Promise<'accept' | 'decline'>; manual?: boolean }): Promise<{ client: Client; seen: Elicit[] }> {
  const seen: Elicit[] = [];
  const client = new Client({ name: opts.name, version: '1.0.0' }, {
    capabilities: { elicitation: opts.url === false ? { form: {} } : { url: {} } },
    ...(opts.era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    ...(opts.manual ? { inputRequired: { autoFulfill: false } } : {}),
  } as never);
  client.setRequestHandler('elicitation/create', async (req) => {
    const e = req.params as Elicit;
    seen.push(e);
    const action = opts.onUrl ? await opts.onUrl(e, seen.length) : 'accept';
    return { action } as never;
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  clients.push(client);
  return { client, seen };
}

const planIdOf = (url: string) => decodeURIComponent(new URL(url).pathname.split('/').pop()!);

describe('URL-mode elicitation for guarded calls', () => {
  it('a modern client gets a URL elicitation; approving between the rounds makes its retry execute once', async () => {
    const w0 = writes();
    const { client, seen } = await agent({
      era: 'modern',
      name: 'agent-url',
      onUrl: async (e) => {
        expect(writes()).toBe(w0);
        expect((await admin(`/approvals/${planIdOf(e.url!)}/approve`, { approver: 'a-person' })).status).toBe(200);
        return 'accept';
      },
    });
    const r = await client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas: 3 } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ mode: 'url' });
    expect(seen[0]!.url).toMatch(new RegExp(`^${new URL(gw.url).origin}/approvals/plan_`));
    expect(seen[0]!.message).toMatch(/sha256:[0-9a-f]{64}/);
    expect(JSON.parse(textOf(r))).toMatchObject({ body: { replicas: 3 } });
    expect(writes()).toBe(w0 + 1);
    const shown = (await (await admin(`/approvals/${planIdOf(seen[0]!.url!)}`)).json()) as { plan: { state: string } };
    expect(shown.plan.state).toBe('done');
  });

  it('a retry before approval gets the same round again; the plan runs once after approval', async () => {
    const w0 = writes();
    const { client, seen } = await agent({
      era: 'modern',
      name: 'agent-early',
      onUrl: async (e, round) => {
        // Round 1: the user says done before anyone approved. Round 2: now someone has.
        if (round === 2) expect((await admin(`/approvals/${planIdOf(e.url!)}/approve`, { approver: 'a-person' })).status).toBe(200);
        return 'accept';
      },
    });
    const r = await client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas: 2 } });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.url).toBe(seen[0]!.url);
    expect(JSON.parse(textOf(r))).toMatchObject({ body: { replicas: 2 } });
    expect(writes()).toBe(w0 + 1);
  });

  it('declined in the client: the plan result, nothing sent, the plan stays pending', async () => {
    const w0 = writes();
    const { client, seen } = await agent({ era: 'modern', name: 'agent-decline', onUrl: async () => 'decline' });
    const r = await client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas: 1 } });
    expect(textOf(r)).toMatch(/declined in the client; plan plan_\S+ is pending and was not executed/);
    expect(writes()).toBe(w0);
    const id = (r._meta as Record<string, { id: string; approvalUrl: string }>)['gatehouse/plan']!;
    expect(id.approvalUrl).toBe(seen[0]!.url);
  });

  it('2025 clients and modern clients without URL elicitation get the plan result', async () => {
    for (const o of [
      { era: 'legacy' as const, name: 'old-agent', url: true },
      { era: 'modern' as const, name: 'form-only-agent', url: false },
    ]) {
      const w0 = writes();
      const { client, seen } = await agent(o);
      const r = await client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas: 4 } });
      expect(seen).toEqual([]);
      expect(textOf(r)).toMatch(/^Not executed: k8s_scale is a guarded tool/);
      expect(textOf(r)).toMatch(/or on http:\/\/127\.0\.0\.1:\d+\/approvals\/plan_/);
      expect(writes()).toBe(w0);
    }
  });

  it('tampered, foreign-identity, changed-arguments and replayed states are refused; nothing is sent twice', async () => {
    const { client } = await agent({ era: 'modern', name: 'agent-manual', manual: true });
    const args = { namespace: 'demo', replicas: 5 };
    const first = (await client.callTool({ name: 'k8s_scale', arguments: args }, { allowInputRequired: true } as never)) as unknown as { resultType?: string; inputRequests: Record<string, { method: string; params: Elicit }>; requestState: string };
    expect(first.resultType).toBe('input_required');
    const state = first.requestState;
    expect(state).toMatch(/^gatehouse-plan:v1\./);
    expect(first.inputRequests.gatehouse_approval).toMatchObject({ method: 'elicitation/create', params: { mode: 'url' } });
    const id = planIdOf(first.inputRequests.gatehouse_approval!.params.url!);
    const retry = (c: Client, requestState: string, a: Record<string, unknown> = args) =>
      c.callTool({ name: 'k8s_scale', arguments: a, requestState, inputResponses: { gatehouse_approval: { action: 'accept' } } } as never, { allowInputRequired: true } as never);

    // Before approval: the same round, the same state.
    const again = (await retry(client, state)) as unknown as { resultType?: string; requestState: string };
    expect(again.resultType).toBe('input_required');
    expect(again.requestState).toBe(state);

    expect((await admin(`/approvals/${id}/approve`, { approver: 'a-person' })).status).toBe(200);
    const w0 = writes();
    // One character of the body changed: the MAC no longer matches.
    const [head, body, mac] = state.split('.') as [string, string, string];
    const flipped = `${head}.${body.slice(0, -2)}${body.at(-2) === 'A' ? 'B' : 'A'}${body.at(-1)}.${mac}`;
    await expect(retry(client, flipped)).rejects.toThrow(/integrity check/);
    await expect(retry(client, `gatehouse-plan:v1.${Buffer.from(JSON.stringify({ p: id, d: 'x', e: 9e9, b: '' })).toString('base64url')}.AAAA`)).rejects.toThrow(/integrity check/);
    await expect(retry(client, state, { namespace: 'demo', replicas: 0 })).rejects.toThrow(/differs from the call plan/);
    // Another identity replaying the state the first one was given.
    const { client: other } = await agent({ era: 'modern', name: 'someone-else', manual: true });
    await expect(retry(other, state)).rejects.toThrow(/issued to another identity/);
    expect(writes()).toBe(w0);

    const done = await retry(client, state);
    expect(JSON.parse(textOf(done as never))).toMatchObject({ body: { replicas: 5 } });
    expect(writes()).toBe(w0 + 1);
    // Replayed after execution: the first outcome, no second call.
    expect(JSON.parse(textOf((await retry(client, state)) as never))).toMatchObject({ body: { replicas: 5 } });
    expect(writes()).toBe(w0 + 1);
  });

  it('a state whose plan expired is refused', async () => {
    const shortDir = makeTempDir();
    const short = await startGateway({ gateway: { approvals: { ttl: 1 } }, backends: { k8s: gw.gateway.upstreams[0]!.config } }, { stateDir: shortDir });
    try {
      await short.ready();
      const client = new Client({ name: 'agent-slow', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } }, versionNegotiation: { mode: { pin: '2026-07-28' } }, inputRequired: { autoFulfill: false } } as never);
      await client.connect(new StreamableHTTPClientTransport(new URL(short.url)));
      clients.push(client);
      const args = { namespace: 'demo', replicas: 1 };
      const first = (await client.callTool({ name: 'k8s_scale', arguments: args }, { allowInputRequired: true } as never)) as unknown as { requestState: string; inputRequests: Record<string, { method: string; params: Elicit }> };
      const planId = planIdOf(first.inputRequests.gatehouse_approval!.params.url!);
      const expiresAt = Date.parse(((await (await fetch(`${short.url.replace(/\/mcp$/, '/admin')}/approvals/${planId}`, { headers: { authorization: `Bearer ${await tokenOf(shortDir)}` } })).json()) as { plan: { expiresAt: string } }).plan.expiresAt);
      for (let i = 0; i < 200 && Date.now() <= expiresAt + 50; i++) await new Promise((r) => setTimeout(r, 25));
      const w0 = writes();
      await expect(client.callTool({ name: 'k8s_scale', arguments: args, requestState: first.requestState, inputResponses: { gatehouse_approval: { action: 'accept' } } } as never, { allowInputRequired: true } as never)).rejects.toThrow(/expired/);
      expect(writes()).toBe(w0);
    } finally {
      await short.stop();
    }
  });
});

async function tokenOf(stateDir: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(runStatePath(stateDir), 'utf8')).adminToken as string;
}
