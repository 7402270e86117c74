#!/usr/bin/env node
// The dashboard's cost (issue 13): `gatehouse serve` with its dashboard drawing into a real
// pseudo-terminal (tmux) vs `serve --no-tui` (one log line per event), both under the same fixed
// open-loop rate of tools/call (default 150/s, below the issue's 200/s bound). Reports the gateway
// process's CPU per call both ways, the dashboard's share, and the frames it drew per second.
// Budget: the dashboard adds at most 10% CPU per call, and draws at most 10 frames/s.
//
//   node bench/dashboard.mjs [--rate N] [--seconds N] [--json]
//
// Markdown to stdout, progress to stderr, results to .bench-out/dashboard.json. Binds 127.0.0.1
// only; every process and the private tmux server it starts are stopped at the end and on error.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { Session, resultText } from './lib/mcp-http.mjs';
import { cpuMs, freePort, killAllNow, start, stopAll, waitUntil } from './lib/proc.mjs';
import { markdownTable } from './lib/stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, '.bench-out');
const RUN = join(OUT, 'dashboard');
const ECHO = join(ROOT, 'bench/servers/echo-server.mjs');
const NODE = process.execPath;
const TMUX_SOCKET = `gatehouse-bench-${process.pid}`;
// Every frame Ink writes redraws the header, whose second line starts with the call count.
const FRAME_MARK = /calls [\d,.k]+: /g;

function options(argv) {
  const o = { rate: 150, seconds: 10, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${a} needs a positive number`);
      return n;
    };
    if (a === '--rate') o.rate = num();
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown option ${a}\nusage: node bench/dashboard.mjs [--rate N] [--seconds N] [--json]`);
  }
  return o;
}

// The private tmux server inherits this; Ink draws only a final frame when it thinks it runs in CI.
const TMUX_ENV = { ...process.env, TERM: 'xterm-256color', CI: '0', CONTINUOUS_INTEGRATION: '0', TMUX: '' };
const tmux = (...args) => execFileSync('tmux', ['-L', TMUX_SOCKET, ...args], { encoding: 'utf8', env: TMUX_ENV });
const log = (s) => process.stderr.write(`${s}\n`);

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

/** Starts serve one way; returns its pid, URL, and (tui) the file the terminal's output is copied to. */
async function startServe(mode) {
  const dir = join(RUN, mode);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'gatehouse.yaml');
  writeFileSync(config, toYaml({ version: 1, gateway: { prefixMode: 'never' }, backends: { echo: { type: 'stdio', command: NODE, args: [ECHO] } } }));
  const port = await freePort();
  const env = { GATEHOUSE_CONFIG_DIR: join(dir, 'store') };
  const args = [join(ROOT, 'bin/run.js'), 'serve', '--config', config, '--port', String(port)];
  if (mode === 'no-tui') {
    const proc = start('serve-no-tui', NODE, [...args, '--no-tui'], { env: { ...process.env, ...env, NO_COLOR: '1' }, logFile: join(dir, 'serve.log') });
    await ready(port);
    return { pid: proc.pid, url: `http://127.0.0.1:${port}/mcp` };
  }
  const screen = join(dir, 'terminal.out');
  const prof = process.env.GATEHOUSE_BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', dir] : [];
  const quoted = [NODE, ...prof, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // exec: the pane's process is serve itself, so its pid is the one to measure.
  tmux('new-session', '-d', '-s', 'bench', '-x', '120', '-y', '30', `GATEHOUSE_CONFIG_DIR='${env.GATEHOUSE_CONFIG_DIR}' exec ${quoted} 2>'${join(dir, 'stderr.log')}'`, ';', 'set-option', '-t', 'bench', 'status', 'off');
  tmux('pipe-pane', '-o', '-t', 'bench', `cat >> '${screen}'`);
  const pid = Number(tmux('list-panes', '-t', 'bench', '-F', '#{pane_pid}').trim());
  await ready(port);
  return { pid, url: `http://127.0.0.1:${port}/mcp`, screen };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function frames(file, fromByte) {
  if (!file || !existsSync(file)) return 0;
  const text = readFileSync(file).subarray(fromByte).toString('utf8');
  return text.match(FRAME_MARK)?.length ?? 0;
}

/** tools/call at a fixed rate (open loop: the schedule does not wait for answers), bounded in flight. */
async function load(url, rate, seconds) {
  const session = await new Session(url, 'legacy', 'dashboard').open();
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  let inFlight = 0;
  let errors = 0;
  let done = 0;
  const pending = new Set();
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
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
      })
      .catch(() => errors++)
      .finally(() => {
        inFlight--;
        done++;
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.all([...pending]);
  return { calls: done, errors, elapsedMs: performance.now() - t0 };
}

async function measure(mode, o) {
  log(`${mode}: starting serve`);
  const s = await startServe(mode);
  // Warm up (JIT, connections), then measure a quiet second-by-second load.
  await load(s.url, o.rate, Math.min(2, o.seconds));
  const offset = s.screen && existsSync(s.screen) ? statSync(s.screen).size : 0;
  const cpu0 = cpuMs(s.pid);
  log(`${mode}: ${o.rate} calls/s for ${o.seconds} s`);
  const r = await load(s.url, o.rate, o.seconds);
  const cpu = cpuMs(s.pid) - cpu0;
  const f = frames(s.screen, offset);
  if (mode === 'tui') {
    tmux('send-keys', '-t', 'bench', 'q');
    await waitUntil('tui serve exit', () => (alive(s.pid) ? undefined : true), { timeoutMs: 20_000 }).catch(() => undefined);
  } else await stopAll();
  return { mode, ...r, cpuMs: cpu, cpuPerCallUs: (cpu * 1000) / r.calls, framesPerSecond: s.screen ? f / (r.elapsedMs / 1000) : undefined };
}

async function main() {
  const o = options(process.argv.slice(2));
  mkdirSync(RUN, { recursive: true });
  const results = [];
  try {
    results.push(await measure('no-tui', o));
    results.push(await measure('tui', o));
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await stopAll();
  }
  const [plain, tui] = results;
  const overhead = tui.cpuPerCallUs / plain.cpuPerCallUs - 1;
  const out = { at: new Date().toISOString(), rate: o.rate, seconds: o.seconds, results, overhead, budget: { overhead: 0.1, framesPerSecond: 10 } };
  writeFileSync(join(OUT, 'dashboard.json'), JSON.stringify(out, null, 2));
  if (o.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(
    `${markdownTable(
      ['serve', 'calls', 'errors', 'calls/s', 'CPU ms', 'CPU µs/call', 'frames/s'],
      results.map((r) => [r.mode === 'tui' ? 'dashboard (tmux)' : '--no-tui', r.calls, r.errors, (r.calls / (r.elapsedMs / 1000)).toFixed(1), r.cpuMs.toFixed(0), r.cpuPerCallUs.toFixed(0), r.framesPerSecond === undefined ? '—' : r.framesPerSecond.toFixed(1)]),
    )}\n\nDashboard CPU per call vs --no-tui: ${(overhead * 100).toFixed(1)}% (budget ≤ 10%) · frames/s ${tui.framesPerSecond.toFixed(1)} (budget ≤ 10): ${overhead <= 0.1 && tui.framesPerSecond <= 10 ? 'PASS' : 'FAIL'}\n`,
  );
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
  log(e.stack ?? String(e));
  process.exit(1);
});
