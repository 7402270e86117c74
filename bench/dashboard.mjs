#!/usr/bin/env node
// The dashboard's cost (issue 13): `gatehouse serve` with its dashboard drawing into a real
// pseudo-terminal (tmux) vs `serve --no-tui` (one log line per event to a file), both under the same
// fixed open-loop rate of tools/call. Both gateways run for the whole benchmark; each rate gets
// several rounds, and each round loads one mode and then the other, in alternating order, so that
// what other work on a shared machine does falls on both modes alike. Per round it takes the serve
// process's CPU per completed call (utime+stime from /proc, all threads; the echo backend is reported
// apart) and the ratio dashboard ÷ --no-tui; the result is the median of those ratios, with every
// round's ratio and the spread. It also counts the frames Ink wrote to the terminal, and samples RSS
// every second and the live heap (after a full GC) at the end of each round, to show memory is bounded.
// Budget: at most +10% CPU per call, at most 10 frames/s, bounded memory.
//
//   node bench/dashboard.mjs [--rates 150,200] [--rounds 5] [--seconds 10] [--warmup 3] [--settle 2] [--json]
//
// Markdown to stdout, progress to stderr, results to .bench-out/dashboard.json. Binds 127.0.0.1
// only; every process and the private tmux server it starts are stopped at the end and on error.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { Session, resultText } from './lib/mcp-http.mjs';
import { cpuMs, descendants, freePort, killAllNow, machineBusyMs, memMiB, start, stopAll, waitUntil } from './lib/proc.mjs';
import { fmt, markdownTable, median } from './lib/stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.bench-out');
const RUN = join(OUT, 'dashboard');
const ECHO = join(ROOT, 'bench/servers/echo-server.mjs');
const MEMORY_PROBE = join(ROOT, 'bench/lib/memory-probe.mjs');
const NODE = process.execPath;
const TMUX_SOCKET = `gatehouse-bench-${process.pid}`;
// Every frame Ink writes redraws the header, whose second line starts with the call count.
const FRAME_MARK = /calls [\d,.k]+: /g;
const USAGE = 'usage: node bench/dashboard.mjs [--rates 150,200] [--rounds 5] [--seconds 10] [--warmup 3] [--settle 2] [--json]';

function options(argv) {
  const o = { rates: [150, 200], rounds: 5, seconds: 10, warmup: 3, settle: 2, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (v = argv[++i]) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number, got ${v}\n${USAGE}`);
      return n;
    };
    if (a === '--rates' || a === '--rate') o.rates = String(argv[++i] ?? '').split(',').map((v) => num(v));
    else if (a === '--rounds') o.rounds = Math.round(num());
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--warmup') o.warmup = num();
    else if (a === '--settle') o.settle = Number(argv[++i]) >= 0 ? Number(argv[i]) : num(argv[i]);
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

// The private tmux server inherits this; Ink draws only a final frame when it thinks it runs in CI.
const TMUX_ENV = { ...process.env, TERM: 'xterm-256color', CI: '0', CONTINUOUS_INTEGRATION: '0', TMUX: '' };
const tmux = (...args) => execFileSync('tmux', ['-L', TMUX_SOCKET, ...args], { encoding: 'utf8', env: TMUX_ENV, stdio: 'pipe' });
const log = (s) => process.stderr.write(`${s}\n`);
const q = (a) => `'${a.replace(/'/g, `'\\''`)}'`;

async function ready(port) {
  await waitUntil(
    `gateway on ${port}`,
    async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        return r.status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 60_000, everyMs: 50 },
  );
}

