#!/usr/bin/env node
// A REST endpoint as an MCP tool, three ways, under the same closed-loop load:
//   direct      the load client calls the REST endpoint itself with undici (the floor)
//   sdk-wrapper a hand-written MCP server (SDK v2) whose tool calls the endpoint with undici
//   gatehouse   `gatehouse serve` with a rest backend whose tool calls the same endpoint
// Target (issue 3): Gatehouse's CPU per tools/call ≤ the SDK wrapper's.
//
//   node bench/rest.mjs [--quick] [--calls N] [--rounds N] [--concurrency N] [--json]
//
// Markdown to stdout, progress to stderr, results to .bench-out/rest.json. Binds 127.0.0.1 only;
// every process it starts is stopped at the end, on error and on Ctrl-C.
import http from 'node:http';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { stringify as toYaml } from 'yaml';
import { runLoad } from './lib/load.mjs';
import { Session } from './lib/mcp-http.mjs';
import { freePort, killAllNow, sample, start, stopAll, waitUntil } from './lib/proc.mjs';
import { fmt, markdownTable, ratio, summarize } from './lib/stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const OUT = join(ROOT, '.bench-out');
const LOGS = join(OUT, 'logs');
const NODE = process.execPath;
const ITEM_PATH = '/api/v1/items/';

/** The endpoint's answer for one id: about 1 KiB of JSON, deterministic, so every response can be checked. */
export function itemBody(id) {
  const tags = Array.from({ length: 12 }, (_, i) => `tag-${i}-${id}`);
  return JSON.stringify({
    id,
    name: `item ${id}`,
    status: 'active',
    owner: { team: 'platform', contact: 'oncall@example.internal' },
    tags,
    metrics: { p50: 12.5, p99: 80.25, rps: 431, errors: 0 },
    description: 'A record served by the benchmark REST backend. '.repeat(10).trim(),
  });
}

// ---- the two helper processes (this file runs them with --serve-backend / --serve-wrapper) ----

async function serveBackend() {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path.startsWith(ITEM_PATH)) {
      const body = itemBody(decodeURIComponent(path.slice(ITEM_PATH.length)));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`LISTENING ${server.address().port}\n`);
  return () => new Promise((r) => server.close(r));
}

