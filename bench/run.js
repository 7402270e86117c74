#!/usr/bin/env node
// npm run bench: Gatehouse side by side with the echo server reached directly, supergateway and
// mcp-proxy, under the same load, in one run, in alternating order. See docs/benchmarks.md.
//
//   node bench/run.js [--quick] [--calls N] [--rounds N] [--profile] [--no-peers] [--metrics-off]
//
// Prints markdown tables to stdout (progress to stderr) and writes .bench-out/results.json.
// Every process it starts is stopped at the end, on error and on Ctrl-C. It binds 127.0.0.1 only.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { request } from 'undici';
import { stringify as toYaml } from 'yaml';
import { BLOB_TEXT } from './servers/echo-data.mjs';
import { blobWorkload, echoWorkload, runLoad, stopLoad } from './lib/load.mjs';
import { Session, agent } from './lib/mcp-http.mjs';
import { freePort, killAllNow, machineBusyMs, sample, start, stop, stopAll, waitUntil } from './lib/proc.mjs';
import { fmt, markdownTable, median, ratio, summarize } from './lib/stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.bench-out');
// This run's own folder: other benchmarks (bench/rest.mjs) write beside it in .bench-out.
const RUN = join(OUT, 'mcp');
const LOGS = join(RUN, 'logs');
const PROFILES = join(OUT, 'profiles');
const ECHO = join(ROOT, 'bench/servers/echo-server.mjs');
const LOOPBACK_ONLY = join(ROOT, 'bench/lib/loopback-only.mjs');
const MEMORY_PROBE = join(ROOT, 'bench/lib/memory-probe.mjs');
const NODE = process.execPath;

// ---- options -------------------------------------------------------------------------------

const USAGE = `usage: node bench/run.js [--quick] [--calls N] [--rounds N] [--profile] [--no-peers]
  --quick      a smaller run (about a minute): fewer calls and rounds, no c16 or modern blob scenarios
  --calls N    tools/call per target for each echo scenario (default 2000; --quick 300)
  --rounds N   alternating rounds the calls are split into (default 10; --quick 2)
  --profile    run the Gatehouse processes under node --cpu-prof (profiles in .bench-out/profiles)
  --no-peers   skip supergateway and mcp-proxy
  --metrics-off
               add a Gatehouse → stdio echo target with gateway.metrics.enabled: false, side by side
               with the default one (metrics on), to compare CPU per call
  --fast-path-off
               add a Gatehouse → stdio echo target with GATEHOUSE_FAST_PATH=0 (every 2026-07-28
               request through the SDK's per-request server), side by side with the default one
  --scenarios REGEX
               run only the load scenarios whose name matches (e.g. "legacy echo")
  --gatehouse-node-args "ARGS"
               extra node flags for the Gatehouse processes (experiments: heap flags, an --import hook)`;

