// Guarded writes across gateway processes: real `gatehouse serve` children (built dist/) sharing one
// plan store, a real PostgreSQL server started by this file (the store URL reaches the gateways as an
// env: reference, with a password that must never show), a loopback REST backend that counts every
// write, real SDK clients, and the approvals CLI against the running gateways.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import type { GatewayState } from '../../../src/server/gateway.js';
import { runStatePath } from '../../../src/core/config/run-state.js';
import { startFixture, sendJson, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { NODE, ROOT, closeAllClients, connectClient, stopChild, textOf, until, type TestClient } from '../helpers.js';
import { scaleBackend } from './support.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 90_000 });

const PASSWORD = 'pw-never-shown-4821';
let pg: TestPostgres;
let fx: FixtureServer;
/** Write responses held until the test lets them go, so racing applies overlap for certain. */
let hold: Promise<void> = Promise.resolve();
const children: ChildProcess[] = [];

beforeAll(async () => {
  pg = await startPostgres();
  let n = 0;
  fx = await startFixture(async (req, res) => {
    if (req.method === 'GET') return sendJson(res, 200, { replicas: 1 });
    const mine = ++n;
    await hold;
    sendJson(res, 200, { applied: mine, body: JSON.parse(req.body || 'null') });
  });
});

afterEach(async () => {
  await closeAllClients();
  await Promise.all(children.splice(0).map((c) => stopChild(c)));
});

afterAll(async () => {
  await fx?.close();
  await pg?.stop();
});

const writes = () => fx.requests.filter((r) => r.method === 'POST');

function config(store: string): GatehouseConfig {
  return {
    version: 1,
    gateway: { approvals: { store } },
    backends: {
      k8s: scaleBackend(fx.url),
    },
  } as GatehouseConfig;
}

interface Served {
  child: ChildProcess;
  dir: string;
  state: GatewayState;
  output(): string;
}

async function serve(dir: string, cfg: GatehouseConfig, env: Record<string, string> = {}): Promise<Served> {
  const file = join(dir, 'gatehouse.yaml');
  writeFileSync(file, stringify(cfg));
  const child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', file, '--port', '0', '--no-tui', '--log-format', 'json'], {
    cwd: ROOT,
    env: { ...process.env, ...env, GATEHOUSE_CONFIG_DIR: dir, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stateFile = runStatePath(dir, child.pid!);
  await until(() => existsSync(stateFile) || child.exitCode !== null, 30_000, `the run-state file (output so far: ${out})`);
  if (child.exitCode !== null) throw new Error(`gatehouse serve exited with ${child.exitCode}: ${out}`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
  await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 30_000, 'readiness');
  return { child, dir, state, output: () => out };
}

async function stop(s: Served): Promise<void> {
  await stopChild(s.child);
  children.splice(children.indexOf(s.child), 1);
}

async function plan(tc: TestClient, replicas: number): Promise<string> {
  const r = await tc.client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas } });
  expect(r.isError, textOf(r)).toBeFalsy();
  return (r._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
}

const apply = (tc: TestClient, planId: string) => tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId } });

async function approve(dir: string, id: string): Promise<void> {
  const r = await runCli(['approvals', 'approve', id, '--yes', '--json'], { configDir: dir });
  expect(r.code, r.stderr).toBe(0);
  expect(r.json().plan.state).toBe('approved');
}

