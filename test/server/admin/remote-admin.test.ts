/**
 * The admin API off-loopback (`gateway.admin.remote`), which `gatehouse dashboard --url URL --token T`
 * uses through a Tunnel or from another pod: a real gateway, a real REST write backend, real client
 * tokens checked by the real bearer verifier, and a real SDK client that asks for a guarded write.
 *
 * Two things are stand-ins, because they cannot run here:
 * - The peer address. Tests may use loopback only, and every loopback peer is the local CLI, so the
 *   gateway's own HTTP server is given a listener, ahead of its own, that presents the socket's peer
 *   as 203.0.113.7 (TEST-NET-3) when a request asks for it. Everything after that is the code path a
 *   remote caller takes.
 * - A person's JWT. The JWT verifier has its own tests against a local issuer (test/server/auth/jwt.test.ts);
 *   here one fixed token maps to the identity that verifier would return for a person.
 */
import { request, type Server as HttpServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ClientTokenStore } from '../../../src/core/auth/client-tokens.js';
import type { RestBackendConfig } from '../../../src/core/config/schema.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import type { AuthOutcome } from '../../../src/server/inbound/http.js';
import { startFixture, sendJson, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

const PERSON_JWT = 'person.jwt.stand-in';
const REMOTE_PEER = '203.0.113.7';

let dir: string;
let fx: FixtureServer;
let gw: TestGateway;
let port: number;
let tokens: { watcher: string; agent: string; stranger: string };

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One request on a fresh connection (so the presented peer address is this request's own). */
function call(method: string, path: string, o: { token?: string; remote?: boolean; body?: unknown } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent: false,
        headers: {
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
          ...(o.remote === false ? {} : { 'x-test-peer': REMOTE_PEER }),
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          // The event stream never ends: its first event is enough.
          if (res.headers['content-type']?.startsWith('text/event-stream') && text.includes('\n\n')) res.destroy();
        });
        const done = () => resolve({ status: res.statusCode ?? 0, body: res.headers['content-type']?.startsWith('application/json') ? JSON.parse(text || '{}') : { text } });
        res.on('end', done);
        res.on('close', done);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-remote-admin-'));
  const store = new ClientTokenStore(dir);
  tokens = { watcher: store.create('dash', { roles: ['ops'] }).token, agent: store.create('agent', { roles: ['ops-lead'] }).token, stranger: store.create('stranger').token };
  const bearer = buildInboundAuth({ mode: 'bearer' }, { configDir: dir });
  const authenticate = async (req: Parameters<typeof bearer.authenticate>[0]): Promise<AuthOutcome> => {
    if (req.headers.authorization === `Bearer ${PERSON_JWT}`) {
      return { ok: true, client: 'ana@example.com', subject: 'ana', identity: { client: 'ana@example.com', subject: 'ana', roles: ['ops-lead'], via: 'jwt' } };
    }
    return bearer.authenticate(req);
  };
  fx = await startFixture((_req, res) => sendJson(res, 200, { applied: true }));
  const k8s = {
    type: 'rest',
    baseUrl: fx.url,
    allowWrites: true,
    tools: [{ name: 'scale', method: 'POST', path: '/scale/{namespace}', body: { replicas: '{replicas}' }, inputSchema: { type: 'object', properties: { namespace: { type: 'string' }, replicas: { type: 'integer' } }, required: ['namespace', 'replicas'] } }],
  } as RestBackendConfig;
  gw = await startGateway(
    { gateway: { auth: { mode: 'bearer' }, admin: { remote: { watch: ['ops'], decide: ['ops-lead'] } } }, backends: { k8s } },
    { authenticate, stateDir: dir },
  );
  await gw.ready();
  port = Number(new URL(gw.url).port);
  const server = (gw.gateway.http as unknown as { http: HttpServer }).http;
  server.prependListener('request', (req) => {
    if (req.headers['x-test-peer']) Object.defineProperty(req.socket, 'remoteAddress', { value: req.headers['x-test-peer'], configurable: true });
  });
});