/** Starts serve one way; returns its pid, URL, memory probe file and (tui) the terminal's output file. */
async function startServe(mode) {
  const dir = join(RUN, mode);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'gatehouse.yaml');
  writeFileSync(config, toYaml({ version: 1, gateway: { prefixMode: 'never' }, backends: { echo: { type: 'stdio', command: NODE, args: [ECHO] } } }));
  const port = await freePort();
  const memFile = join(dir, 'memory.json');
  const env = { GATEHOUSE_CONFIG_DIR: join(dir, 'store'), GATEHOUSE_BENCH_MEMFILE: memFile };
  // The probe answers SIGUSR2 with memoryUsage and, thanks to --expose-gc, the live heap after a full GC.
  const prof = process.env.GATEHOUSE_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  const nodeArgs = [...prof, '--expose-gc', '--import', MEMORY_PROBE];
  const args = [join(ROOT, 'bin/run.js'), 'serve', '--config', config, '--port', String(port)];
  if (mode === 'no-tui') {
    const proc = start('serve-no-tui', NODE, [...nodeArgs, ...args, '--no-tui'], { env: { ...process.env, ...env, NO_COLOR: '1' }, logFile: join(dir, 'serve.log') });
    await ready(port);
    return { mode, pid: proc.pid, url: `http://127.0.0.1:${port}/mcp`, memFile };
  }
  const screen = join(dir, 'terminal.out');
  const envText = Object.entries(env).map(([k, v]) => `${k}=${q(v)}`).join(' ');
  const command = [NODE, ...nodeArgs, ...args].map(q).join(' ');
  // exec: the pane's process is serve itself, so its pid is the one to measure.
  tmux('new-session', '-d', '-s', 'bench', '-x', '120', '-y', '30', `${envText} exec ${command} 2>${q(join(dir, 'stderr.log'))}`, ';', 'set-option', '-t', 'bench', 'status', 'off');
  tmux('pipe-pane', '-o', '-t', 'bench', `cat >> ${q(screen)}`);
  const pid = Number(tmux('list-panes', '-t', 'bench', '-F', '#{pane_pid}').trim());
  await ready(port);
  return { mode, pid, url: `http://127.0.0.1:${port}/mcp`, screen, memFile };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const fileSize = (f) => (f && existsSync(f) ? statSync(f).size : 0);

function frames(file, fromByte, toByte) {
  if (!file || !existsSync(file)) return 0;
  const text = readFileSync(file).subarray(fromByte, toByte).toString('utf8');
  return text.match(FRAME_MARK)?.length ?? 0;
}

/** CPU (ms) of the serve process and, apart, of its descendants (the echo backend). */
function cpuOf(pid) {
  let kids = 0;
  for (const k of descendants(pid)) {
    const c = cpuMs(k);
    if (Number.isFinite(c)) kids += c;
  }
  return { serve: cpuMs(pid), kids };
}

/** Asks the memory probe for a reading (after a full GC) and waits for it. */
async function heapOf(target) {
  const before = existsSync(target.memFile) ? statSync(target.memFile).mtimeMs : 0;
  process.kill(target.pid, 'SIGUSR2');
  try {
    await waitUntil('memory probe', () => (existsSync(target.memFile) && statSync(target.memFile).mtimeMs !== before ? true : undefined), { timeoutMs: 10_000, everyMs: 20 });
    return JSON.parse(readFileSync(target.memFile, 'utf8'));
  } catch {
    return undefined;
  }
}

/** tools/call at a fixed rate (open loop: the schedule does not wait for answers), bounded in flight. */
async function load(session, rate, seconds) {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  let inFlight = 0;
  let errors = 0;
  let done = 0;
  const pending = new Set();
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 1) await sleep(wait);
    if (inFlight >= 64) {
      errors++; // the gateway fell this far behind: count it, keep the schedule
      continue;
    }
    inFlight++;
    const text = `c${i}`;
    const p = session
      .callTool('echo', { text })
      .then((r) => {
        if (resultText(r) !== text) errors++;
        else done++;
      })
      .catch(() => errors++)
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.all([...pending]);
  return { calls: done, errors, elapsedMs: performance.now() - t0 };
}

