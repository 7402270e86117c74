// Guarded writes end to end: a real gateway in front of a real REST backend (a loopback fixture
// server that counts every request), real SDK clients over streamable HTTP, the CLI as a real
// process against the gateway's admin API, and the SQLite store on disk.
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GatehouseConfig, RestBackendConfig } from '../../../src/core/config/schema.js';
import { startFixture, sendJson, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { hasScript, makeTempDir, runCli, runCliInTerminal } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, textOf, type TestClient } from '../helpers.js';
import { runStatePath } from '../../../src/core/config/run-state.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

let fx: FixtureServer;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  let n = 0;
  fx = await startFixture((req, res) => {
    if (req.method === 'GET') return sendJson(res, 200, { replicas: 2 });
    return sendJson(res, 200, { applied: ++n, body: JSON.parse(req.body || 'null') });
  });
});

afterEach(async () => {
  await closeAllClients();
  await Promise.all(gateways.splice(0).map((g) => g.stop()));
});

afterAll(async () => {
  await fx?.close();
});

function backend(): RestBackendConfig {
  return {
    type: 'rest',
    baseUrl: fx.url,
    allowWrites: true,
    tools: [
      {
        name: 'scale',
        description: 'Scale a Deployment.',
        method: 'POST',
        path: '/scale/{namespace}',
        body: { replicas: '{replicas}' },
        inputSchema: { type: 'object', properties: { namespace: { type: 'string' }, replicas: { type: 'integer' } }, required: ['namespace', 'replicas'] },
      },
      { name: 'status', method: 'GET', path: '/status' },
    ],
    constraints: { scale: { namespace: { enum: ['demo'] }, replicas: { minimum: 0, maximum: 5 } } },
  } as RestBackendConfig;
}

async function gatewayAt(stateDir: string, gateway: GatehouseConfig['gateway'] = {}): Promise<TestGateway> {
  const gw = await startGateway({ gateway, backends: { k8s: backend() } }, { stateDir });
  gateways.push(gw);
  await gw.ready();
  return gw;
}

const writes = () => fx.requests.filter((r) => r.method === 'POST').length;

