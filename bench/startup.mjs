#!/usr/bin/env node
// Start-up and idle memory of `gatehouse serve`, against the backend's own start (issue 14):
//
//   node bench/startup.mjs [--rounds N] [--node-args "ARGS"]... [--tree DIR]... [--json FILE]
//
// --node-args: a variant of node flags for the Gatehouse processes (repeatable; default none).
// --tree: another built checkout to measure side by side with this one (repeatable), e.g. the
// commit before a change; every variant runs against every tree, alternating within each round.
//
// For each round, in alternating order:
//   - echo own start: spawn the stdio echo backend, speak to it as a dual-era client does
//     (`server/discover`, then `tools/list`); spawn → tools listed. The yardstick.
//   - gatehouse 1 × echo: spawn `gatehouse serve` with that backend → /readyz 200, backend ready
//     (wall time, and the CPU the gateway process spent), then `gatehouse --help`.
// Then, once per target: 10 stdio echo backends × 200 tools (spawn → ready, RSS 12 s after ready and
// its make-up). `node -e 0` is the floor for --help.
// Every process started is in its own group and stopped (bench/lib/proc.mjs).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuMs, freePort, killAllNow, memMiB, onLines, start, stop, stopAll, waitUntil } from './lib/proc.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUN = join(ROOT, '.bench-out/startup');
const ECHO = join(ROOT, 'bench/servers/echo-server.mjs');
const MEMORY_PROBE = join(ROOT, 'bench/lib/memory-probe.mjs');
const NODE = process.execPath;

function parseOptions(argv) {
  const o = { rounds: 5, variants: [], trees: [ROOT], json: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--node-args') o.variants.push(argv[++i] ?? '');
    else if (a === '--json') o.json = argv[++i];
    else if (a === '--tree') {
      const t = argv[++i];
      if (!t || !existsSync(join(t, 'dist/commands/serve.js'))) throw new Error(`--tree ${t}: no built checkout there (dist/commands/serve.js); build it with npx tsc -p tsconfig.json`);
      o.trees.push(t);
    }
    else throw new Error(`unknown option ${a}; usage: node bench/startup.mjs [--rounds N] [--node-args "ARGS"]... [--tree DIR]... [--json FILE]`);
  }
  if (!Number.isInteger(o.rounds) || o.rounds < 1) throw new Error('--rounds needs a positive integer');
  if (!o.variants.length) o.variants.push('');
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const fmt = (n) => (Number.isFinite(n) ? n.toFixed(0) : '–');

/** Spawn the echo backend and talk to it over stdio: spawn → its tools/list answer, in ms. */
async function echoOwnStart(extra = []) {
  const t0 = performance.now();
  const child = spawn(NODE, [ECHO, ...extra], { stdio: ['pipe', 'pipe', 'ignore'] });
  try {
    const answers = new Map();
    onLines(child.stdout, (line) => {
      const m = JSON.parse(line);
      if (m.id !== undefined) answers.get(m.id)?.(m);
    });
    const ask = (id, method, params) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`echo backend did not answer ${method} in 30 s`)), 30_000);
        answers.set(id, (m) => (clearTimeout(timer), resolve(m)));
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      });
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '0' }, 'io.modelcontextprotocol/clientCapabilities': {} };
    const d = await ask(1, 'server/discover', { _meta: meta });
    if (d.error) throw new Error(`echo backend refused server/discover: ${JSON.stringify(d.error)}`);
    const l = await ask(2, 'tools/list', { _meta: meta });
    if (!l.result?.tools?.length) throw new Error(`echo backend listed no tools: ${JSON.stringify(l).slice(0, 200)}`);
    return performance.now() - t0;
  } finally {
    child.kill('SIGKILL');
  }
}

const yaml = (config) => JSON.stringify(config); // JSON is YAML

async function readyz(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 0, body: {} };
  }
}

/** Starts `gatehouse serve`; resolves when /readyz is 200 and every backend is ready. */
async function startGatehouse(name, backends, nodeArgs, tree) {
  const port = await freePort();
  const dir = join(RUN, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'gatehouse.yaml');
  writeFileSync(file, yaml({ version: 1, gateway: { prefixMode: Object.keys(backends).length > 1 ? 'always' : 'never' }, backends }));
  const memFile = join(dir, 'memory.json');
  const args = [...nodeArgs, '--expose-gc', '--import', MEMORY_PROBE, join(tree, 'bin/run.js'), 'serve', '--config', file, '--port', String(port), '--no-tui', '--log-format', 'json'];
  const proc = start(name, NODE, args, {
    logFile: join(dir, 'serve.log'),
    env: { ...process.env, GATEHOUSE_CONFIG_DIR: join(dir, 'store'), GATEHOUSE_BENCH_MEMFILE: memFile, NO_COLOR: '1' },
  });
  proc.memFile = memFile;
  const want = Object.keys(backends).length;
  await waitUntil(
    `${name} ready`,
    async () => {
      const r = await readyz(port);
      const states = Object.values(r.body.backends ?? {});
      return r.status === 200 && states.length === want && states.every((b) => b.state === 'ready') ? true : undefined;
    },
    { proc, timeoutMs: 60_000, everyMs: 5 },
  );
  // CPU the gateway process spent getting there (children not included): less skewed by a busy machine.
  return { proc, readyMs: performance.now() - proc.spawnedAt, cpuMs: cpuMs(proc.pid) };
}