/** One mode's window of one round: CPU per completed call, frames, machine load meanwhile. */
async function window(target, rate, seconds, settle) {
  // The same load for a moment first, unmeasured: each window then measures sustained load, not the
  // first second of a burst after the mode sat idle through the other's window (the dashboard draws
  // its quiet-cadence frames until the store sees the load; JIT and caches are cold again).
  if (settle > 0) await load(target.session, rate, settle);
  const offset = fileSize(target.screen);
  const busy0 = machineBusyMs();
  const c0 = cpuOf(target.pid);
  const r = await load(target.session, rate, seconds);
  const c1 = cpuOf(target.pid);
  const busy = machineBusyMs() - busy0;
  const cpu = c1.serve - c0.serve;
  const backend = c1.kids - c0.kids;
  const f = target.screen ? frames(target.screen, offset, fileSize(target.screen)) : undefined;
  const heap = await heapOf(target);
  return {
    ...r,
    cpuMs: cpu,
    cpuPerCallUs: (cpu * 1000) / r.calls,
    backendPerCallUs: (backend * 1000) / r.calls,
    // What everything else on the machine used meanwhile, in CPUs (of 2 here).
    otherCpus: (busy - cpu - backend) / r.elapsedMs,
    framesPerSecond: f === undefined ? undefined : f / (r.elapsedMs / 1000),
    loadavg: loadavg()[0],
    rssMiB: memMiB(target.pid).rss,
    heapLiveMiB: heap?.heapLive,
  };
}