function parseOptions(argv) {
  const o = { quick: false, calls: undefined, rounds: undefined, profile: false, peers: true, gatehouseNodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${a} needs a positive integer`);
      return n;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--calls') o.calls = num();
    else if (a === '--rounds') o.rounds = num();
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-peers') o.peers = false;
    else if (a === '--metrics-off') o.metricsOff = true;
    else if (a === '--fast-path-off') o.fastPathOff = true;
    else if (a === '--scenarios') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      o.scenarios = v;
    } else if (a === '--gatehouse-node-args') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      o.gatehouseNodeArgs = v.split(/\s+/).filter(Boolean);
    }
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  o.calls ??= o.quick ? 300 : 2000;
  // Short rounds interleave the targets finely, so bursts of other work land on all of them; with five
  // targets rotating, ten rounds put each in every position twice.
  o.rounds ??= o.quick ? 2 : 10;
  o.globalWarmup = o.quick ? 200 : 1000;
  o.warmup = Math.min(o.quick ? 50 : 300, o.calls);
  o.wrongClientCalls = o.quick ? 160 : 1600;
  o.listRepeats = o.quick ? 8 : 30;
  o.tenBackendCalls = o.quick ? 200 : 2000;
  return o;
}

const t0 = performance.now();
const log = (msg) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);

// ---- targets -------------------------------------------------------------------------------

async function startEcho(name, extra = [], opts = {}) {
  let port;
  // With --profile the direct server is profiled too, as the yardstick for the gateway's profile.
  const prof = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', PROFILES, '--cpu-prof-name', `${name}.cpuprofile`] : [];
  if (opts.profile) rmSync(join(PROFILES, `${name}.cpuprofile`), { force: true });
  const proc = start(name, NODE, [...prof, ECHO, '--http', '--port', '0', ...extra], {
    logFile: join(LOGS, `${name}.log`),
    onStdout: (line) => {
      const m = line.match(/^LISTENING (\d+)/);
      if (m) port = Number(m[1]);
    },
  });
  await waitUntil(`${name} listening`, () => port, { proc });
  return { proc, url: `http://127.0.0.1:${port}/mcp` };
}

async function getReadyz(port) {
  const res = await request(`http://127.0.0.1:${port}/readyz`, { dispatcher: agent });
  const body = await res.body.json();
  return { status: res.statusCode, body };
}

/** Starts `gatehouse serve` on a config; returns once /readyz is 200 and every backend is ready. */
async function startGatehouse(name, config, opts) {
  const port = await freePort();
  const dir = join(RUN, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'gatehouse.yaml');
  writeFileSync(file, toYaml({ version: 1, ...config }));
  const profile = join(PROFILES, `${name}.cpuprofile`);
  if (opts.profile) rmSync(profile, { force: true });
  const nodeArgs = [...opts.gatehouseNodeArgs, ...(opts.profile ? ['--cpu-prof', '--cpu-prof-dir', PROFILES, '--cpu-prof-name', `${name}.cpuprofile`] : [])];
  const memFile = join(dir, 'memory.json');
  const proc = start(name, NODE, [...nodeArgs, '--expose-gc', '--import', MEMORY_PROBE, join(ROOT, 'bin/run.js'), 'serve', '--config', file, '--port', String(port), '--no-tui', '--log-format', 'json'], {
    logFile: join(LOGS, `${name}.log`),
    env: { ...process.env, ...(opts.env ?? {}), GATEHOUSE_CONFIG_DIR: join(dir, 'store'), GATEHOUSE_BENCH_MEMFILE: memFile, NO_COLOR: '1' },
  });
  proc.memFile = memFile;
  const backends = Object.keys(config.backends).length;
  // Readiness is spawn → /readyz 200 (every backend tried); we also insist every backend is up.
  let readyAt;
  const status = await waitUntil(
    `${name} /readyz`,
    async () => {
      const r = await getReadyz(port);
      if (r.status !== 200) return undefined;
      readyAt ??= performance.now();
      const states = Object.values(r.body.backends ?? {});
      return states.length === backends && states.every((b) => b.state === 'ready') ? r.body : undefined;
    },
    { proc, timeoutMs: 60_000, everyMs: 5 },
  );
  return { proc, url: `http://127.0.0.1:${port}/mcp`, readyMs: readyAt - proc.spawnedAt, status };
}

/** What the Gatehouse process's memory is made of (JS heap, external, …), from the preloaded probe. */
async function memoryBreakdown(proc) {
  rmSync(proc.memFile, { force: true });
  process.kill(proc.pid, 'SIGUSR2');
  return waitUntil('memory probe', () => existsSync(proc.memFile) && JSON.parse(readFileSync(proc.memFile, 'utf8')), { proc, timeoutMs: 5_000 });
}

async function waitHttp(name, port, proc) {
  // Any HTTP answer means the server is listening (the peers only listen once they can serve).
  const t = await waitUntil(
    `${name} listening`,
    async () => {
      const res = await request(`http://127.0.0.1:${port}/`, { dispatcher: agent });
      await res.body.text();
      return performance.now();
    },
    { proc, timeoutMs: 30_000, everyMs: 10 },
  );
  return t - proc.spawnedAt;
}

async function startSupergateway(name) {
  const port = await freePort();
  // Stateful: stateless supergateway spawns a backend per POST. Stateful spawns one per session.
  const proc = start(
    name,
    NODE,
    ['--import', LOOPBACK_ONLY, join(ROOT, 'node_modules/supergateway/dist/index.js'), '--stdio', `${NODE} ${ECHO}`, '--outputTransport', 'streamableHttp', '--stateful', '--port', String(port), '--logLevel', 'none'],
    { logFile: join(LOGS, `${name}.log`) },
  );
  const readyMs = await waitHttp(name, port, proc);
  return { proc, url: `http://127.0.0.1:${port}/mcp`, readyMs };
}

async function startMcpProxy(name) {
  const port = await freePort();
  const proc = start(name, NODE, [join(ROOT, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs'), '--host', '127.0.0.1', '--port', String(port), '--', NODE, ECHO], {
    logFile: join(LOGS, `${name}.log`),
  });
  const readyMs = await waitHttp(name, port, proc);
  return { proc, url: `http://127.0.0.1:${port}/mcp`, readyMs };
}

function gatehouseEchoConfig(backend) {
  return { gateway: { prefixMode: 'never' }, backends: { echo: backend } };
}
const stdioEcho = (extra = []) => ({ type: 'stdio', command: NODE, args: [ECHO, ...extra] });

// ---- measurement ---------------------------------------------------------------------------

/** CPU (ms) and RSS (MiB) of a target's front process, its children, and a separate backend process. */
function snapshot(target) {
  const front = sample(target.proc.pid);
  const backend = target.backendProc ? sample(target.backendProc.pid) : undefined;
  return { front, backend };
}

function newAcc() {
  return { latencies: [], calls: 0, elapsedMs: 0, errors: 0, wrong: 0, errorSamples: [], frontCpu: 0, kidsCpu: 0, backendCpu: 0, clientCpu: 0 };
}

function addRun(acc, run, before, after) {
  for (const l of run.latencies) acc.latencies.push(l);
  acc.calls += run.calls;
  acc.elapsedMs += run.elapsedMs;
  acc.errors += run.errors;
  acc.wrong += run.wrong;
  acc.errorSamples.push(...run.errorSamples.slice(0, 3 - acc.errorSamples.length));
  acc.frontCpu += after.front.cpu - before.front.cpu;
  acc.kidsCpu += Math.max(0, after.front.kidsCpu - before.front.kidsCpu);
  if (after.backend) acc.backendCpu += after.backend.cpu - before.backend.cpu;
  acc.clientCpu += run.clientCpuMs;
}

function finish(acc, target) {
  const s = summarize(acc.latencies);
  const snap = snapshot(target);
  const backendRss = target.backendProc ? snap.backend.rss : snap.front.kidsRss;
  return {
    calls: acc.calls,
    callsPerSec: (acc.calls / acc.elapsedMs) * 1000,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    errors: acc.errors,
    wrong: acc.wrong,
    errorSamples: acc.errorSamples,
    // Server side: the process the client talks to, and whatever serves behind it.
    cpuPerCall: acc.frontCpu / acc.calls,
    backendCpuPerCall: (target.backendProc ? acc.backendCpu : acc.kidsCpu) / acc.calls,
    clientCpuPerCall: acc.clientCpu / acc.calls,
    rssMiB: snap.front.rss,
    peakRssMiB: snap.front.hwm,
    backendRssMiB: backendRss,
    backendProcesses: target.backendProc ? 1 : snap.front.kids,
  };
}

/**
 * Runs one scenario against every target that speaks its era: warm-up, then `rounds` rounds in
 * which the target order rotates (A B C D, B C D A, …) so drift and noise spread over all of them.
 */
async function runScenario(sc, targets, opts) {
  const active = targets.filter((t) => t.sessions[sc.era]);
  log(`${sc.key}: ${active.map((t) => t.key).join(', ')} × ${sc.calls} calls, ${opts.rounds} rounds`);
  const workload = sc.workload;
  for (const t of active) {
    const sessions = t.sessions[sc.era].slice(0, sc.concurrency);
    const w = await runLoad({ sessions, concurrency: sc.concurrency, calls: Math.min(opts.warmup, sc.calls), workload });
    if (w.errors) log(`  warm-up ${t.key}: ${w.errors} errors (${w.errorSamples[0]})`);
  }
  const accs = new Map(active.map((t) => [t.key, newAcc()]));
  const perRound = Math.ceil(sc.calls / opts.rounds);
  // Other work on the machine while this scenario ran: all busy CPU less ours (targets, backends, client).
  let ours = 0;
  let wall = 0;
  const machine0 = machineBusyMs();
  for (let r = 0; r < opts.rounds; r++) {
    if (interrupted) throw new Error('interrupted');
    const order = active.map((_, i) => active[(i + r) % active.length]);
    for (const t of order) {
      const sessions = t.sessions[sc.era].slice(0, sc.concurrency);
      const before = snapshot(t);
      const run = await runLoad({ sessions, concurrency: sc.concurrency, calls: perRound, workload });
      const after = snapshot(t);
      addRun(accs.get(t.key), run, before, after);
      ours += after.front.cpu - before.front.cpu + Math.max(0, after.front.kidsCpu - before.front.kidsCpu) + (after.backend ? after.backend.cpu - before.backend.cpu : 0) + run.clientCpuMs;
      wall += run.elapsedMs;
    }
  }
  const otherCpu = Math.max(0, machineBusyMs() - machine0 - ours);
  const results = {};
  for (const t of active) results[t.key] = finish(accs.get(t.key), t);
  Object.defineProperty(results, 'otherLoad', { value: otherCpu / wall, enumerable: false });
  const direct = results.direct;
  for (const [k, r] of Object.entries(results)) {
    r.p50VsDirect = ratio(r.p50, direct?.p50);
    r.cpuVsDirect = ratio(r.cpuPerCall, direct?.cpuPerCall);
    if (r.errors) log(`  ${k}: ${r.errors} errors, e.g. ${r.errorSamples[0]}`);
  }
  return results;
}

async function openSessions(t, eras, count) {
  t.sessions = {};
  for (const era of eras) {
    const list = [];
    // One at a time: supergateway spawns a backend per session.
    for (let i = 0; i < count; i++) list.push(await new Session(t.url, era, `${t.key}-${i}`).open());
    t.sessions[era] = list;
  }
}

async function closeSessions(t) {
  for (const list of Object.values(t.sessions ?? {})) await Promise.all(list.map((s) => s.close()));
}

/** Fresh, distinct client sessions calling at once with unique payloads; counts misdelivered responses. */
async function wrongClientTest(t, era, calls) {
  const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => new Session(t.url, era, `isolation-${i}`).open()));
  try {
    // 32 calls in flight: 4 per client session.
    const run = await runLoad({ sessions: clients, concurrency: 32, calls, workload: echoWorkload('echo') });
    return { calls: run.calls, wrong: run.wrong, errors: run.errors, errorSamples: run.errorSamples };
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

/** Times tools/list on each target, alternating which goes first. */
async function timeLists(entries, repeats, expectCount) {
  const times = new Map(entries.map((e) => [e.key, []]));
  for (const e of entries) await e.list(); // warm-up
  for (let i = 0; i < repeats; i++) {
    const order = i % 2 === 0 ? entries : [...entries].reverse();
    for (const e of order) {
      const t0 = performance.now();
      const n = await e.list();
      times.get(e.key).push(performance.now() - t0);
      if (n !== expectCount) throw new Error(`${e.key}: tools/list returned ${n} tools, expected ${expectCount}`);
    }
  }
  return Object.fromEntries([...times].map(([k, v]) => [k, { median: median(v), p90: summarize(v).p90, n: v.length }]));
}

// ---- report --------------------------------------------------------------------------------

function scenarioTable(results, labels) {
  const rows = Object.entries(results).map(([k, r]) => [
    labels[k] ?? k,
    fmt(r.callsPerSec, 0),
    fmt(r.p50),
    fmt(r.p99),
    k === 'direct' ? '1.00' : fmt(r.p50VsDirect),
    fmt(r.cpuPerCall, 3),
    k === 'direct' ? '1.00' : fmt(r.cpuVsDirect),
    r.backendProcesses ? fmt(r.backendCpuPerCall, 3) : '–',
    fmt(r.rssMiB, 0),
    r.backendProcesses ? `${fmt(r.backendRssMiB, 0)} (${r.backendProcesses})` : '–',
    r.errors || r.wrong ? `${r.errors} / ${r.wrong}` : '0 / 0',
  ]);
  return markdownTable(['target', 'calls/s', 'p50 ms', 'p99 ms', 'p50 ÷ direct', 'server CPU ms/call', 'CPU ÷ direct', 'backend CPU ms/call', 'RSS MiB', 'backend RSS MiB (procs)', 'errors / wrong'], rows);
}

function verdict(ok) {
  return ok === undefined ? 'n/a' : ok ? 'PASS' : 'FAIL';
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist/server/gateway.js')) || !existsSync(join(ROOT, 'dist/commands/serve.js'))) {
    throw new Error('dist/ is missing: build first with `npx tsc -p tsconfig.json`');
  }
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(LOGS, { recursive: true });
  const began = performance.now();
  
  const results = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memGiB: Math.round(os.totalmem() / 2 ** 30),
      commit: gitCommit(),
      options: opts,
      // Other work on the machine skews latency (CPU time per call much less): it is reported with the numbers.
      loadAvgAtStart: os.loadavg()[0],
    },
  };

  // Targets for the load scenarios. Each has its own processes, so /proc attributes CPU cleanly.
  log('starting targets');
  const direct = await startEcho('direct', [], opts);
  const ghStdio = await startGatehouse('gatehouse-stdio', gatehouseEchoConfig(stdioEcho()), opts);
  const backendHttp = await startEcho('echo-http-backend', [], opts);
  const ghHttp = await startGatehouse('gatehouse-http', gatehouseEchoConfig({ type: 'http', url: backendHttp.url, transport: 'streamable-http' }), opts);
  const targets = [
    { key: 'direct', label: 'direct (echo, streamable HTTP)', ...direct, eras: ['legacy', 'modern'] },
    { key: 'gatehouse', label: 'Gatehouse → stdio echo', ...ghStdio, eras: ['legacy', 'modern'] },
    { key: 'gatehouse-http', label: 'Gatehouse → HTTP echo', ...ghHttp, backendProc: backendHttp.proc, eras: ['legacy', 'modern'] },
  ];
  if (opts.metricsOff) {
    const off = gatehouseEchoConfig(stdioEcho());
    const ghOff = await startGatehouse('gatehouse-metrics-off', { ...off, gateway: { ...off.gateway, metrics: { enabled: false } } }, opts);
    targets.push({ key: 'gatehouse-metrics-off', label: 'Gatehouse → stdio echo, metrics off', ...ghOff, eras: ['legacy', 'modern'] });
  }
  if (opts.fastPathOff) {
    const slow = await startGatehouse('gatehouse-fast-path-off', gatehouseEchoConfig(stdioEcho()), { ...opts, env: { GATEHOUSE_FAST_PATH: '0' } });
    targets.push({ key: 'gatehouse-fast-path-off', label: 'Gatehouse → stdio echo, fast path off', ...slow, eras: ['legacy', 'modern'] });
  }
  if (opts.peers) {
    const sg = await startSupergateway('supergateway');
    const mp = await startMcpProxy('mcp-proxy');
    targets.push({ key: 'supergateway', label: 'supergateway --stateful → stdio echo', ...sg, eras: ['legacy'] });
    // mcp-proxy also serves 2026-07-28 (its --modern is on by default).
    targets.push({ key: 'mcp-proxy', label: 'mcp-proxy → stdio echo', ...mp, eras: ['legacy', 'modern'] });
  }
  const labels = Object.fromEntries(targets.map((t) => [t.key, t.label]));
  results.startup = Object.fromEntries(targets.filter((t) => t.readyMs !== undefined).map((t) => [t.key, { readyMs: t.readyMs }]));

  log('opening sessions');
  for (const t of targets) await openSessions(t, t.eras, opts.quick ? 8 : 16);

  // One warm-up per target and era before anything is timed, so JIT warm-up lands on no scenario.
  log('warming up');
  for (const t of targets) {
    for (const era of t.eras) {
      const w = await runLoad({ sessions: t.sessions[era], concurrency: t.sessions[era].length, calls: opts.globalWarmup, workload: echoWorkload('echo') });
      if (w.errors) log(`  warm-up ${t.key} (${era}): ${w.errors} errors (${w.errorSamples[0]})`);
    }
  }

  // Live JS heap (after a full GC) before and after the load: growth per call would be a leak.
  const gatehouses = targets.filter((t) => t.proc.memFile);
  const heapBefore = {};
  for (const t of gatehouses) heapBefore[t.key] = (await memoryBreakdown(t.proc)).heapLive;
  let callsSoFar = 0;

  const echo = echoWorkload('echo');
  const blob = blobWorkload('blob', BLOB_TEXT);
  const scenarios = [
    { key: 'legacy echo c8', era: 'legacy', workload: echo, concurrency: 8, calls: opts.calls },
    { key: 'legacy echo c16', era: 'legacy', workload: echo, concurrency: 16, calls: opts.calls, full: true },
    { key: 'legacy blob 16KiB c8', era: 'legacy', workload: blob, concurrency: 8, calls: Math.ceil(opts.calls / 2) },
    { key: 'modern echo c8', era: 'modern', workload: echo, concurrency: 8, calls: opts.calls },
    { key: 'modern echo c16', era: 'modern', workload: echo, concurrency: 16, calls: opts.calls, full: true },
    { key: 'modern blob 16KiB c8', era: 'modern', workload: blob, concurrency: 8, calls: Math.ceil(opts.calls / 2), full: true },
  ].filter((sc) => (!opts.quick || !sc.full) && (!opts.scenarios || new RegExp(opts.scenarios).test(sc.key)));
  results.scenarios = {};
  for (const sc of scenarios) {
    const loadAvg = os.loadavg()[0];
    const r = await runScenario(sc, targets, opts);
    results.scenarios[sc.key] = { era: sc.era, concurrency: sc.concurrency, calls: sc.calls, loadAvg, otherCpus: r.otherLoad, results: r };
    callsSoFar += sc.calls + opts.warmup;
  }
  results.heapGrowth = {};
  for (const t of gatehouses) {
    const after = (await memoryBreakdown(t.proc)).heapLive;
    results.heapGrowth[t.key] = { liveHeapBeforeMiB: heapBefore[t.key], liveHeapAfterMiB: after, calls: callsSoFar, kibPer1000Calls: ((after - heapBefore[t.key]) * 1024 * 1000) / callsSoFar };
  }

  log('wrong-client test');
  results.isolation = {};
  for (const t of targets) {
    for (const era of t.eras) {
      results.isolation[`${t.key} (${era})`] = await wrongClientTest(t, era, opts.wrongClientCalls);
    }
  }

  for (const t of targets) await closeSessions(t);
  await Promise.all(targets.map((t) => stop(t.proc, opts.profile ? 15_000 : 3_000)));
  await stop(backendHttp.proc, opts.profile ? 15_000 : 3_000);

  // tools/list of one backend with 500 tools: served from Gatehouse's catalog vs the server itself.
  log('tools/list: 500 tools');
  {
    const d = await startEcho('direct-500', ['--tools', '500']);
    const g = await startGatehouse('gatehouse-500', gatehouseEchoConfig(stdioEcho(['--tools', '500'])), opts);
    const entries = [];
    for (const era of ['legacy', 'modern']) {
      const ds = await new Session(d.url, era, 'list-direct').open();
      const gs = await new Session(g.url, era, 'list-gatehouse').open();
      entries.push({ key: `direct (${era})`, list: async () => (await ds.listTools()).length, close: () => ds.close() });
      entries.push({ key: `gatehouse (${era})`, list: async () => (await gs.listTools()).length, close: () => gs.close() });
    }
    const times = await timeLists(entries, opts.listRepeats, 500);
    for (const e of entries) await e.close();
    results.toolsList500 = { times, gatewayRssMiB: sample(g.proc.pid).rss, readyMs: g.readyMs };
    await Promise.all([stop(d.proc), stop(g.proc, opts.profile ? 15_000 : 3_000)]);
  }

  // What Gatehouse costs before any backend: the floor under every RSS figure.
  log('empty gateway');
  {
    const g = await startGatehouse('gatehouse-empty', { backends: {} }, opts);
    const s = await new Session(g.url, 'legacy', 'empty').open();
    await s.listTools();
    await s.close();
    results.emptyGateway = { readyMs: g.readyMs, rssMiB: sample(g.proc.pid).rss, memory: await memoryBreakdown(g.proc) };
    await stop(g.proc, opts.profile ? 15_000 : 3_000);
  }

  // Ten stdio backends of 200 tools each, shared isolation: readiness, tools/list, RSS.
  log('10 backends × 200 tools');
  {
    const backends = {};
    for (let i = 1; i <= 10; i++) backends[`b${String(i).padStart(2, '0')}`] = stdioEcho(['--tools', '200']);
    const g = await startGatehouse('gatehouse-10x200', { backends }, opts);
    const d = await startEcho('direct-200', ['--tools', '200']);
    const gs = await new Session(g.url, 'legacy', 'list10-gatehouse').open();
    const ds = await new Session(d.url, 'legacy', 'list10-direct').open();
    const rssReady = sample(g.proc.pid);
    // What a client without a gateway does: list each of the ten servers (here one server, ten times).
    const entries = [
      { key: 'gatehouse: 10 × 200 in one list', list: async () => (await gs.listTools()).length },
      {
        key: 'direct: 10 lists of 200, one after another',
        list: async () => {
          let n = 0;
          for (let i = 0; i < 10; i++) n += (await ds.listTools()).length;
          return n;
        },
      },
    ];
    const times = await timeLists(entries, opts.listRepeats, 2000);
    // Spread calls over every backend so each shared connection has carried traffic.
    const sessions = await Promise.all(Array.from({ length: 8 }, (_, i) => new Session(g.url, 'legacy', `ten-${i}`).open()));
    const names = Object.keys(backends);
    const load = await runLoad({
      sessions,
      concurrency: 8,
      calls: opts.tenBackendCalls,
      workload: { ...echoWorkload(), tool: (w, seq) => `${names[(w + seq) % names.length]}_echo` },
    });
    await Promise.all(sessions.map((s) => s.close()));
    const after = sample(g.proc.pid);
    const memory = await memoryBreakdown(g.proc);
    results.tenBackends = {
      memory,
      readyMs: g.readyMs,
      tools: 2000,
      listTimes: times,
      rssAfterReadyMiB: rssReady.rss,
      rssMiB: after.rss,
      peakRssMiB: after.hwm,
      backendProcesses: after.kids,
      backendRssMiB: after.kidsRss,
      calls: load.calls,
      errors: load.errors,
      wrong: load.wrong,
      p50: summarize(load.latencies).p50,
    };
    await gs.close();
    await ds.close();
    await Promise.all([stop(d.proc), stop(g.proc, opts.profile ? 15_000 : 3_000)]);
  }

  results.meta.durationSec = (performance.now() - began) / 1000;
  results.meta.loadAvgAtEnd = os.loadavg()[0];
  results.targets = evaluateTargets(results);
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${renderReport(results, labels)}\n`);
  log(`done in ${fmt(results.meta.durationSec, 0)} s; JSON in .bench-out/results.json, logs in .bench-out/mcp/logs/`);
}

function evaluateTargets(res) {
  // The goals of the fast-path issue: ahead of every peer on a stdio backend, near direct on HTTP.
  const out = [];
  for (const [key, sc] of Object.entries(res.scenarios)) {
    if (!key.includes('echo')) continue;
    const g = sc.results.gatehouse;
    const gh = sc.results['gatehouse-http'];
    if (g) {
      out.push({ target: `HTTP in, stdio backend: p50 ≤ 1.0× direct (${key})`, value: g.p50VsDirect, limit: 1.0, ok: g.p50VsDirect <= 1.0 });
      out.push({ target: `HTTP in, stdio backend: gateway CPU/call ≤ 0.8× direct server's (${key})`, value: g.cpuVsDirect, limit: 0.8, ok: g.cpuVsDirect <= 0.8 });
    }
    if (gh) {
      out.push({ target: `HTTP in, HTTP backend: p50 ≤ 1.2× direct (${key})`, value: gh.p50VsDirect, limit: 1.2, ok: gh.p50VsDirect <= 1.2 });
      out.push({ target: `HTTP in, HTTP backend: gateway CPU/call ≤ 1.5× direct server's (${key})`, value: gh.cpuVsDirect, limit: 1.5, ok: gh.cpuVsDirect <= 1.5 });
    }
  }
  const ten = res.tenBackends;
  // Idle RSS (goal 80 MB with 10 backends) is measured by bench/startup.mjs, 12 s after ready.
  out.push({ target: 'Gateway RSS ≤ 120 MB with 10 backends after lists and calls (shared isolation)', value: ten.rssMiB, unit: 'MiB', limit: 120, ok: ten.rssMiB <= 120 });
  for (const [key, sc] of Object.entries(res.scenarios)) {
    const g = sc.results.gatehouse;
    if (g && key.includes('c16')) out.push({ target: `Gateway RSS ≤ 120 MB under load (${key})`, value: g.rssMiB, unit: 'MiB', limit: 120, ok: g.rssMiB <= 120 });
  }
  for (const era of ['legacy', 'modern']) {
    const t = res.toolsList500.times;
    const r = ratio(t[`gatehouse (${era})`].median, t[`direct (${era})`].median);
    out.push({ target: `tools/list of 500 tools ≤ 0.3× direct (${era})`, value: r, limit: 0.3, ok: r <= 0.3 });
  }
  let wrong = ten.wrong;
  for (const sc of Object.values(res.scenarios)) for (const r of Object.values(sc.results)) wrong += r.wrong;
  for (const r of Object.values(res.isolation)) wrong += r.wrong;
  out.push({ target: 'Responses that reached the wrong client = 0 (every target, every call)', value: wrong, limit: 0, ok: wrong === 0 });
  return out;
}