describe('gateways sharing a plan store', () => {
  it('two gateway processes on one PostgreSQL race to apply one plan: exactly one backend call, one outcome', async () => {
    const db = await pg.createDatabase('race');
    const url = db.replace('postgres://gh@', `postgres://gh:${PASSWORD}@`); // trust auth ignores it; nothing may show it
    const env = { GH_TEST_PLANS_URL: url };
    const [a, b] = await Promise.all([serve(makeTempDir(), config('env:GH_TEST_PLANS_URL'), env), serve(makeTempDir(), config('env:GH_TEST_PLANS_URL'), env)]);
    expect(a.child.pid).not.toBe(b.child.pid);
    const [ca, cb] = await Promise.all([connectClient('http-legacy', { url: a.state.url }, { name: 'agent' }), connectClient('http-modern', { url: b.state.url }, { name: 'agent' })]);

    const id = await plan(ca, 4);
    expect(writes()).toHaveLength(0);
    // The plan A stored is in the shared database: B's admin API (and CLI) sees it and can approve it.
    const shown = await runCli(['approvals', 'show', id, '--json'], { configDir: b.dir });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json().plan).toMatchObject({ id, state: 'pending', arguments: { namespace: 'demo', replicas: 4 } });
    await approve(b.dir, id);

    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    const perGateway = 4;
    const settled: Array<{ gw: 'a' | 'b'; ok: boolean; text: string }> = [];
    const calls = [...Array.from({ length: perGateway }, () => ['a', ca] as const), ...Array.from({ length: perGateway }, () => ['b', cb] as const)].map(([gw, tc]) =>
      apply(tc, id).then(
        (r) => settled.push({ gw, ok: true, text: textOf(r) }),
        (e: Error) => settled.push({ gw, ok: false, text: e.message }),
      ),
    );
    // The winner's calls wait on the one held write; every call at the other gateway is refused at once.
    await until(() => writes().length === 1 && settled.length === perGateway, 30_000, `one write and ${perGateway} refusals (settled: ${JSON.stringify(settled)})`);
    const loser = settled[0]!.gw;
    expect(settled.every((s) => s.gw === loser && !s.ok && /being applied right now/.test(s.text))).toBe(true);
    release();
    await Promise.all(calls);
    const won = settled.filter((s) => s.gw !== loser);
    expect(won).toHaveLength(perGateway);
    expect(won.every((s) => s.ok)).toBe(true);
    expect(new Set(won.map((s) => s.text)).size).toBe(1);
    expect(JSON.parse(won[0]!.text)).toEqual({ applied: 1, body: { replicas: 4 } });
    expect(writes()).toHaveLength(1);
    expect(writes()[0]).toMatchObject({ path: '/scale/demo' });
    expect(JSON.parse(writes()[0]!.body)).toEqual({ replicas: 4 });

    // Once done, the gateway that lost answers with the stored outcome and calls nothing.
    const late = await apply(loser === 'a' ? ca : cb, id);
    expect(textOf(late)).toBe(won[0]!.text);
    expect(writes()).toHaveLength(1);

    const log = await runCli(['approvals', 'log', '--json'], { configDir: a.dir });
    expect(log.code, log.stderr).toBe(0);
    expect(log.json().records.filter((r: { planId: string }) => r.planId === id).map((r: { event: string }) => r.event)).toEqual(['created', 'approved', 'executing', 'done']);
    const rows = await pg.query<{ state: string }>('SELECT state FROM gatehouse_plans WHERE id = $1', [id], db);
    expect(rows).toEqual([{ state: 'done' }]);
    for (const s of [a, b]) expect(s.output()).not.toContain(PASSWORD);
    expect(log.stdout + shown.stdout).not.toContain(PASSWORD);
    fx.requests.length = 0;
  });

  it('a gateway killed while applying leaves the plan failed (outcome unknown) on PostgreSQL when it starts again, never run twice', async () => {
    const db = await pg.createDatabase('killed');
    const dir = makeTempDir();
    let gw = await serve(dir, config(db));
    const tc = await connectClient('http-legacy', { url: gw.state.url }, { name: 'agent' });
    const id = await plan(tc, 2);
    await approve(dir, id);
    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    const before = writes().length;
    const pending = apply(tc, id).catch((e: Error) => e);
    await until(() => writes().length === before + 1, 30_000, 'the write to reach the backend');
    gw.child.kill('SIGKILL');
    await until(() => gw.child.exitCode !== null || gw.child.signalCode !== null, 10_000, 'the gateway to die');
    children.splice(children.indexOf(gw.child), 1);
    // Not awaited: the SDK client only gives up on the cut-off call at its request timeout (60 s).
    void pending;
    release();
    expect(await pg.query('SELECT state FROM gatehouse_plans WHERE id = $1', [id], db)).toEqual([{ state: 'executing' }]);

    await closeAllClients();
    gw = await serve(dir, config(db));
    const again = await connectClient('http-modern', { url: gw.state.url }, { name: 'agent' });
    // The store opens on first use; this apply opens it, which fails the dead process's claim first.
    await expect(apply(again, id)).rejects.toThrow(/applied once and failed: interrupted/);
    expect(writes().length).toBe(before + 1);
    const log = await runCli(['approvals', 'log', '--json'], { configDir: dir });
    expect(log.json().records.filter((r: { planId: string }) => r.planId === id).map((r: { event: string }) => r.event)).toEqual(['created', 'approved', 'executing', 'interrupted']);
  });

  describe.each(['SQLite', 'PostgreSQL'] as const)('%s', (kind) => {
    it('a restart of the gateway process between approval and apply keeps the plan, and it runs once', async () => {
      const dir = makeTempDir();
      const store = kind === 'SQLite' ? join(dir, 'plans.db') : await pg.createDatabase('restart');
      let gw = await serve(dir, config(store));
      let tc = await connectClient('http-legacy', { url: gw.state.url }, { name: 'agent' });
      const id = await plan(tc, 0);
      await approve(dir, id);
      await closeAllClients();
      await stop(gw);

      gw = await serve(dir, config(store));
      tc = await connectClient('http-modern', { url: gw.state.url }, { name: 'agent' });
      const before = writes().length;
      const r = await apply(tc, id);
      expect(JSON.parse(textOf(r))).toMatchObject({ body: { replicas: 0 } });
      expect(writes().length).toBe(before + 1);
      expect(await apply(tc, id)).toEqual(r);
      expect(writes().length).toBe(before + 1);
      const listed = await runCli(['approvals', 'list', '--state', 'done', '--json'], { configDir: dir });
      expect(listed.json().plans.map((p: { id: string }) => p.id)).toEqual([id]);
    });
  });
});