async function plan(tc: TestClient, args: Record<string, unknown> = { namespace: 'demo', replicas: 3 }): Promise<string> {
  const r = await tc.client.callTool({ name: 'k8s_scale', arguments: args });
  expect(r.isError).toBeFalsy();
  const id = (r._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
  expect(textOf(r)).toContain(`Plan: ${id}`);
  return id;
}

const cli = (dir: string, args: string[]) => runCli(['approvals', ...args], { configDir: dir });

describe('guarded writes through a real gateway', () => {
  it('lists guarded tools with a note, constraints in the schema, and the apply tool; reads are not guarded', async () => {
    const dir = makeTempDir();
    const gw = await gatewayAt(dir);
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'agent' });
    const { tools } = await tc.client.listTools();
    const scale = tools.find((t) => t.name === 'k8s_scale')!;
    expect(scale.description).toMatch(/Guarded/);
    expect(scale.inputSchema.properties!.namespace).toMatchObject({ enum: ['demo'] });
    expect(scale.inputSchema.properties!.replicas).toMatchObject({ maximum: 5 });
    expect(tools.find((t) => t.name === 'k8s_status')!.description ?? '').not.toMatch(/Guarded/);
    expect(tools.map((t) => t.name)).toContain('gatehouse_apply_plan');
    const before = fx.requests.length;
    const read = await tc.client.callTool({ name: 'k8s_status', arguments: {} });
    expect(JSON.parse(textOf(read))).toEqual({ replicas: 2 });
    expect(fx.requests.length).toBe(before + 1);
  });

  it('refuses arguments outside the constraints before any plan, and sends nothing', async () => {
    const dir = makeTempDir();
    const gw = await gatewayAt(dir);
    const tc = await connectClient('http-modern', { url: gw.url }, { name: 'agent' });
    const before = fx.requests.length;
    await expect(tc.client.callTool({ name: 'k8s_scale', arguments: { namespace: 'kube-system', replicas: 3 } })).rejects.toThrow(/namespace: must be one of "demo"/);
    await expect(tc.client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas: 50 } })).rejects.toThrow(/replicas: must be <= 5/);
    await expect(tc.client.callTool({ name: 'k8s_scale', arguments: { replicas: 1 } })).rejects.toThrow(/namespace: is required/);
    expect(fx.requests.length).toBe(before);
    const res = await fetch(`${gw.url.replace(/\/mcp$/, '')}/admin/approvals`, { headers: { authorization: `Bearer ${JSON.parse(await readState(dir)).adminToken}` } });
    expect(((await res.json()) as { plans: unknown[] }).plans).toEqual([]);
  });

  it('plans without calling the backend; approve via the CLI; apply executes once with the approved body; again returns the first outcome', async () => {
    const dir = makeTempDir();
    const gw = await gatewayAt(dir);
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'agent' });
    const w0 = writes();
    const id = await plan(tc);
    expect(writes()).toBe(w0);

    await expect(tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } })).rejects.toThrow(/waiting for approval/);
    expect(writes()).toBe(w0);

    const shown = await cli(dir, ['show', id, '--json']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json().plan).toMatchObject({ id, state: 'pending', backend: 'k8s', tool: 'scale', arguments: { namespace: 'demo', replicas: 3 }, requestedBy: { client: 'agent' } });

    const noTty = await cli(dir, ['approve', id]);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/--yes/);

    const ok = await cli(dir, ['approve', id, '--yes', '--reason', 'ticket 42', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.json().plan).toMatchObject({ state: 'approved', decidedBy: userInfo().username, reason: 'ticket 42' });

    const first = await tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(writes()).toBe(w0 + 1);
    const sent = fx.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect(sent.path).toBe('/scale/demo');
    expect(JSON.parse(sent.body)).toEqual({ replicas: 3 });
    const again = await tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(again).toEqual(first);
    expect(writes()).toBe(w0 + 1);

    const log = await cli(dir, ['log', '--json']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.json().records.filter((r: { planId: string }) => r.planId === id).map((r: { event: string }) => r.event)).toEqual(['created', 'approved', 'executing', 'done']);
    const changes = gw.events.filter((e) => e.type === 'approval.changed' && e.planId === id) as Array<{ state: string; actor: string }>;
    expect(changes.map((e) => `${e.state}:${e.actor}`)).toEqual(['pending:agent', `approved:${userInfo().username}`, 'executing:gateway', 'done:gateway']);
  });

  it('20 concurrent applies from several clients execute the plan once', async () => {
    const dir = makeTempDir();
    const gw = await gatewayAt(dir);
    const agents = await Promise.all([connectClient('http-legacy', { url: gw.url }, { name: 'agent' }), connectClient('http-modern', { url: gw.url }, { name: 'agent-2' })]);
    const id = await plan(agents[0]!, { namespace: 'demo', replicas: 4 });
    expect((await cli(dir, ['approve', id, '--yes'])).code).toBe(0);
    const w0 = writes();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => agents[i % 2]!.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } })));
    expect(writes()).toBe(w0 + 1);
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => textOf((r as PromiseFulfilledResult<{ content?: unknown }>).value));
    expect(ok).toHaveLength(20);
    expect(new Set(ok).size).toBe(1);
  });

  it('denied, self-approved, expired and tampered plans are refused and never reach the backend', async () => {
    const dir = makeTempDir();
    // Only the expiring plan gets a short TTL (its own gateway): on a loaded machine one CLI run can take
    // longer than 2 s, and the other plans must not expire while they are denied or approved.
    const gw = await gatewayAt(dir);
    const me = userInfo().username;
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: me });
    const w0 = writes();

    const denied = await plan(tc);
    const d = await cli(dir, ['deny', denied, '--reason', 'wrong window']);
    expect(d.code, d.stderr).toBe(0);
    await expect(tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: denied } })).rejects.toThrow(/denied by .*wrong window/);

    const self = await plan(tc);
    const s = await cli(dir, ['approve', self, '--yes']);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/asked for plan .* cannot approve it/);

    const tampered = await plan(tc, { namespace: 'demo', replicas: 1 });
    const admin = adminClient(gw.url, JSON.parse(await readState(dir)).adminToken);
    expect((await admin.post(`/approvals/${tampered}/approve`, { approver: 'another-person' })).status).toBe(200);
    const Sqlite = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { prepare(s: string): { run(...a: unknown[]): unknown }; close(): void };
    const db = new Sqlite(join(dir, 'approvals.db'));
    db.prepare('UPDATE plans SET arguments = ? WHERE id = ?').run(JSON.stringify({ namespace: 'demo', replicas: 5 }), tampered);
    db.close();
    await expect(tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: tampered } })).rejects.toThrow(/digest no longer matches/);

    const shortDir = makeTempDir();
    const short = await gatewayAt(shortDir, { approvals: { ttl: 2, store: join(dir, 'approvals.db') } });
    const stc = await connectClient('http-legacy', { url: short.url }, { name: me });
    const expiring = await plan(stc);
    const expiresAt = Date.parse((await admin.get(`/approvals/${expiring}`)).plan.expiresAt as string);
    for (let i = 0; i < 100 && Date.now() <= expiresAt; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await admin.post(`/approvals/${expiring}/approve`, { approver: 'another-person' })).status).toBe(409);
    await expect(tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: expiring } })).rejects.toThrow(/expired/);
    await expect(tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: 'plan_nope' } })).rejects.toThrow(/No plan "plan_nope"/);

    expect(writes()).toBe(w0);
    const events = (await admin.get('/approvals-log')).records as Array<{ planId: string; event: string }>;
    expect(events.filter((r) => r.planId === self).map((r) => r.event)).toEqual(['created']);
    expect(events.filter((r) => r.planId === expiring).map((r) => r.event)).toEqual(['created', 'expired']);
    expect(events.filter((r) => r.planId === tampered).map((r) => r.event)).toEqual(['created', 'approved', 'failed']);
  });

  it('two gateways on one SQLite file racing to apply one plan call the backend once', async () => {
    const dir = makeTempDir();
    const store = join(dir, 'shared.db');
    const a = await gatewayAt(dir, { approvals: { store } });
    const b = await gatewayAt(makeTempDir(), { approvals: { store } });
    const [ca, cb] = await Promise.all([connectClient('http-legacy', { url: a.url }, { name: 'agent' }), connectClient('http-legacy', { url: b.url }, { name: 'agent' })]);
    const id = await plan(ca, { namespace: 'demo', replicas: 2 });
    expect((await cli(dir, ['approve', id, '--yes'])).code).toBe(0);
    const w0 = writes();
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => (i % 2 ? cb : ca).client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } })));
    expect(writes()).toBe(w0 + 1);
    for (const r of results) {
      if (r.status === 'rejected') expect(String(r.reason)).toMatch(/being applied right now/);
      else expect(JSON.parse(textOf(r.value))).toMatchObject({ body: { replicas: 2 } });
    }
    // Once done, either gateway answers with the stored outcome and calls nothing.
    const late = await cb.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(JSON.parse(textOf(late))).toMatchObject({ body: { replicas: 2 } });
    expect(writes()).toBe(w0 + 1);
  });

  it.skipIf(!hasScript())('approve asks for confirmation in a terminal; answering no changes nothing', async () => {
    const dir = makeTempDir();
    const gw = await gatewayAt(dir);
    const tc = await connectClient('http-legacy', { url: gw.url }, { name: 'agent' });
    const id = await plan(tc);
    const no = await runCliInTerminal(['approvals', 'approve', id], [{ expect: /Approve this exact call\?/, send: 'n\r' }], { configDir: dir });
    expect(no.output).toContain('"replicas":3');
    expect(no.code).toBe(2);
    expect((await cli(dir, ['show', id, '--json'])).json().plan.state).toBe('pending');
    const yes = await runCliInTerminal(['approvals', 'approve', id], [{ expect: /Approve this exact call\?/, send: 'y\r' }], { configDir: dir });
    expect(yes.code, yes.output).toBe(0);
    expect((await cli(dir, ['show', id, '--json'])).json().plan.state).toBe('approved');
  });

  it('a restart between approval and apply keeps the plan (SQLite), and it still runs once', async () => {
    const dir = makeTempDir();
    let gw = await gatewayAt(dir);
    let tc = await connectClient('http-legacy', { url: gw.url }, { name: 'agent' });
    const id = await plan(tc, { namespace: 'demo', replicas: 0 });
    expect((await cli(dir, ['approve', id, '--yes'])).code).toBe(0);
    await closeAllClients();
    await gateways.pop()!.stop();

    const w0 = writes();
    gw = await gatewayAt(dir);
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'agent' });
    const r = await tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(JSON.parse(textOf(r))).toMatchObject({ body: { replicas: 0 } });
    expect(writes()).toBe(w0 + 1);
    const listed = await cli(dir, ['list', '--state', 'done', '--json']);
    expect(listed.json().plans.map((p: { id: string }) => p.id)).toContain(id);
  });
});

async function readState(dir: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(runStatePath(dir), 'utf8');
}

function adminClient(mcpUrl: string, token: string) {
  const base = mcpUrl.replace(/\/mcp$/, '/admin');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return {
    get: async (path: string) => (await (await fetch(`${base}${path}`, { headers })).json()) as Record<string, any>,
    post: (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }),
  };
}