function renderReport(res, labels) {
  const m = res.meta;
  const lines = [];
  lines.push(`## Gatehouse benchmark`);
  lines.push('');
  lines.push(`${m.date} · Node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${m.memGiB} GiB · commit ${m.commit} · ${m.options.calls} calls per target per echo scenario in ${m.options.rounds} alternating rounds${m.options.quick ? ' (--quick)' : ''} · ${fmt(m.durationSec, 0)} s`);
  lines.push('');
  // The load average counts the benchmark's own processes too; other work is what /proc/stat shows busy beyond ours.
  const other = Math.max(0, ...Object.values(res.scenarios).map((sc) => sc.otherCpus ?? 0));
  const busy = other > 0.25 * m.cpus;
  lines.push(`Load average (1 min, the benchmark's own processes included) ${fmt(m.loadAvgAtStart, 1)} at start, ${fmt(m.loadAvgAtEnd, 1)} at end. Other work on the machine used up to ${fmt(other, 2)} of ${m.cpus} CPUs during the load scenarios${busy ? ' — **busy: latencies are skewed, CPU per call less so**' : ''}.`);
  lines.push('');
  lines.push('Latency is per tools/call as the load client sees it. Server CPU is utime+stime of the process the client talks to (/proc), per call; backend CPU is what serves behind it (the stdio child(ren) or the HTTP echo server).');
  for (const [key, sc] of Object.entries(res.scenarios)) {
    lines.push('');
    lines.push(`### ${key}`);
    lines.push('');
    lines.push(scenarioTable(sc.results, labels));
    lines.push('');
    lines.push(`Other work on the machine meanwhile: ${fmt(sc.otherCpus, 2)} of ${m.cpus} CPUs.`);
  }
  lines.push('');
  lines.push('### Startup (spawn → ready)');
  lines.push('');
  const startRows = Object.entries(res.startup).map(([k, v]) => [labels[k] ?? k, fmt(v.readyMs, 0)]);
  startRows.push(['Gatehouse, 1 stdio backend of 500 tools', fmt(res.toolsList500.readyMs, 0)]);
  startRows.push(['Gatehouse, 10 stdio backends × 200 tools', fmt(res.tenBackends.readyMs, 0)]);
  lines.push(markdownTable(['process', 'ms to ready'], startRows));
  lines.push('');
  lines.push('Gatehouse: spawn → /readyz 200 with every backend ready. Peers: spawn → first HTTP answer (they listen once they can serve; supergateway starts its backend per session).');
  lines.push('');
  lines.push('### tools/list');
  lines.push('');
  const listRows = [];
  for (const [k, v] of Object.entries(res.toolsList500.times)) listRows.push([`500 tools, ${k}`, fmt(v.median), fmt(v.p90)]);
  for (const [k, v] of Object.entries(res.tenBackends.listTimes)) listRows.push([k, fmt(v.median), fmt(v.p90)]);
  lines.push(markdownTable(['case', 'median ms', 'p90 ms'], listRows));
  lines.push('');
  lines.push('### Gateway memory: 10 stdio backends × 200 tools (shared isolation), and no backends');
  lines.push('');
  const ten = res.tenBackends;
  const empty = res.emptyGateway;
  const memCols = (m) => [fmt(m?.heapUsed, 1), fmt(m?.heapLive, 1), fmt(m?.heapTotal, 1), fmt(m?.external, 1)];
  lines.push(
    markdownTable(
      ['gateway', 'RSS MiB after ready', 'RSS MiB after lists + calls', 'peak RSS MiB', 'JS heap used', 'live after GC', 'JS heap committed', 'external', 'backends RSS MiB (procs)'],
      [
        ['10 backends × 200 tools', fmt(ten.rssAfterReadyMiB, 0), fmt(ten.rssMiB, 0), fmt(ten.peakRssMiB, 0), ...memCols(ten.memory), `${fmt(ten.backendRssMiB, 0)} (${ten.backendProcesses})`],
        ['no backends (floor)', '–', fmt(empty.rssMiB, 0), '–', ...memCols(empty.memory), '–'],
      ],
    ),
  );
  lines.push('');
  lines.push(`Through the 10-backend gateway: ${ten.calls} echo calls spread over all backends, p50 ${fmt(ten.p50)} ms, ${ten.errors} errors, ${ten.wrong} wrong.`);
  lines.push('');
  lines.push('Live JS heap of the load gateways (after a full GC) before and after every load scenario:');
  lines.push('');
  lines.push(markdownTable(['gateway', 'calls', 'live heap before MiB', 'after MiB', 'KiB per 1,000 calls'], Object.entries(res.heapGrowth).map(([k, v]) => [labels[k] ?? k, v.calls, fmt(v.liveHeapBeforeMiB, 1), fmt(v.liveHeapAfterMiB, 1), fmt(v.kibPer1000Calls, 1)])));
  lines.push('');
  lines.push('### Responses at the wrong client');
  lines.push('');
  lines.push('8 fresh sessions per target, 4 calls in flight each, every payload unique; a response whose text is not its caller\'s own payload counts.');
  lines.push('');
  lines.push(markdownTable(['target (era)', 'calls', 'wrong', 'errors'], Object.entries(res.isolation).map(([k, v]) => [k, v.calls, v.wrong, v.errors])));
  lines.push('');
  lines.push('### Targets');
  lines.push('');
  lines.push(markdownTable(['target', 'measured', 'result'], res.targets.map((t) => [t.target, t.unit ? `${fmt(t.value, 0)} ${t.unit}` : t.limit === 0 ? String(t.value) : `${fmt(t.value)}×`, verdict(t.ok)])));
  return lines.join('\n');
}

function gitCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim() ? '+dirty src' : '';
    return `${sha}${dirty ? ` (${dirty})` : ''}`;
  } catch {
    return 'unknown';
  }
}

// ---- lifecycle -----------------------------------------------------------------------------

let interrupted = false;
const onSignal = (sig) => {
  if (interrupted) return;
  interrupted = true;
  stopLoad();
  log(`${sig}: stopping every process the benchmark started`);
  stopAll().finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', killAllNow);
// Bounded: a wedged target cannot keep the benchmark (or its children) alive.
const LIMIT_MS = 15 * 60_000;
setTimeout(() => {
  log(`gave up after ${LIMIT_MS / 60_000} minutes`);
  killAllNow();
  process.exit(1);
}, LIMIT_MS).unref();

try {
  await main();
} catch (e) {
  log(`failed: ${e?.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await stopAll();
  await agent.close().catch(() => {});
}