async function memoryBreakdown(proc) {
  rmSync(proc.memFile, { force: true });
  process.kill(proc.pid, 'SIGUSR2');
  return waitUntil('memory probe', () => existsSync(proc.memFile) && JSON.parse(readFileSync(proc.memFile, 'utf8')), { proc, timeoutMs: 10_000 });
}

/** Wall time of a short command, in ms. */
async function timeCommand(args) {
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const c = spawn(NODE, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}`))));
    c.on('error', reject);
  });
  return performance.now() - t0;
}

async function main() {
  const o = parseOptions(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist/commands/serve.js'))) throw new Error('dist/ is missing: build first with `npx tsc -p tsconfig.json`');
  rmSync(RUN, { recursive: true, force: true });
  mkdirSync(RUN, { recursive: true });
  const out = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAvgAtStart: os.loadavg()[0], rounds: o.rounds, variants: {} };
  // Every (variant, tree) pair is a target; rounds alternate their order.
  const targets = [];
  for (const variant of o.variants) for (const tree of o.trees) targets.push({ variant, tree, label: `${variant || '(default)'}${o.trees.length > 1 ? ` @ ${tree}` : ''}`, nodeArgs: variant.split(/\s+/).filter(Boolean), one: [], oneCpu: [], help: [] });
  const own = [];
  const floor = [];
  for (let r = 0; r < o.rounds; r++) {
    const order = r % 2 ? [...targets].reverse() : targets;
    own.push(await echoOwnStart());
    for (const [k, t] of order.entries()) {
      const g = await startGatehouse(`one-${r}-${k}`, { echo: { type: 'stdio', command: NODE, args: [ECHO] } }, t.nodeArgs, t.tree);
      t.one.push(g.readyMs);
      t.oneCpu.push(g.cpuMs);
      await stop(g.proc);
      t.help.push(await timeCommand([...t.nodeArgs, join(t.tree, 'bin/run.js'), '--help']));
    }
    own.push(await echoOwnStart());
    floor.push(await timeCommand(['-e', '0']));
  }
  out.echoOwnStartMs = median(own);
  out.nodeFloorMs = median(floor);
  process.stdout.write(`echo backend's own start (spawn → tools listed over stdio): ${fmt(out.echoOwnStartMs)} ms · node -e 0: ${fmt(out.nodeFloorMs)} ms\n`);
  for (const t of targets) {
    const ten = {};
    const backends = {};
    for (let i = 1; i <= 10; i++) backends[`b${String(i).padStart(2, '0')}`] = { type: 'stdio', command: NODE, args: [ECHO, '--tools', '200'] };
    const g = await startGatehouse('ten', backends, t.nodeArgs, t.tree);
    ten.readyMs = g.readyMs;
    // Idle: start-up garbage settles on V8's own schedule (the memory profile leans an idle gateway,
    // src/server/memory.ts; its shrink lands within seconds, not at once), so read RSS 12 s after ready
    // without forcing a GC.
    await sleep(12_000);
    ten.rssIdleMiB = memMiB(g.proc.pid).rss;
    ten.memory = await memoryBreakdown(g.proc);
    ten.rssAfterGcMiB = memMiB(g.proc.pid).rss;
    await stop(g.proc);
    const v = { oneBackendReadyMs: median(t.one), overOwnMs: median(t.one) - out.echoOwnStartMs, one: t.one, oneCpuMs: median(t.oneCpu), ten, helpMs: median(t.help), help: t.help };
    out.variants[t.label] = v;
    process.stdout.write(
      `${t.label}: 1 × echo ready ${fmt(v.oneBackendReadyMs)} ms (+${fmt(v.overOwnMs)} over the backend's own start; gateway CPU ${fmt(v.oneCpuMs)} ms) · ` +
        `10 × 200 ready ${fmt(ten.readyMs)} ms, idle RSS ${fmt(ten.rssIdleMiB)} MiB (after GC ${fmt(ten.rssAfterGcMiB)}; heap used ${ten.memory.heapUsed}, live ${ten.memory.heapLive}, total ${ten.memory.heapTotal}, external ${ten.memory.external}) · ` +
        `--help ${fmt(v.helpMs)} ms\n`,
    );
  }
  out.loadAvgAtEnd = os.loadavg()[0];
  if (o.json) writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`load average ${out.loadAvgAtStart.toFixed(2)} → ${out.loadAvgAtEnd.toFixed(2)}\n`);
}

process.on('SIGINT', () => {
  killAllNow();
  process.exit(130);
});
main().then(
  () => stopAll(),
  async (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    await stopAll();
    process.exitCode = 1;
  },
);
