/**
 * `gatehouse connect <url>` as an agent runs it: a child process (`node bin/run.js connect …`)
 * speaking MCP on stdio, with its config dir and the 0600 file secret store (so no keychain), in
 * front of real gateways:
 *
 *   SDK client ─stdio─▶ connect ─▶ Access stand-in (service token → assertion) ─▶ proxy ─▶ gateway (cloudflare-access) ─▶ fixture
 *   SDK client ─stdio─▶ connect ─▶ gateway (bearer) ─▶ fixture          (--bearer-secret; streamable HTTP and the SSE fallback)
 *
 * Covered: both protocol eras relayed, a gateway restart (queued call, re-initialize, list_changed),
 * fatal auth failures (Access login redirect, 401) ending with one error and exit 4, and every
 * output grepped for every secret.
 *
 * The MCP Inspector CLI also runs `connect` as its stdio server (skipped when it is not installed);
 * test/server/auth/inspector.test.ts uses its `--header` against the auth modes directly.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { ClientTokenStore } from '../../src/core/auth/client-tokens.js';
import { buildInboundAuth } from '../../src/server/inbound/auth.js';
import { BIN, ROOT, childEnv, cliSandbox, type CliSandbox } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { leakGuard } from '../helpers/secret-leaks.js';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../fixtures/cf-access/stand-in.js';
import { stdioFixtureCommand } from '../fixtures/servers/spawn-fixture.js';
import { startRecordingProxy, type RecordingProxy } from '../server/auth/helpers.js';

const guard = leakGuard();
const tok = makeServiceToken();
guard.secret(tok.clientId);
guard.secret(tok.clientSecret);
const stale = makeServiceToken();
guard.secret(stale.clientId);
guard.secret(stale.clientSecret);
const ENV = { GATEHOUSE_SECRET_STORE: 'file' };
const fx = stdioFixtureCommand('conformance-server');
const INSPECTOR = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');
const BACKENDS = { fx: { type: 'stdio' as const, command: fx.command, args: fx.args } };

let sb: CliSandbox;
let edge: CfAccessStandIn;
let front: RecordingProxy;
let cfGateway: TestGateway;
let bearerGateway: TestGateway;
let tokenDir: string;
let bearerToken: string;
const cleanups: Array<() => Promise<unknown>> = [];

function cfAuth() {
  return buildInboundAuth({ mode: 'cloudflare-access', cloudflareAccess: { team: edge.team, aud: edge.aud, certsUrl: edge.certsUrl } }, { configDir: tokenDir });
}

async function startCfGateway(route = true): Promise<TestGateway> {
  const a = cfAuth();
  const g = await startGateway({ backends: BACKENDS }, { authenticate: a.authenticate, wellKnown: a.wellKnown });
  await g.ready();
  if (route) front.setTarget(new URL(g.url).origin);
  return g;
}

interface Connected {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  notifications: string[];
}

/** An SDK client whose server is `gatehouse connect …` (stderr captured). */
async function connectClient(args: string[], opts: { modern?: boolean; name?: string } = {}): Promise<Connected> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'connect', ...args], env: childEnv(sb.configDir, ENV) as Record<string, string>, cwd: ROOT, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const client = new Client({ name: opts.name ?? 'agent', version: '1.0.0' }, opts.modern ? ({ versionNegotiation: { mode: { pin: '2026-07-28' } } } as never) : undefined);
  const notifications: string[] = [];
  client.setNotificationHandler('notifications/tools/list_changed', () => void notifications.push('tools/list_changed'));
  const c: Connected = { client, transport, stderr: () => err, notifications };
  cleanups.push(async () => {
    await client.close().catch(() => undefined);
    guard.record(`connect ${args.join(' ')} (stderr)`, err);
  });
  await client.connect(transport);
  return c;
}

interface RawConnect {
  child: ChildProcess;
  lines: unknown[];
  stderr: () => string;
  send(msg: unknown): void;
  exit: Promise<number | null>;
}

