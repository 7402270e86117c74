// Shared plumbing for the gateway tests: backend configs for the real servers we front, clients of
// both protocol eras over every inbound transport (streamable HTTP, legacy SSE, a `serve --stdio`
// child), a tap that records what each client received on the wire, and process helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, LOG_LEVEL_META_KEY, SSEClientTransport, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { stringify } from 'yaml';
import type { BackendConfig, GatehouseConfig, HttpBackendConfig, StdioBackendConfig } from '../../src/core/config/schema.js';
import { fixtureScript } from '../fixtures/servers/spawn-fixture.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const NODE = process.execPath;
export const EVERYTHING = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
export const PROBE = fileURLToPath(new URL('./fixtures/probe-server.mjs', import.meta.url));
export const LISTFILE = fileURLToPath(new URL('./fixtures/listfile-server.mjs', import.meta.url));
const LOOPBACK_PRELOAD = fileURLToPath(new URL('./fixtures/loopback.cjs', import.meta.url));
export { LOG_LEVEL_META_KEY };

export type Era = 'legacy' | 'modern';
export type ClientMode = 'http-legacy' | 'http-modern' | 'sse-legacy' | 'stdio-legacy' | 'stdio-modern';
export const CLIENT_MODES: ClientMode[] = ['http-legacy', 'http-modern', 'sse-legacy', 'stdio-legacy', 'stdio-modern'];
export const eraOf = (mode: ClientMode): Era => (mode.endsWith('modern') ? 'modern' : 'legacy');

// ---------------------------------------------------------------------------------------------
// Backend configs

export function everythingStdio(extra: Partial<StdioBackendConfig> = {}): StdioBackendConfig {
  return { type: 'stdio', command: NODE, args: [EVERYTHING, 'stdio'], ...extra };
}

export function modernStdio(args: string[] = [], extra: Partial<StdioBackendConfig> = {}): StdioBackendConfig {
  return { type: 'stdio', command: NODE, args: [fixtureScript('modern-server'), '--stdio', ...args], ...extra };
}

export function probeStdio(era: Era, extra: Partial<StdioBackendConfig> = {}): StdioBackendConfig {
  return { type: 'stdio', command: NODE, args: [PROBE, '--era', era], ...extra };
}

export function httpBackend(url: string, extra: Partial<HttpBackendConfig> = {}): HttpBackendConfig {
  return { type: 'http', url, ...extra };
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface Proc {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  stop(): Promise<void>;
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', on);
      resolve(false);
    }, ms);
    const on = () => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', on);
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, 3_000)) return;
  child.kill('SIGKILL');
  await waitForExit(child, 3_000);
}

/** Whether a process id is alive (signal 0 probes without signalling). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until pred() is true; fails after timeoutMs with the message. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts server-everything over HTTP (`streamableHttp` serves /mcp, `sse` serves /sse + /message),
 * pinned to 127.0.0.1 on a free port by the loopback preload.
 */
export async function startEverythingHttp(mode: 'streamableHttp' | 'sse', wantPort = 0): Promise<Proc & { base: string; url: string }> {
  const child = spawn(NODE, ['-r', LOOPBACK_PRELOAD, EVERYTHING, mode], { env: { ...process.env, PORT: String(wantPort) }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server-everything ${mode} did not listen: ${stderr}`)), 20_000);
    const check = () => {
      const m = /LOOPBACK_LISTENING (\d+)/.exec(stderr);
      if (m) {
        clearTimeout(t);
        child.stderr!.off('data', check);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server-everything ${mode} exited (${code}): ${stderr}`));
    });
  }).catch(async (e) => {
    await stopChild(child);
    throw e;
  });
  const base = `http://127.0.0.1:${port}`;
  return { child, pid: child.pid!, base, url: `${base}${mode === 'sse' ? '/sse' : '/mcp'}`, stderr: () => stderr, stop: () => stopChild(child) };
}