/** What a team writes by hand without Gatehouse: an SDK v2 server with one tool that calls the API. */
async function serveWrapper(backendUrl, port) {
  const { McpServer, createMcpHandler } = await import('@modelcontextprotocol/server');
  const z = await import('zod');
  const pool = new Agent({ keepAliveTimeout: 60_000, connections: 64 });
  const makeServer = () => {
    const server = new McpServer({ name: 'rest-wrapper', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.registerTool(
      'get_item',
      { description: 'Get one item by id.', inputSchema: z.object({ id: z.string().min(1) }), annotations: { readOnlyHint: true } },
      async ({ id }) => {
        const res = await request(`${backendUrl}${ITEM_PATH}${encodeURIComponent(id)}`, { dispatcher: pool });
        const text = await res.body.text();
        if (res.statusCode !== 200) return { content: [{ type: 'text', text: `HTTP ${res.statusCode}: ${text.slice(0, 300)}` }], isError: true };
        return { content: [{ type: 'text', text }] };
      },
    );
    return server;
  };
  const handler = createMcpHandler(makeServer, { legacy: 'reject', onerror: () => {} });
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const body = Buffer.concat(chunks);
    const response = await handler.fetch(
      new Request(`http://127.0.0.1:${port}${req.url}`, { method: req.method, headers, body: body.length ? body : undefined }),
      req.method === 'POST' ? { parsedBody: JSON.parse(body.toString('utf8')) } : undefined,
    );
    const out = {};
    response.headers.forEach((v, k) => (out[k] = v));
    res.writeHead(response.status, out);
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  process.stdout.write(`LISTENING ${server.address().port}\n`);
  return async () => {
    await handler.close?.();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await pool.close();
  };
}

function exitOn(cleanup) {
  const stop = async () => {
    try {
      await cleanup();
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

// ---- the benchmark -------------------------------------------------------------------------

const log = (m) => process.stderr.write(`[bench:rest] ${m}\n`);

function parseOptions(argv) {
  const o = { quick: false, calls: undefined, rounds: undefined, concurrency: 8, json: false };
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
    else if (a === '--concurrency') o.concurrency = num();
    else if (a === '--json') o.json = true;
    else throw new Error(`unknown argument ${a}\nusage: node bench/rest.mjs [--quick] [--calls N] [--rounds N] [--concurrency N] [--json]`);
  }
  o.calls ??= o.quick ? 600 : 3000;
  o.rounds ??= o.quick ? 2 : 4;
  return o;
}

async function startListening(name, args) {
  let port;
  const proc = start(name, NODE, [SELF, ...args], { logFile: join(LOGS, `${name}.log`), onStdout: (line) => (port ??= /^LISTENING (\d+)/.exec(line)?.[1]) });
  await waitUntil(`${name} listening`, () => port, { proc, timeoutMs: 30_000 });
  return { proc, port: Number(port) };
}

async function startGatehouse(backendUrl) {
  const port = await freePort();
  const dir = join(OUT, 'gatehouse', 'rest');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'gatehouse.yaml');
  const config = {
    version: 1,
    gateway: { prefixMode: 'never' },
    backends: { api: { type: 'rest', baseUrl: backendUrl, tools: [{ name: 'get_item', description: 'Get one item by id.', path: `${ITEM_PATH}{id}` }] } },
  };
  writeFileSync(file, toYaml(config));
  const proc = start('gatehouse-rest', NODE, [join(ROOT, 'bin/run.js'), 'serve', '--config', file, '--port', String(port), '--no-tui', '--log-format', 'json'], {
    logFile: join(LOGS, 'gatehouse-rest.log'),
    env: { ...process.env, GATEHOUSE_CONFIG_DIR: join(dir, 'store'), NO_COLOR: '1' },
  });
  await waitUntil(
    'gatehouse /readyz',
    async () => {
      const res = await request(`http://127.0.0.1:${port}/readyz`);
      const body = await res.body.text();
      if (res.statusCode !== 200) return undefined;
      const states = Object.values(JSON.parse(body).backends ?? {});
      return states.length === 1 && states.every((b) => b.state === 'ready');
    },
    { proc, timeoutMs: 60_000, everyMs: 20 },
  );
  return { proc, url: `http://127.0.0.1:${port}/mcp` };
}

/** The direct leg looks like a session to the load runner: callTool is one undici GET. */
function directSession(backendUrl, pool) {
  return {
    async callTool(_name, { id }) {
      const res = await request(`${backendUrl}${ITEM_PATH}${encodeURIComponent(id)}`, { dispatcher: pool });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      JSON.parse(text); // what an MCP wrapper's caller would do with the body anyway
      return { content: [{ type: 'text', text }] };
    },
  };
}

const workload = {
  tool: 'get_item',
  args: (w, seq) => ({ id: `w${w}-${seq}` }),
  expect: ({ id }) => itemBody(id),
};

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  mkdirSync(LOGS, { recursive: true });
  if (!existsSync(join(ROOT, 'dist/commands/serve.js'))) throw new Error('Build first: npm run build (the gatehouse leg runs dist/).');
  const backend = await startListening('rest-backend', ['--serve-backend']);
  const backendUrl = `http://127.0.0.1:${backend.port}`;
  const wrapperPort = await freePort();
  const wrapper = await startListening('sdk-wrapper', ['--serve-wrapper', backendUrl, String(wrapperPort)]);
  const gatehouse = await startGatehouse(backendUrl);
  const pool = new Agent({ keepAliveTimeout: 60_000, connections: 64 });

  const sessionsFor = async (url) => Promise.all(Array.from({ length: opts.concurrency }, (_, i) => new Session(url, 'modern', `rest-${i}`).open()));
  const targets = [
    { key: 'direct', label: 'direct undici', proc: undefined, sessions: Array.from({ length: opts.concurrency }, () => directSession(backendUrl, pool)) },
    { key: 'sdk-wrapper', label: 'SDK v2 wrapper (hand-written)', proc: wrapper.proc, sessions: await sessionsFor(`http://127.0.0.1:${wrapper.port}/mcp`) },
    { key: 'gatehouse', label: 'Gatehouse rest backend', proc: gatehouse.proc, sessions: await sessionsFor(gatehouse.url) },
  ];
  const acc = Object.fromEntries(targets.map((t) => [t.key, { latencies: [], calls: 0, elapsedMs: 0, errors: 0, wrong: 0, samples: [], frontCpu: 0, backendCpu: 0, clientCpu: 0 }]));

  log(`warm-up: ${Math.min(300, opts.calls)} calls per target`);
  for (const t of targets) await runLoad({ sessions: t.sessions, concurrency: opts.concurrency, calls: Math.min(300, opts.calls), workload });

  const perRound = Math.ceil(opts.calls / opts.rounds);
  for (let r = 0; r < opts.rounds; r++) {
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    log(`round ${r + 1}/${opts.rounds}: ${order.map((t) => t.key).join(' → ')}`);
    for (const t of order) {
      const before = { front: t.proc ? sample(t.proc.pid).cpu : 0, backend: sample(backend.proc.pid).cpu };
      const run = await runLoad({ sessions: t.sessions, concurrency: opts.concurrency, calls: perRound, workload });
      const a = acc[t.key];
      for (const l of run.latencies) a.latencies.push(l);
      a.calls += run.calls;
      a.elapsedMs += run.elapsedMs;
      a.errors += run.errors;
      a.wrong += run.wrong;
      a.samples.push(...run.errorSamples);
      a.frontCpu += t.proc ? sample(t.proc.pid).cpu - before.front : 0;
      a.backendCpu += sample(backend.proc.pid).cpu - before.backend;
      a.clientCpu += run.clientCpuMs;
    }
  }

  const results = {};
  for (const t of targets) {
    const a = acc[t.key];
    const s = summarize(a.latencies);
    results[t.key] = {
      label: t.label,
      calls: a.calls,
      callsPerSec: (a.calls / a.elapsedMs) * 1000,
      p50: s.p50,
      p99: s.p99,
      // The process between the client and the API; none for the direct leg.
      middleCpuPerCall: t.proc ? a.frontCpu / a.calls : 0,
      backendCpuPerCall: a.backendCpu / a.calls,
      clientCpuPerCall: a.clientCpu / a.calls,
      rssMiB: t.proc ? sample(t.proc.pid).rss : undefined,
      errors: a.errors,
      wrong: a.wrong,
      errorSamples: a.samples.slice(0, 3),
    };
  }
  const g = results.gatehouse;
  const w = results['sdk-wrapper'];
  const target = { name: "Gatehouse CPU per tools/call ≤ the SDK wrapper's", value: ratio(g.middleCpuPerCall, w.middleCpuPerCall), limit: 1, ok: g.middleCpuPerCall <= w.middleCpuPerCall && !g.errors && !g.wrong };
  const report = { options: opts, at: new Date().toISOString(), results, target };
  writeFileSync(join(OUT, 'rest.json'), JSON.stringify(report, null, 2));

  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const rows = targets.map((t) => {
      const r = results[t.key];
      return [r.label, fmt(r.callsPerSec, 0), fmt(r.p50), fmt(r.p99), t.proc ? fmt(r.middleCpuPerCall, 3) : '—', fmt(r.backendCpuPerCall, 3), fmt(r.clientCpuPerCall, 3), r.rssMiB ? fmt(r.rssMiB, 0) : '—', `${r.errors} / ${r.wrong}`];
    });
    process.stdout.write(`## REST tool: ${opts.calls} calls per target, concurrency ${opts.concurrency}, ${opts.rounds} rounds\n\n`);
    process.stdout.write(`${markdownTable(['target', 'calls/s', 'p50 ms', 'p99 ms', 'middle CPU ms/call', 'API CPU ms/call', 'client CPU ms/call', 'RSS MiB', 'errors / wrong'], rows)}\n\n`);
    process.stdout.write(`${target.ok ? 'PASS' : 'FAIL'}: ${target.name}: ${fmt(target.value)}× (limit ${target.limit}×)\n`);
  }
  await pool.close();
  if (!target.ok) process.exitCode = 1;
}

// ---- entry ---------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv[0] === '--serve-backend') {
  exitOn(await serveBackend());
} else if (argv[0] === '--serve-wrapper') {
  exitOn(await serveWrapper(argv[1], Number(argv[2] ?? 0)));
} else if (process.argv[1] && resolve(process.argv[1]) === SELF) {
  const bail = () => {
    killAllNow();
    process.exit(130);
  };
  process.once('SIGINT', bail);
  process.once('SIGTERM', bail);
  try {
    await main();
  } catch (e) {
    process.stderr.write(`[bench:rest] ${e?.stack ?? e}\n`);
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
}