/** Every second: RSS of both gateways, so the report shows whether memory levels off. */
function sampleMemory(targets, samples) {
  const t0 = performance.now();
  const timer = setInterval(() => {
    const s = { t: Math.round((performance.now() - t0) / 1000) };
    for (const t of targets) s[t.mode] = Math.round(memMiB(t.pid).rss * 10) / 10;
    samples.push(s);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}

const spread = (xs) => ({ min: Math.min(...xs), max: Math.max(...xs) });

async function runRate(targets, rate, o) {
  const [plain, tui] = targets;
  log(`${rate} calls/s: warm-up ${o.warmup} s each`);
  for (const t of targets) await load(t.session, rate, o.warmup);
  const rounds = [];
  for (let i = 0; i < o.rounds; i++) {
    const order = i % 2 === 0 ? [plain, tui] : [tui, plain];
    const w = {};
    for (const t of order) {
      log(`${rate} calls/s, round ${i + 1}/${o.rounds}: ${t.mode} for ${o.seconds} s`);
      w[t.mode] = await window(t, rate, o.seconds, o.settle);
    }
    const ratio = w.tui.cpuPerCallUs / w['no-tui'].cpuPerCallUs;
    rounds.push({ round: i + 1, first: order[0].mode, ratio, overhead: ratio - 1, 'no-tui': w['no-tui'], tui: w.tui });
    log(`  overhead ${(100 * (ratio - 1)).toFixed(1)}%, ${fmt(w.tui.framesPerSecond, 1)} frames/s, load ${fmt(w.tui.loadavg, 2)}`);
  }
  const overheads = rounds.map((r) => r.overhead);
  const fps = rounds.map((r) => r.tui.framesPerSecond);
  return { rate, rounds, overhead: median(overheads), overheadSpread: spread(overheads), framesPerSecond: { median: median(fps), max: Math.max(...fps) } };
}

function report(out) {
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const lines = [];
  for (const r of out.byRate) {
    lines.push(`### ${r.rate} calls/s, ${r.rounds.length} rounds × ${out.seconds} s per mode (each after ${out.settle} s of the same load, unmeasured)\n`);
    lines.push(
      markdownTable(
        ['round', 'first', '--no-tui µs/call', 'dashboard µs/call', 'overhead', 'frames/s', 'calls (errors) no-tui / tui', 'other CPUs', 'load 1m', 'RSS MiB no-tui / tui', 'live heap MiB no-tui / tui'],
        r.rounds.map((x) => [
          x.round,
          x.first,
          x['no-tui'].cpuPerCallUs.toFixed(0),
          x.tui.cpuPerCallUs.toFixed(0),
          pct(x.overhead),
          fmt(x.tui.framesPerSecond, 1),
          `${x['no-tui'].calls} (${x['no-tui'].errors}) / ${x.tui.calls} (${x.tui.errors})`,
          `${fmt(x['no-tui'].otherCpus, 2)} / ${fmt(x.tui.otherCpus, 2)}`,
          fmt(x.tui.loadavg, 2),
          `${fmt(x['no-tui'].rssMiB, 0)} / ${fmt(x.tui.rssMiB, 0)}`,
          `${fmt(x['no-tui'].heapLiveMiB, 1)} / ${fmt(x.tui.heapLiveMiB, 1)}`,
        ]),
      ),
    );
    const ok = r.overhead <= out.budget.overhead && r.framesPerSecond.max <= out.budget.framesPerSecond;
    lines.push(
      `\nMedian overhead ${pct(r.overhead)} (rounds ${pct(r.overheadSpread.min)} … ${pct(r.overheadSpread.max)}; budget ≤ 10%) · frames/s median ${fmt(r.framesPerSecond.median, 1)}, max ${fmt(r.framesPerSecond.max, 1)} (budget ≤ 10): ${ok ? 'PASS' : 'FAIL'}\n`,
    );
  }
  const m = out.memory;
  lines.push(
    `Memory over ${m.samples.length} s: dashboard RSS ${fmt(m.tui.first, 0)} → ${fmt(m.tui.max, 0)} MiB max, last ${fmt(m.tui.last, 0)}; --no-tui ${fmt(m['no-tui'].first, 0)} → ${fmt(m['no-tui'].max, 0)} max, last ${fmt(m['no-tui'].last, 0)}. Live heap after GC, dashboard: first round ${fmt(m.tui.heapFirst, 1)} MiB, last ${fmt(m.tui.heapLast, 1)} MiB${m.tui.heapLast - m.tui.heapFirst <= 2 ? ' (bounded)' : ' (GROWING)'}.`,
  );
  return `${lines.join('\n')}\n`;
}

function memorySummary(samples, byRate) {
  const all = byRate.flatMap((r) => r.rounds);
  const of = (mode) => {
    const xs = samples.map((s) => s[mode]).filter(Number.isFinite);
    const heaps = all.map((r) => r[mode].heapLiveMiB).filter(Number.isFinite);
    return { first: xs[0], max: Math.max(...xs), last: xs[xs.length - 1], heapFirst: heaps[0], heapLast: heaps[heaps.length - 1] };
  };
  return { samples, tui: of('tui'), 'no-tui': of('no-tui') };
}

async function main() {
  const o = options(process.argv.slice(2));
  mkdirSync(RUN, { recursive: true });
  const loadStart = loadavg();
  const byRate = [];
  const samples = [];
  let stopSampling = () => undefined;
  let tui;
  try {
    log('starting serve --no-tui and serve with the dashboard (tmux)');
    const plain = await startServe('no-tui');
    tui = await startServe('tui');
    const targets = [plain, tui];
    for (const t of targets) t.session = await new Session(t.url, 'legacy', 'dashboard').open();
    stopSampling = sampleMemory(targets, samples);
    for (const rate of o.rates) byRate.push(await runRate(targets, rate, o));
  } finally {
    stopSampling();
    if (tui && alive(tui.pid)) {
      try {
        tmux('send-keys', '-t', 'bench', 'q');
        await waitUntil('tui serve exit', () => (alive(tui.pid) ? undefined : true), { timeoutMs: 20_000 }).catch(() => undefined);
      } catch {
        // tmux already gone
      }
    }
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await stopAll();
  }
  const out = {
    at: new Date().toISOString(),
    node: process.version,
    rates: o.rates,
    rounds: o.rounds,
    seconds: o.seconds,
    settle: o.settle,
    loadavg: { start: loadStart, end: loadavg() },
    byRate,
    memory: memorySummary(samples, byRate),
    budget: { overhead: 0.1, framesPerSecond: 10 },
  };
  writeFileSync(join(OUT, 'dashboard.json'), JSON.stringify(out, null, 2));
  if (o.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`Load average (1/5/15 min) at start ${loadStart.map((x) => x.toFixed(2)).join(' ')}, at end ${out.loadavg.end.map((x) => x.toFixed(2)).join(' ')}\n\n${report(out)}`);
}

process.on('SIGINT', () => {
  killAllNow();
  try {
    tmux('kill-server');
  } catch {
    // gone
  }
  process.exit(130);
});
main().catch((e) => {
  killAllNow();
  try {
    tmux('kill-server');
  } catch {
    // gone
  }
  log(e.stack ?? String(e));
  process.exit(1);
});
