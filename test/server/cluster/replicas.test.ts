// Several replicas behind a plain load balancer (issue 12, acceptance): three `gatehouse serve`
// processes (built dist/), one real PostgreSQL (plans) and one real Redis (cluster bus, heartbeats,
// stored sessions, rate limits), all on 127.0.0.1, behind Debian's haproxy in round-robin mode with
// no affinity. SDK v2 clients of both eras; real backends: server-everything (progress), the
// conformance fixture as a 2025 backend (sampling), a loopback REST backend with a guarded write.
// Then one replica is killed (SIGKILL) mid-run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import type { AdminStatus } from '../../../src/core/admin/contract.js';
import { runStatePath } from '../../../src/core/config/run-state.js';
import type { GatewayState } from '../../../src/server/gateway.js';
import { stdioFixtureCommand } from '../../fixtures/servers/spawn-fixture.js';
import { startFixture, sendJson, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { startHaproxy, type Haproxy } from '../../helpers/haproxy.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';
import { startRedis, type RunningRedis } from '../../helpers/redis.js';
import { scaleBackend } from '../approvals/support.js';
import { NODE, ROOT, closeAllClients, connectClient, everythingStdio, stopChild, textOf, until, type TestClient } from '../helpers.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 150_000 });

const SLOW = 'ev_trigger-long-running-operation';

interface Replica {
  child: ChildProcess;
  dir: string;
  file: string;
  state: GatewayState;
  output(): string;
  events(type: string): Array<Record<string, unknown>>;
}

let redis: RunningRedis;
let pg: TestPostgres;
let fx: FixtureServer;
let proxy: Haproxy;
let replicas: Replica[] = [];
let planStore: string;

function config(aliases?: Record<string, string>): GatehouseConfig {
  const conf = stdioFixtureCommand('conformance-server');
  return {
    version: 1,
    gateway: {
      cluster: { redis: redis.url, secret: 'env:GH_TEST_CLUSTER_SECRET' },
      approvals: { store: planStore },
      ...(aliases ? { aliases: { map: aliases } } : {}),
    },
    backends: {
      ev: everythingStdio(),
      conf: { type: 'stdio', command: conf.command, args: conf.args, protocol: 'legacy', toolRateLimits: { test_simple_text: { rate: 3, per: '1h' } } },
      k8s: scaleBackend(fx.url),
    },
  } as GatehouseConfig;
}

async function serve(dir: string): Promise<Replica> {
  const file = join(dir, 'gatehouse.yaml');
  writeFileSync(file, stringify(config()));
  const child = spawn(NODE, [join(ROOT, 'bin', 'run.js'), 'serve', '--config', file, '--port', '0', '--no-tui', '--log-format', 'json', '--no-watch'], {
    cwd: ROOT,
    env: { ...process.env, GATEHOUSE_CONFIG_DIR: dir, GH_TEST_CLUSTER_SECRET: 'replicas-test-cluster-secret', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stateFile = runStatePath(dir, child.pid!);
  await until(() => existsSync(stateFile) || child.exitCode !== null, 60_000, `the run-state file (output so far: ${out})`);
  if (child.exitCode !== null) throw new Error(`gatehouse serve exited with ${child.exitCode}: ${out}`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
  await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 60_000, 'readiness');
  const events = (type: string) =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.type === type);
  return { child, dir, file, state, output: () => out, events };
}

async function admin<T>(r: Replica, path: string): Promise<T> {
  const res = await fetch(`${r.state.adminUrl}${path}`, { headers: { authorization: `Bearer ${r.state.adminToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

const port = (r: Replica) => Number(new URL(r.state.url).port);
const viaProxy = () => ({ url: `${proxy.url}/mcp` });
const writes = () => fx.requests.filter((q) => q.method === 'POST');

/** An SDK 2025 client that joins an existing session at one replica directly (no initialize). */
async function joinSession(url: string, sessionId: string, name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' }, { capabilities: { sampling: {} } } as never);
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { sessionId }) as never);
  return client;
}

/** Which replica holds a session (each replica's admin status lists its own). */
async function ownerOf(sessionId: string): Promise<Replica | undefined> {
  for (const r of replicas) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) continue;
    const s = await admin<AdminStatus>(r, '/status');
    if (s.sessionList?.some((x) => x.id === sessionId)) return r;
  }
  return undefined;
}

const sessionOf = (tc: TestClient) => (tc.client.transport as unknown as { sessionId?: string }).sessionId!;

beforeAll(async () => {
  [redis, pg] = await Promise.all([startRedis(), startPostgres()]);
  planStore = await pg.createDatabase('cluster');
  fx = await startFixture(async (req, res) => sendJson(res, 200, { applied: true, body: JSON.parse(req.body || 'null') }));
  replicas = await Promise.all([0, 1, 2].map(() => serve(makeTempDir('gatehouse-replica-'))));
  proxy = await startHaproxy({ host: '127.0.0.1', port: port(replicas[0]!) }, { idleTimeoutS: 60, roundRobin: replicas.map((r) => ({ host: '127.0.0.1', port: port(r) })), checks: true });
});

afterAll(async () => {
  await closeAllClients();
  await proxy?.stop();
  await Promise.all(replicas.map((r) => stopChild(r.child)));
  await fx?.close();
  await Promise.all([redis?.stop(), pg?.stop()]);
});

describe('three replicas behind round-robin haproxy, no affinity', () => {
  it('calls with progress, from 2025 and 2026-07-28 clients', async () => {
    const legacy = await connectClient('http-legacy', viaProxy(), { name: 'progress-legacy' });
    const modern = await connectClient('http-modern', viaProxy(), { name: 'progress-modern' });
    const runs = [legacy, modern, legacy, modern, legacy, modern].map(async (tc) => {
      const seen: number[] = [];
      const r = await tc.client.callTool({ name: SLOW, arguments: { duration: 1, steps: 3 } }, { onprogress: (p) => seen.push(p.progress) });
      return { text: textOf(r as never), seen };
    });
    for (const r of await Promise.all(runs)) {
      expect(r.text).toMatch(/Long running operation completed/);
      expect(r.seen).toEqual([1, 2, 3]);
    }
  });

  it('a sampling round trip mid-call: 2025 client, 2025 backend (the answer reaches the owner whichever replica gets it)', async () => {
    const tc = await connectClient('http-legacy', viaProxy(), { name: 'sampler-legacy' });
    // Three calls: round robin sends the client's answers to every replica, two of them not the owner.
    for (let i = 0; i < 3; i++) {
      const r = await tc.client.callTool({ name: 'conf_test_sampling', arguments: { prompt: `question ${i}` } });
      expect(textOf(r as never)).toBe('LLM response: reply for sampler-legacy');
    }
    expect(tc.samplings).toHaveLength(3);
  });

  it('an input_required round: 2026-07-28 client, 2025 backend (the retry reaches the replica holding the call)', async () => {
    const tc = await connectClient('http-modern', viaProxy(), { name: 'sampler-modern' });
    for (let i = 0; i < 3; i++) {
      const r = await tc.client.callTool({ name: 'conf_test_sampling', arguments: { prompt: `question ${i}` } });
      expect(textOf(r as never)).toBe('LLM response: reply for sampler-modern');
    }
    expect(tc.samplings).toHaveLength(3);
  });

  it('a guarded write planned through the balancer, approved on one replica, applied on another', async () => {
    const [, second, third] = replicas as [Replica, Replica, Replica];
    const agent = await connectClient('http-legacy', viaProxy(), { name: 'agent' });
    const planned = await agent.client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas: 3 } });
    const id = (planned._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
    expect(writes()).toHaveLength(0);
    const approved = await runCli(['approvals', 'approve', id, '--yes', '--json'], { configDir: second.dir });
    expect(approved.code, approved.stderr).toBe(0);
    const direct = await connectClient('http-modern', { url: third.state.url }, { name: 'agent' });
    const applied = await direct.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(JSON.parse(textOf(applied as never))).toEqual({ applied: true, body: { replicas: 3 } });
    expect(writes()).toHaveLength(1);
  });

  it('rate limits are counted once across the replicas', async () => {
    const tc = await connectClient('http-modern', viaProxy(), { name: 'limited' });
    const outcomes: string[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await tc.client.callTool({ name: 'conf_test_simple_text', arguments: {} }).then(
        (x) => (x.isError ? `refused: ${textOf(x as never)}` : 'ok'),
        (e: Error) => `refused: ${e.message}`,
      );
      outcomes.push(r);
    }
    // 3 per hour in total: seven calls spread over three replicas give three, not up to nine.
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(3);
    expect(outcomes.slice(3).every((o) => /Rate limit reached/.test(o))).toBe(true);
  });

  it('a config reload asked of one replica is seen by all, and alias counts add up across them', async () => {
    for (const r of replicas) writeFileSync(r.file, stringify(config({ old_echo: 'ev_echo' })));
    replicas[0]!.child.kill('SIGHUP');
    await until(async () => (await Promise.all(replicas.map((r) => admin<{ aliases: Array<{ alias: string }> }>(r, '/aliases')))).every((a) => a.aliases.some((x) => x.alias === 'old_echo')), 60_000, 'every replica to serve the alias');
    const tc = await connectClient('http-modern', viaProxy(), { name: 'alias-user' });
    for (let i = 0; i < 6; i++) expect(textOf((await tc.client.callTool({ name: 'old_echo', arguments: { message: `m${i}` } })) as never)).toBe(`Echo: m${i}`);
    const totals = async () => (await Promise.all(replicas.map((r) => admin<{ aliases: Array<{ alias: string; total: number }> }>(r, '/aliases')))).map((a) => a.aliases.find((x) => x.alias === 'old_echo')?.total);
    await until(async () => (await totals()).every((t) => t === 6), 20_000, 'each replica to count all six alias calls');
  });

  it('a replica killed mid-run: its in-flight calls fail with a clear error, the others succeed, its sessions are taken over', async () => {
    // 2025 sessions through the balancer, until one is owned by a replica and one by another.
    const clients: Array<{ tc: TestClient; owner: Replica }> = [];
    for (let i = 0; i < 9 && new Set(clients.map((c) => c.owner)).size < 2; i++) {
      const tc = await connectClient('http-legacy', viaProxy(), { name: `survivor-${i}` });
      clients.push({ tc, owner: (await ownerOf(sessionOf(tc)))! });
      // A client's opening takes three requests, as many as there are replicas: shift the rotation by one.
      await fetch(`${proxy.url}/healthz`);
    }
    const victim = clients[0]!.owner;
    const doomed = clients[0]!.tc;
    const other = clients.find((c) => c.owner !== victim)!;
    const [relayA, relayB] = replicas.filter((r) => r !== victim) as [Replica, Replica];
    const backends = execFileSync('pgrep', ['-P', String(victim.child.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);

    // In flight on the victim: calls of its session that other replicas forwarded to it.
    const forwarded = await Promise.all([relayA, relayB].map((r) => joinSession(r.state.url, sessionOf(doomed), 'doomed-relay')));
    // Two SDK clients on one session: the second skips a request id, so their calls never share one (one real client never reuses an id).
    await forwarded[1]!.ping();
    const started: number[] = [];
    const doomedCalls = forwarded.map((c, i) =>
      c.callTool({ name: SLOW, arguments: { duration: 30, steps: 30 } }, { onprogress: () => (started[i] = 1), timeout: 120_000 }).then(
        () => 'finished',
        (e: Error) => e.message,
      ),
    );
    // Not on the victim: a session another replica owns (served there and forwarded by the third), and a modern client at each survivor.
    const otherAtRelay = await joinSession((other.owner === relayA ? relayB : relayA).state.url, sessionOf(other.tc), 'other-relay');
    const modernA = await connectClient('http-modern', { url: relayA.state.url }, { name: 'modern-a' });
    const modernB = await connectClient('http-modern', { url: relayB.state.url }, { name: 'modern-b' });
    const survivors = [other.tc.client, otherAtRelay, modernA.client, modernB.client].map((c) => c.callTool({ name: SLOW, arguments: { duration: 4, steps: 4 } }, { timeout: 120_000 }));

    await until(() => started.filter(Boolean).length === 2, 30_000, 'both forwarded calls to be running on the victim');
    victim.child.kill('SIGKILL');
    await until(() => victim.child.signalCode !== null, 10_000, 'the victim to die');
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone with its parent's pipes
      }
    }

    for (const msg of await Promise.all(doomedCalls)) expect(msg).toMatch(/gateway replica that owns this session \([\w-]+\) stopped while this request was in flight; it did not finish/);
    for (const r of await Promise.all(survivors)) expect(textOf(r as never)).toMatch(/Long running operation completed/);

    // Once the victim's heartbeat lapses, the doomed session goes on through the balancer: one survivor takes it over.
    let echoed = '';
    await until(
      async () => {
        echoed = await doomed.client.callTool({ name: 'ev_echo', arguments: { message: 'still here' } }, { timeout: 15_000 }).then(
          (r) => textOf(r as never),
          (e: Error) => e.message,
        );
        return echoed === 'Echo: still here';
      },
      60_000,
      `the doomed session to be taken over (last answer: ${echoed})`,
    );
    const takeovers = [relayA, relayB].flatMap((r) => r.events('session.taken_over'));
    expect(takeovers).toHaveLength(1);
    expect(takeovers[0]).toMatchObject({ sessionId: sessionOf(doomed), client: 'survivor-0' });
    // And it keeps working, through every remaining replica.
    for (let i = 0; i < 4; i++) expect(textOf((await doomed.client.callTool({ name: 'ev_echo', arguments: { message: `again ${i}` } })) as never)).toBe(`Echo: again ${i}`);
    for (const c of [...forwarded, otherAtRelay]) await c.close().catch(() => undefined);
  });
});
