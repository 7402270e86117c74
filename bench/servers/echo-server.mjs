#!/usr/bin/env node
// The benchmark backend: a small MCP server (SDK v2) that every target in
// bench/run.js fronts, so the only thing that differs between runs is what
// sits between the load client and this process.
//
//   node bench/servers/echo-server.mjs                     # stdio (default)
//   node bench/servers/echo-server.mjs --http --port 0     # prints "LISTENING <port>"
//   node bench/servers/echo-server.mjs --tools 500         # 500 tools in all
//
// Tools: `echo` returns its `text` argument as text content; `blob` returns
// 16 KiB of text. `--tools N` pads the list with filler tools (each with a
// description and a small input schema, like real tools) until there are N
// tools in all (N >= 2).
//
// HTTP at /mcp on 127.0.0.1: 2025-era clients get stateful sessions
// (initialize → Mcp-Session-Id, SSE responses, DELETE ends one); 2026-07-28
// clients are served statelessly by createMcpHandler. This is the plain way
// to serve both eras with the SDK, and the "direct" baseline of the benchmark.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { McpServer, WebStandardStreamableHTTPServerTransport, createMcpHandler } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import * as z from 'zod';
import { BLOB_BYTES, BLOB_TEXT, fillerToolName } from './echo-data.mjs';

function parseArgs(argv) {
  const out = { http: false, port: 0, tools: 2 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
      return n;
    };
    if (flag === '--http') out.http = true;
    else if (flag === '--stdio') out.http = false;
    else if (flag === '--port') out.port = value();
    else if (flag === '--tools') out.tools = Math.max(2, value());
    else throw new Error(`unknown argument: ${a}`);
  }
  return out;
}

// Schemas are built once: the modern era builds a server per request, and rebuilding zod schemas each
// time would make this server, not what sits in front of it, the thing measured.
const echoInput = z.object({ text: z.string().describe('Text to echo back') });
const fillerInput = z.object({
  id: z.string().describe('Record id'),
  limit: z.number().int().min(1).max(100).optional().describe('How many related records to include'),
});
const readOnly = { readOnlyHint: true };

/** One server instance: one per stdio connection, per 2025-era HTTP session, per modern HTTP request. */
export function createEchoServer(totalTools = 2) {
  const server = new McpServer({ name: 'gatehouse-bench-echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'echo',
    { description: 'Returns the text it was given.', inputSchema: echoInput, annotations: readOnly },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool('blob', { description: `Returns ${BLOB_BYTES} bytes of text.`, annotations: readOnly }, async () => ({ content: [{ type: 'text', text: BLOB_TEXT }] }));
  for (let i = 1; i <= totalTools - 2; i++) {
    const name = fillerToolName(i);
    server.registerTool(
      name,
      {
        description: `Filler tool ${i} for catalog benchmarks. Looks up a record by id and returns a short summary; the limit bounds how many related records are included.`,
        inputSchema: fillerInput,
        annotations: readOnly,
      },
      async ({ id }) => ({ content: [{ type: 'text', text: `${name}:${id}` }] }),
    );
  }
  return server;
}

function jsonRpcError(status, code, message) {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function toWebRequest(req, port, body, signal) {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  return new Request(`http://127.0.0.1:${port}${req.url}`, {
    method: req.method,
    headers,
    body: body && body.length > 0 ? body : undefined,
    signal,
  });
}

async function writeWebResponse(res, response) {
  const headers = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  res.on('close', () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((r) => res.once('drain', r));
    }
  } catch {
    // the client went away
  } finally {
    res.end();
  }
}

async function serveEchoHttp(port, totalTools) {
  /** 2025-era sessions by Mcp-Session-Id. */
  const sessions = new Map();
  const modern = createMcpHandler(() => createEchoServer(totalTools), { legacy: 'reject', onerror: () => {} });

  // Requests by kind, written to stderr at exit: shows how many backend requests a proxied call costs.
  const counts = {};
  const count = (k) => (counts[k] = (counts[k] ?? 0) + 1);

  async function handle(req, res, body, signal) {
    const request = toWebRequest(req, server.address().port, body, signal);
    const sessionId = req.headers['mcp-session-id'];
    if (sessionId) {
      count(`${req.method} (session)`);
      const transport = sessions.get(sessionId);
      if (!transport) return jsonRpcError(404, -32001, 'Session not found');
      return transport.handleRequest(request);
    }
    let message;
    try {
      message = req.method === 'POST' ? JSON.parse(body.toString('utf8')) : undefined;
    } catch {
      return jsonRpcError(400, -32700, 'Parse error');
    }
    count(`${req.method} ${message?.method ?? ''} (no session)`);
    if (message?.method === 'initialize') {
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, transport),
        onsessionclosed: (id) => void sessions.delete(id),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await createEchoServer(totalTools).connect(transport);
      return transport.handleRequest(request, { parsedBody: message });
    }
    return modern.fetch(request, { parsedBody: message });
  }

  const server = http.createServer(async (req, res) => {
    let response;
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/mcp') {
        response = new Response('not found\n', { status: 404 });
      } else {
        const chunks = [];
        if (req.method === 'POST') for await (const c of req) chunks.push(c);
        const aborter = new AbortController();
        res.on('close', () => {
          if (!res.writableFinished) aborter.abort();
        });
        response = await handle(req, res, Buffer.concat(chunks), aborter.signal);
      }
    } catch (error) {
      process.stderr.write(`echo-server: ${error?.stack ?? error}\n`);
      response = jsonRpcError(500, -32603, 'Internal error');
    }
    await writeWebResponse(res, response);
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  process.stdout.write(`LISTENING ${server.address().port}\n`);
  return async () => {
    process.stderr.write(`echo-server requests: ${JSON.stringify(counts)}\n`);
    await Promise.allSettled([...sessions.values()].map((t) => t.close()));
    await modern.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
}

function exitOn(cleanup) {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await cleanup();
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`echo-server: ${error.message}\n`);
  process.exit(2);
}
if (args.http) {
  exitOn(await serveEchoHttp(args.port, args.tools));
} else {
  const handle = serveStdio(() => createEchoServer(args.tools), { onerror: (e) => process.stderr.write(`echo-server stdio: ${e.message}\n`) });
  exitOn(() => handle.close());
  // The stdio server ends with its client.
  process.stdin.on('end', () => process.exit(0));
}