afterAll(async () => {
  await gw?.stop();
  await fx?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function askForWrite(): Promise<string> {
  const client = new Client({ name: 'agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url), { requestInit: { headers: { Authorization: `Bearer ${tokens.agent}` } } }));
  try {
    const r = await client.callTool({ name: 'k8s_scale', arguments: { namespace: 'demo', replicas: 3 } });
    return (r._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
  } finally {
    await client.close();
  }
}

describe('the admin API off-loopback', { timeout: 60_000 }, () => {
  it('refuses a remote caller without a credential, or with one that holds no remote role', async () => {
    const none = await call('GET', '/admin/status');
    expect(none.status).toBe(401);
    expect(none.body.message).toMatch(/Not authenticated for the admin API/);
    const stranger = await call('GET', '/admin/status', { token: tokens.stranger });
    expect(stranger.status).toBe(403);
    expect(stranger.body.message).toContain('stranger holds no role that gateway.admin.remote lets in (watch: ops; decide: ops-lead)');
  });

  it('lets a watcher read status, the event stream and approvals, and nothing else', async () => {
    const status = await call('GET', '/admin/status', { token: tokens.watcher });
    expect(status.status).toBe(200);
    expect(status.body).toHaveProperty('backends');
    const events = await call('GET', '/admin/events', { token: tokens.watcher });
    expect(events.status).toBe(200);
    expect(String(events.body.text)).toMatch(/^(event|data|id|:|retry)/m);
    expect((await call('GET', '/admin/approvals', { token: tokens.watcher })).status).toBe(200);
    const reload = await call('POST', '/admin/refresh', { token: tokens.watcher });
    expect(reload.status).toBe(403);
    expect(reload.body.message).toMatch(/loopback clients only/);
  });

  it('never lets a client token decide, even one holding a decide role; a person with one decides as themself', async () => {
    const id = await askForWrite();
    const byAgent = await call('POST', `/admin/approvals/${id}/approve`, { token: tokens.agent, body: { approver: 'someone-else' } });
    expect(byAgent.status).toBe(403);
    expect(byAgent.body.message).toContain('client tokens and Access service tokens belong to agents and machines');
    const byWatcher = await call('POST', `/admin/approvals/${id}/approve`, { token: tokens.watcher, body: { approver: 'x' } });
    expect(byWatcher.status).toBe(403);
    expect((await gw.gateway.approvals.get(id))!.state).toBe('pending');

    // The body's approver is ignored: the decision is recorded under the authenticated person.
    const byPerson = await call('POST', `/admin/approvals/${id}/approve`, { token: PERSON_JWT, body: { approver: 'mallory' } });
    expect(byPerson.status).toBe(200);
    const plan = await gw.gateway.approvals.get(id);
    expect(plan!.state).toBe('approved');
    expect(plan!.decidedBy).toBe('ana@example.com');
  });

  it('keeps the local CLI path as it was: loopback with the admin token, and nothing without it', async () => {
    expect((await call('GET', '/admin/status', { remote: false, token: tokens.watcher })).status).toBe(401);
    const token = (gw.gateway as unknown as { adminToken: string }).adminToken;
    expect((await call('GET', '/admin/status', { remote: false, token })).status).toBe(200);
    // The admin token is the local CLI's: presented from elsewhere it is just an unknown bearer token.
    expect((await call('GET', '/admin/status', { token })).status).toBe(401);
  });
});

describe('without gateway.admin.remote', () => {
  it('config validation refuses remote admin without inbound auth, naming the fix', async () => {
    const { configSchema } = await import('../../../src/core/config/schema.js');
    const r = configSchema.safeParse({ version: 1, gateway: { admin: { remote: { watch: ['ops'] } } }, backends: {} });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('needs gateway.auth');
  });
});