/** `gatehouse connect` driven by hand, for exit codes and exact stderr. */
function rawConnect(args: string[]): RawConnect {
  const child = spawn(process.execPath, [BIN, 'connect', ...args], { cwd: ROOT, env: childEnv(sb.configDir, ENV), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const lines: unknown[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      if (line.trim()) lines.push(JSON.parse(line));
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.stdin!.on('error', () => undefined);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exit.then(() => {
    clearTimeout(timer);
    guard.record(`raw connect ${args.join(' ')} (stderr)`, err);
    guard.record(`raw connect ${args.join(' ')} (stdout)`, JSON.stringify(lines));
  });
  cleanups.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exit;
  });
  return { child, lines, stderr: () => err, send: (m) => child.stdin!.write(`${JSON.stringify(m)}\n`), exit };
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

async function until<T>(fn: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  sb = cliSandbox();
  tokenDir = mkdtempSync(join(tmpdir(), 'gatehouse-connect-tokens-'));
  front = await startRecordingProxy();
  edge = await startCfAccessStandIn({ upstream: front.url, tokens: [tok] });
  cfGateway = await startCfGateway();
  bearerToken = guard.secret(new ClientTokenStore(tokenDir).create('connect-laptop').token);
  const b = buildInboundAuth({ mode: 'bearer' }, { configDir: tokenDir });
  bearerGateway = await startGateway({ backends: BACKENDS }, { authenticate: b.authenticate, wellKnown: b.wellKnown });
  await bearerGateway.ready();

  const add = await sb.run(['tokens', 'add', 'homelab', '--client-id', tok.clientId], { env: ENV, input: tok.clientSecret });
  guard.recordRun('tokens add homelab', add);
  expect(add.code).toBe(0);
  const addStale = await sb.run(['tokens', 'add', 'stale', '--client-id', stale.clientId], { env: ENV, input: stale.clientSecret });
  guard.recordRun('tokens add stale', addStale);
  const set = await sb.run(['secrets', 'set', 'gw-token', '--from-stdin'], { env: ENV, input: bearerToken });
  guard.recordRun('secrets set gw-token', set);
  expect(set.code).toBe(0);
  const wrong = await sb.run(['secrets', 'set', 'wrong-token', '--from-stdin'], { env: ENV, input: guard.secret(`gth_${'A'.repeat(43)}`) });
  expect(wrong.code).toBe(0);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await cfGateway?.stop();
  await bearerGateway?.stop();
  await edge?.close();
  await front?.close();
  for (const f of ['secrets.json', 'secrets-index.json', 'gatehouse.yaml']) {
    try {
      const text = readFileSync(join(sb.configDir, f), 'utf8');
      // secrets.json is the 0600 file store itself: it must hold the values, and nothing else may.
      if (f !== 'secrets.json') guard.record(f, text);
    } catch {
      /* not written */
    }
  }
  // A service token's identity is its common_name, the Client ID (as Cloudflare reports it); that is
  // the one place it may appear. Anything else in the events is checked against every secret.
  const events = JSON.stringify([...cfGateway.events, ...bearerGateway.events]).replaceAll(`"client":"${tok.clientId}"`, '"client":"<common_name>"');
  guard.record('gateway events', events);
  rmSync(tokenDir, { recursive: true, force: true });
  expect(guard.leaks()).toEqual([]);
});

describe('gatehouse connect', { timeout: 120_000 }, () => {
  it('relays a 2025-era client through Cloudflare Access with the keychain token; the gateway sees the token identity', async () => {
    const c = await connectClient([`${edge.url}/mcp`, '--token', 'homelab']);
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name)).toContain('fx_test_simple_text');
    const r = await c.client.callTool({ name: 'fx_test_simple_text', arguments: {} });
    expect(JSON.stringify(r.content)).toContain('simple text response');
    expect(cfGateway.events.find((e) => e.type === 'session.opened')).toMatchObject({ client: tok.clientId });
    expect(c.stderr()).toContain(`gatehouse connect: connected to ${edge.url}/mcp (streamable HTTP).`);
    // The edge saw the service token on every request from the bridge.
    expect(edge.requests.filter((q) => q.path.startsWith('/mcp')).every((q) => q.accepted && q.hadSecret)).toBe(true);
    await c.client.close();
  });

  it('relays a 2026-07-28 client (per-request _meta; the transport derives MCP-Protocol-Version and Mcp-Method)', async () => {
    const c = await connectClient([`${edge.url}/mcp`, '--token', 'homelab'], { modern: true, name: 'modern-agent' });
    expect(c.client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name)).toContain('fx_test_simple_text');
    expect((await c.client.callTool({ name: 'fx_test_simple_text', arguments: {} })).isError).toBeFalsy();
    // The relayed modern request reached the gateway with the headers the era requires.
    expect(front.seen.some((h) => h['mcp-method'] === 'tools/call' && h['mcp-protocol-version'] === '2026-07-28' && h['mcp-name'] === 'fx_test_simple_text')).toBe(true);
    expect(front.seen.some((h) => h['mcp-session-id'] && h['mcp-protocol-version'] === '2026-07-28')).toBe(false);
    await c.client.close();
  });

  it('survives a gateway restart: a call made while it is down is queued, the session is re-initialized and the client gets tools/list_changed', async () => {
    const c = await connectClient([`${edge.url}/mcp`, '--token', 'homelab'], { name: 'restart-agent' });
    expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
    const initsBefore = front.bodies.filter((b) => b.includes('"method":"initialize"') && b.includes('restart-agent')).length;
    await cfGateway.stop();
    const during = c.client.callTool({ name: 'fx_test_simple_text', arguments: {} });
    await new Promise((r) => setTimeout(r, 800));
    cfGateway = await startCfGateway();
    const r = await during;
    expect(JSON.stringify(r.content)).toContain('simple text response');
    await until(() => c.notifications.includes('tools/list_changed') || undefined, 15_000, 'tools/list_changed');
    expect(c.stderr()).toMatch(/lost the remote session \(.+\); reconnecting/);
    expect(c.stderr()).toMatch(/reconnected to .+ after \d+ attempts?; asked the client to list tools again\./);
    expect((await c.client.listTools()).tools.map((t) => t.name)).toContain('fx_test_simple_text');
    // The new session was opened with the client's original initialize params, then initialized.
    await cfGateway.waitFor((e) => e.type === 'session.opened' && e.client === tok.clientId);
    const inits = front.bodies.filter((b) => b.includes('"method":"initialize"') && b.includes('restart-agent'));
    // (attempts while the gateway was down reached the proxy too; the last one opened the session)
    expect(inits.length).toBeGreaterThan(initsBefore);
    const reinit = JSON.parse(inits.at(-1)!) as { id: string; params: Record<string, unknown> };
    expect(reinit.id).toMatch(/^gatehouse-connect:/);
    expect(reinit.params).toEqual(JSON.parse(inits[0]!).params);
    expect(front.bodies.filter((b) => b.includes('notifications/initialized')).length).toBeGreaterThanOrEqual(2);
    await c.client.close();
  });

  it('an idle client: the broken event stream is noticed, the old session gets 404 from the new gateway, and the bridge re-initializes by itself', async () => {
    const c = await connectClient([`${edge.url}/mcp`, '--token', 'homelab'], { name: 'idle-agent' });
    expect((await c.client.listTools()).tools.length).toBeGreaterThan(0);
    // The replacement is up before the old one goes, so the bridge's event-stream retry meets a gateway that does not know its session.
    const next = await startCfGateway(false);
    const old = cfGateway;
    cfGateway = next;
    front.setTarget(new URL(next.url).origin);
    await old.stop();
    await until(() => /reconnected to /.test(c.stderr()) || undefined, 20_000, 'the bridge to reconnect');
    expect(c.stderr()).toContain('lost the remote session (the remote session expired)');
    await until(() => c.notifications.includes('tools/list_changed') || undefined, 5_000, 'tools/list_changed');
    expect(JSON.stringify((await c.client.callTool({ name: 'fx_test_simple_text', arguments: {} })).content)).toContain('simple text response');
    await c.client.close();
  });

  it('with --bearer-secret reaches a bearer-mode gateway, over streamable HTTP and (auto) over the SSE fallback', async () => {
    const c = await connectClient([bearerGateway.url, '--bearer-secret', 'gw-token']);
    expect((await c.client.callTool({ name: 'fx_test_simple_text', arguments: {} })).isError).toBeFalsy();
    await c.client.close();
    expect(bearerGateway.events.find((e) => e.type === 'session.opened')).toMatchObject({ client: 'connect-laptop' });
    const sse = await connectClient([bearerGateway.url.replace(/\/mcp$/, '/sse'), '--bearer-secret', 'gw-token'], { name: 'sse-agent' });
    expect((await sse.client.callTool({ name: 'fx_test_simple_text', arguments: {} })).isError).toBeFalsy();
    expect(sse.stderr()).toContain('trying the legacy SSE transport');
    expect(sse.stderr()).toContain('(legacy SSE).');
    await sse.client.close();
  });

  it('exits 0 when the client closes stdin', async () => {
    const raw = rawConnect([bearerGateway.url, '--bearer-secret', 'gw-token']);
    raw.send(INIT);
    await until(() => raw.lines.find((l) => (l as { id?: number }).id === 1), 15_000, 'initialize result');
    raw.child.stdin!.end();
    expect(await raw.exit).toBe(0);
  });

  it('a token Access does not accept: one error naming the Access login, exit 4, no retry loop', async () => {
    const before = edge.requests.length;
    const raw = rawConnect([`${edge.url}/mcp`, '--token', 'stale']);
    raw.send(INIT);
    const code = await raw.exit;
    expect(code).toBe(4);
    const answer = raw.lines.find((l) => (l as { id?: number }).id === 1) as { error?: { message: string } } | undefined;
    expect(answer?.error?.message).toMatch(/gatehouse connect: .*Cloudflare Access login/);
    const err = raw.stderr();
    expect(err.match(/^Error: /gm)).toHaveLength(1);
    expect(err).toMatch(/^Error: Authentication failed: .* answered HTTP 302, a redirect to the Cloudflare Access login \(gatehouse-test\.cloudflareaccess\.com\)/m);
    expect(err).toMatch(/^Hint: .*attach one with `--token <name>`/m);
    expect(edge.requests.length - before).toBeLessThanOrEqual(2);
  });

  it('a bearer token the gateway refuses: exit 4 with the 401 reason', async () => {
    const raw = rawConnect([bearerGateway.url, '--bearer-secret', 'wrong-token']);
    raw.send(INIT);
    expect(await raw.exit).toBe(4);
    expect(raw.stderr()).toContain('refused the request (HTTP 401): The token is unknown or revoked.');
    expect(raw.stderr()).toContain('Hint: Pass a valid token with --bearer-secret');
  });

  it('a missing token or secret fails before any request (exit 1, with the fix)', async () => {
    const raw = rawConnect([`${edge.url}/mcp`, '--token', 'nosuch']);
    expect(await raw.exit).toBe(1);
    expect(raw.stderr()).toContain('Error: No Cloudflare Access token named "nosuch".');
    const bad = rawConnect(['not-a-url']);
    expect(await bad.exit).toBe(2);
  });

  it.skipIf(!existsSync(INSPECTOR))('the MCP Inspector CLI, a client we did not write, runs `gatehouse connect` as its stdio server', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gatehouse-connect-inspector-'));
    cleanups.push(async () => rmSync(home, { recursive: true, force: true }));
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [INSPECTOR, '--cli', '--method', 'tools/call', '--tool-name', 'fx_test_simple_text', '--format', 'json', '--quiet', '-e', `GATEHOUSE_CONFIG_DIR=${sb.configDir}`, '-e', 'GATEHOUSE_SECRET_STORE=file', '--', process.execPath, BIN, 'connect', `${edge.url}/mcp`, '--token', 'homelab'],
        { cwd: home, env: { ...process.env, HOME: home, NO_COLOR: '1', MCP_CATALOG_PATH: join(home, 'mcp.json'), MCP_CLIENT_CONFIG_PATH: join(home, 'client.json') }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    guard.recordRun('inspector → connect', r);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(r.stdout).result.content)).toContain('simple text response');
  });
});