/** A tiny HTTP server on 127.0.0.1 (for HTML, 401 and 404 backends). */
export async function startTinyHttp(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; port: number; close(): Promise<void>; hits: string[] }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on (bound and released at once). */
export async function closedPort(): Promise<number> {
  const s = await startTinyHttp(() => undefined);
  await s.close();
  return s.port;
}

// ---------------------------------------------------------------------------------------------
// Config files for `serve --stdio`

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix = 'gatehouse-server-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeConfig(dir: string, backends: Record<string, BackendConfig>, gateway?: GatehouseConfig['gateway']): string {
  const file = join(dir, `gatehouse-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(file, stringify({ version: 1, ...(gateway ? { gateway } : {}), backends }));
  return file;
}

// ---------------------------------------------------------------------------------------------
// Clients

export type WireMessage = Record<string, unknown> & { method?: string; id?: unknown; params?: Record<string, unknown>; result?: Record<string, unknown> };

export interface TestClient {
  name: string;
  mode: ClientMode;
  era: Era;
  client: Client;
  /** Every JSON-RPC message this client received, in arrival order. */
  wire: WireMessage[];
  logs: Array<{ level: string; data: unknown; logger?: string }>;
  notifications: Array<{ method: string; params?: Record<string, unknown> }>;
  samplings: Array<Record<string, unknown>>;
  elicitations: Array<Record<string, unknown>>;
  /** stderr of a `serve --stdio` child (empty for HTTP clients). */
  stderr(): string;
  /** The `serve --stdio` child's pid, when there is one. */
  pid?: number;
  close(): Promise<void>;
}

export interface ClientTarget {
  /** The gateway's /mcp URL (HTTP and SSE modes). */
  url?: string;
  /** A gatehouse.yaml for `serve --stdio` (stdio modes). */
  configFile?: string;
  /** GATEHOUSE_CONFIG_DIR for the child. */
  configDir?: string;
}

const open = new Set<TestClient>();

/** Closes every client opened through connectClient (call from afterAll/afterEach). */
export async function closeAllClients(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.allSettled(all.map((c) => c.close()));
}

/** Records every message the transport delivers, whatever handler the Client installs. */
function tap(transport: Transport, sink: WireMessage[]): void {
  let handler: Transport['onmessage'];
  Object.defineProperty(transport, 'onmessage', {
    configurable: true,
    get: () =>
      handler &&
      ((message: unknown, extra?: unknown) => {
        sink.push(message as WireMessage);
        (handler as (m: unknown, e?: unknown) => void)(message, extra);
      }),
    set: (h) => {
      handler = h;
    },
  });
}

/**
 * The stock SDK v2 Client settles a response synchronously but runs notification handlers a
 * microtask later, so a progress notification delivered in the same read as the response loses its
 * handler and is dropped. The gateway's ordering is asserted on the wire (see wireOrder); this
 * client honours wire order so the handler-level view can be asserted too.
 */
class OrderedClient extends Client {
  protected override _onresponse(response: Parameters<Client['_onresponse']>[0]): void {
    setImmediate(() => super._onresponse(response));
  }
}

/**
 * The SDK probes the era of a server behind its own StdioClientTransport on a short-lived sibling
 * process; a subclass probes in place, which saves starting a second `serve --stdio` (and its
 * backends) per modern client.
 */
class InPlaceStdioClientTransport extends StdioClientTransport {}

export interface ClientOptions {
  name?: string;
  /** Declared capabilities (default: sampling and form elicitation, no roots). */
  capabilities?: Record<string, unknown>;
  /** Roots this client answers roots/list with (declare `roots` in capabilities too). */
  roots?: Array<{ uri: string; name?: string }>;
}

export async function connectClient(mode: ClientMode, target: ClientTarget, opts: ClientOptions = {}): Promise<TestClient> {
  const name = opts.name ?? `client-${mode}`;
  const era = eraOf(mode);
  const capabilities = opts.capabilities ?? { sampling: {}, elicitation: { form: {} } };
  const client = new OrderedClient(
    { name, version: '1.0.0' },
    {
      capabilities,
      ...(era === 'modern' ? { versionNegotiation: { mode: mode === 'stdio-modern' ? { pin: '2026-07-28' } : 'auto' } } : {}),
    } as never,
  );
  const wire: WireMessage[] = [];
  const tc: TestClient = {
    name,
    mode,
    era,
    client,
    wire,
    logs: [],
    notifications: [],
    samplings: [],
    elicitations: [],
    stderr: () => '',
    close: async () => {
      open.delete(tc);
      await client.close().catch(() => undefined);
    },
  };
  if (capabilities.sampling) {
    client.setRequestHandler('sampling/createMessage', async (req) => {
      tc.samplings.push(req.params as never);
      return { role: 'assistant', model: `${name}-model`, content: { type: 'text', text: `reply for ${name}` } };
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler('elicitation/create', async (req) => {
      tc.elicitations.push(req.params as never);
      return { action: 'accept', content: { name, answer: `answer from ${name}` } };
    });
  }
  if (opts.roots) client.setRequestHandler('roots/list', async () => ({ roots: opts.roots! }));
  client.setNotificationHandler('notifications/message', (n) => {
    tc.logs.push(n.params as never);
  });
  for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed', 'notifications/resources/updated'] as const) {
    client.setNotificationHandler(method, (n) => {
      tc.notifications.push({ method, params: (n as { params?: Record<string, unknown> }).params });
    });
  }

  let transport: Transport;
  if (mode === 'http-legacy' || mode === 'http-modern') {
    transport = new StreamableHTTPClientTransport(new URL(target.url!));
  } else if (mode === 'sse-legacy') {
    transport = new SSEClientTransport(new URL(target.url!.replace(/\/mcp$/, '/sse')));
  } else {
    const stdio = new InPlaceStdioClientTransport({
      command: NODE,
      args: [join(ROOT, 'bin', 'run.js'), 'serve', '--stdio', '--config', target.configFile!],
      env: { ...(process.env as Record<string, string>), GATEHOUSE_CONFIG_DIR: target.configDir ?? tmpdir(), NO_COLOR: '1' },
      cwd: ROOT,
      stderr: 'pipe',
    });
    let err = '';
    stdio.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
    tc.stderr = () => err;
    transport = stdio;
    const close = tc.close;
    tc.close = async () => {
      const pid = stdio.pid;
      await close();
      // The transport ends the child (stdin close, then signals); make sure it is gone.
      if (pid) await until(() => !alive(pid), 10_000, `serve --stdio child ${pid} to exit`).catch(() => process.kill(pid, 'SIGKILL'));
    };
  }
  tap(transport, wire);
  open.add(tc);
  try {
    await client.connect(transport, { timeout: 30_000 } as never);
  } catch (e) {
    const err = tc.stderr();
    await tc.close();
    throw new Error(`${mode} client could not connect: ${(e as Error).message}${err ? `\nstderr:\n${err}` : ''}`);
  }
  if (transport instanceof StdioClientTransport) tc.pid = transport.pid ?? undefined;
  return tc;
}

/** Per-request `_meta` that asks for log messages: modern clients send a log level with each request. */
export function logMeta(tc: TestClient): Record<string, unknown> {
  return tc.era === 'modern' ? { [LOG_LEVEL_META_KEY]: 'debug' } : {};
}

export function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as Array<{ type: string; text?: string }>;
  return content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('');
}

/** Progress notifications and the response for request `id`, as positions in the client's wire log. */
export function wireOrder(tc: TestClient, from: number): { progress: number[]; progressValues: number[]; responseAt: number } {
  const progress: number[] = [];
  const progressValues: number[] = [];
  let responseAt = -1;
  for (let i = from; i < tc.wire.length; i++) {
    const m = tc.wire[i]!;
    if (m.method === 'notifications/progress') {
      progress.push(i);
      progressValues.push(Number(m.params?.progress));
    } else if ('id' in m && ('result' in m || 'error' in m) && !('method' in m)) {
      const r = m.result as { resultType?: string } | undefined;
      // Modern input_required rounds are intermediate; the last response is the call's result.
      if (r?.resultType !== 'input_required') responseAt = i;
    }
  }
  return { progress, progressValues, responseAt };
}
