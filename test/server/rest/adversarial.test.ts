import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restBackendSchema, type RestBackendConfig } from '../../../src/core/config/schema.js';
import { buildRestBackendConfig } from '../../../src/core/templates/build.js';
import { createRestUpstream, type RestUpstream } from '../../../src/server/upstream/rest.js';
import type { LookupFn } from '../../../src/server/rest/ssrf.js';
import { sendJson, startFixture, type FixtureServer } from '../../fixtures/rest/recorder.js';
import { call, json, started } from './helpers.js';

let api: FixtureServer;
let other: FixtureServer;
const ups: RestUpstream[] = [];

const TOOLS = [
  {
    name: 'get_item',
    path: '/api/v1/items/{id}/history',
    query: { q: '{q}', tag: '{tags}', fixed: 'up{{job="x"}}' },
    headers: { 'X-Trace': '{trace}' },
    inputSchema: {
      type: 'object',
      properties: { id: { type: 'string' }, q: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } }, trace: { type: 'string' } },
    },
  },
  {
    name: 'search',
    method: 'POST',
    readOnly: true,
    path: '/api/v1/search',
    body: { query: '{query}', limit: '{limit}', nested: { label: 'q={query}' }, opt: '{missing}' },
    inputSchema: {
      type: 'object',
      properties: { query: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 }, missing: { type: 'string' } },
      required: ['query'],
    },
  },
  { name: 'typed', path: '/n/{n}', inputSchema: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } } } },
  { name: 'big', path: '/big' },
  { name: 'slow', path: '/slow' },
  { name: 'invalid', path: '/invalid' },
  { name: 'html', path: '/html' },
  { name: 'denied', path: '/denied' },
  { name: 'missing', path: '/missing' },
  { name: 'redirect_other', path: '/redirect-other' },
  { name: 'redirect_same', path: '/redirect-same' },
  { name: 'redirect_login', path: '/redirect-login' },
  { name: 'redirect_sso', path: '/redirect-sso' },
  { name: 'access_denied', path: '/access-denied' },
  { name: 'web_ui', path: '/web-ui' },
  { name: 'text', path: '/text' },
  { name: 'selected', path: '/selected', select: 'data.result[0].name' },
  { name: 'selected_miss', path: '/selected', select: 'data.nope' },
  {
    name: 'structured',
    path: '/selected',
    select: 'data',
    outputSchema: { type: 'object', properties: { result: { type: 'array' } }, required: ['result'] },
  },
  { name: 'structured_bad', path: '/selected', outputSchema: { type: 'object', required: ['absent'] } },
];

function backend(url: string, extra: Record<string, unknown> = {}): RestBackendConfig {
  return restBackendSchema.parse({ type: 'rest', baseUrl: url, tools: TOOLS, ...extra });
}

async function up(config: RestBackendConfig, deps: Parameters<typeof createRestUpstream>[2] = {}): Promise<RestUpstream> {
  const u = await started('api', config, deps);
  ups.push(u);
  return u;
}

beforeAll(async () => {
  other = await startFixture((_req, res) => sendJson(res, 200, { other: true }));
  api = await startFixture(async (req, res) => {
    switch (req.path) {
      case '/big': {
        // 50 MB of JSON, written as fast as the client reads it.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1024 * 1024, 'a');
        res.write('["');
        for (let i = 0; i < 50 && !res.destroyed; i++) {
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r).once('close', r));
        }
        res.end('"]');
        return;
      }
      case '/slow':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"partial":');
        // Never finishes; the client must give up and the test closes the socket.
        return;
      case '/invalid':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"a": 1,');
        return;
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!DOCTYPE html><html><head><title>Sign in ・ Cloudflare Access</title></head><body>cloudflareaccess.com</body></html>');
        return;
      case '/denied':
        return sendJson(res, 403, { message: 'permission denied: token lacks scope' });
      case '/missing':
        return sendJson(res, 404, { error: 'no such thing' });
      case '/redirect-other':
        res.writeHead(302, { location: `${other.url.replace('127.0.0.1', 'localhost')}/steal` });
        res.end();
        return;
      case '/redirect-same':
        res.writeHead(301, { location: '/text' });
        res.end();
        return;
      case '/redirect-login':
        res.writeHead(302, { location: 'https://myteam.cloudflareaccess.com/cdn-cgi/access/login/api.example.com?redirect_url=%2F' });
        res.end();
        return;
      case '/redirect-sso':
        res.writeHead(302, { location: 'https://sso.example/auth/realms/corp/protocol/openid-connect/auth?client_id=x' });
        res.end();
        return;
      case '/access-denied':
        res.writeHead(403, { 'content-type': 'text/html', 'cf-ray': '8a1b2c3d4e5f-AMS' });
        res.end('<html><head><title>Forbidden ・ Cloudflare Access</title></head><body>You do not have access. myteam.cloudflareaccess.com</body></html>');
        return;
      case '/web-ui':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><html><body>Grafana</body></html>');
        return;
      case '/delayed':
        await new Promise((r) => setTimeout(r, 300));
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('late but complete');
        return;
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('plain text body');
        return;
      case '/selected':
        return sendJson(res, 200, { status: 'success', data: { result: [{ name: 'first' }, { name: 'second' }] } });
      default:
        return sendJson(res, 200, { ok: true, path: req.path });
    }
  });
});

afterEach(async () => {
  await Promise.all(ups.splice(0).map((u) => u.stop({ drainMs: 0 })));
});

afterAll(async () => {
  await api.close();
  await other.close();
});

function requestsSince(n: number) {
  return api.requests.slice(n);
}

describe('path parameters cannot change the URL structure', () => {
  const hostile = ['../../admin', 'a/b', '%2F..%2Fadmin', 'x?admin=1', 'x#frag', 'line\r\nX-Injected: 1', '//evil.example/x', '@evil.example', 'http://evil.example/', '..;/admin', ' space', 'ü/ñ'];
  for (const id of hostile) {
    it(`id=${JSON.stringify(id)} stays one segment under the base path`, async () => {
      const u = await up(backend(`${api.url}/base`));
      const before = api.requests.length;
      const data = json<{ path: string }>(await call(u, 'get_item', { id }));
      const [req] = requestsSince(before);
      expect(req).toBeDefined();
      expect(req!.rawUrl.startsWith('/base/api/v1/items/')).toBe(true);
      const segments = req!.rawUrl.split('?')[0]!.split('/');
      expect(segments).toHaveLength(7);
      expect(segments[6]).toBe('history');
      expect(decodeURIComponent(segments[5]!)).toBe(id);
      expect(data.path).toBe(req!.path);
      expect(req!.headers['x-injected']).toBeUndefined();
    });
  }

  for (const id of ['..', '.']) {
    it(`id=${JSON.stringify(id)} is refused and nothing is sent`, async () => {
      const u = await up(backend(api.url));
      const before = api.requests.length;
      await expect(call(u, 'get_item', { id })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('must not be "." or ".."') });
      expect(requestsSince(before)).toHaveLength(0);
    });
  }

  it('an empty path parameter is refused (it would collapse the path)', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    await expect(call(u, 'get_item', { id: '' })).rejects.toMatchObject({ code: -32602 });
    expect(requestsSince(before)).toHaveLength(0);
  });

  it('a typed path parameter is validated and rendered as text', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    await expect(call(u, 'typed', { n: '1/../x' })).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('n: must be integer') });
    expect(requestsSince(before)).toHaveLength(0);
    json(await call(u, 'typed', { n: 42 }));
    expect(requestsSince(before)[0]!.rawUrl).toBe('/n/42');
  });
});

describe('query, header and body positions', () => {
  it('query values are encoded so they cannot add parameters; arrays repeat; literal braces survive', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    json(await call(u, 'get_item', { id: 'a', q: 'x&admin=true#frag\r\n', tags: ['t1', 'a=b&c'] }));
    const [req] = requestsSince(before);
    expect([...req!.query.keys()].sort()).toEqual(['fixed', 'q', 'tag', 'tag']);
    expect(req!.query.get('q')).toBe('x&admin=true#frag\r\n');
    expect(req!.query.getAll('tag')).toEqual(['t1', 'a=b&c']);
    expect(req!.query.get('fixed')).toBe('up{job="x"}');
  });

  it('optional query parameters and headers are left out when their argument is absent', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    json(await call(u, 'get_item', { id: 'a' }));
    const [req] = requestsSince(before);
    expect([...req!.query.keys()]).toEqual(['fixed']);
    expect(req!.headers['x-trace']).toBeUndefined();
  });

  it('a declared header carries its argument; CR/LF in it is refused and nothing is sent', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    json(await call(u, 'get_item', { id: 'a', trace: 'abc-123' }));
    expect(requestsSince(before)[0]!.headers['x-trace']).toBe('abc-123');
    const n = api.requests.length;
    await expect(call(u, 'get_item', { id: 'a', trace: 'abc\r\nX-Admin: yes' })).rejects.toMatchObject({
      code: -32602,
      message: expect.stringContaining('trace: must not contain CR, LF or NUL'),
    });
    expect(requestsSince(n)).toHaveLength(0);
  });

  it('arguments that are not declared (e.g. headers, authorization) are refused and nothing is sent', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    const err = await call(u, 'get_item', { id: 'a', headers: { Authorization: 'x' }, authorization: 'Bearer x', url: 'http://evil' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: -32602 });
    const args = (err as { data: { violations: Array<{ argument: string; message: string }> } }).data.violations.map((v) => v.argument).sort();
    expect(args).toEqual(['authorization', 'headers', 'url']);
    expect(requestsSince(before)).toHaveLength(0);
  });

  it('body values keep their JSON type, defaults apply, absent members are dropped, strings cannot break out', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    json(await call(u, 'search', { query: '"}, "admin": true, "x": {"' }));
    const [req] = requestsSince(before);
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req!.body)).toEqual({ query: '"}, "admin": true, "x": {"', limit: 10, nested: { label: 'q="}, "admin": true, "x": {"' } });
  });

  it('every violation is listed in one error', async () => {
    const u = await up(backend(api.url));
    const before = api.requests.length;
    const err = await call(u, 'search', { limit: 1000, extra: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: -32602 });
    const msg = (err as Error).message;
    expect(msg).toContain('Invalid arguments for tool "search" (3 problems)');
    expect(msg).toContain('query: is required');
    expect(msg).toContain('limit: must be <= 100');
    expect(msg).toContain('extra: is not a known argument');
    expect(requestsSince(before)).toHaveLength(0);
  });
});

describe('SSRF guard', () => {
  const fakeDns =
    (answers: Record<string, string[]>, asked: string[] = []): LookupFn =>
    async (host) => {
      asked.push(host);
      const a = answers[host];
      if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };

  it('a name that resolves to loopback is allowed by default', async () => {
    const u = await up(backend(`http://api.cluster.test:${api.port}`), { lookup: fakeDns({ 'api.cluster.test': ['127.0.0.1'] }) });
    const before = api.requests.length;
    expect(json(await call(u, 'get_item', { id: 'a' }))).toMatchObject({ ok: true });
    expect(requestsSince(before)[0]!.headers.host).toBe(`api.cluster.test:${api.port}`);
  });

  const blocked: Array<[string, string[], RegExp]> = [
    ['metadata.test', ['169.254.169.254'], /169\.254\.169\.254 is a link-local address.*add "169\.254\.169\.254\/32" to gateway\.allowedNetworks/],
    ['mapped.test', ['::ffff:169.254.169.254'], /169\.254\.169\.254 is a link-local address/],
    ['ec2v6.test', ['fd00:ec2::254'], /AWS IPv6 metadata address.*allowedNetworks/],
    ['zero.test', ['0.0.0.0'], /unspecified/],
  ];
  for (const [host, answers, message] of blocked) {
    it(`${host} → ${answers.join(',')} is blocked with the address and the setting that allows it`, async () => {
      const u = await up(backend(`http://${host}:${api.port}`), { lookup: fakeDns({ [host]: answers }) });
      const before = api.requests.length;
      const r = await call(u, 'get_item', { id: 'a' });
      expect(r.isError).toBe(true);
      expect(r.content[0]!.text).toMatch(message);
      expect(requestsSince(before)).toHaveLength(0);
      expect(u.state).toBe('degraded');
    });
  }

  it('a rebinding answer list (blocked first, loopback second) only ever connects to the allowed address', async () => {
    const asked: string[] = [];
    const u = await up(backend(`http://rebind.test:${api.port}`), { lookup: fakeDns({ 'rebind.test': ['169.254.169.254', '127.0.0.1'] }, asked) });
    // The start-time address check resolves once on its own; then one resolution per new connection.
    expect(await u.networkWarnings()).toEqual([]);
    asked.length = 0;
    const before = api.requests.length;
    expect(json(await call(u, 'get_item', { id: 'a' }))).toMatchObject({ ok: true });
    expect(requestsSince(before)).toHaveLength(1);
    expect(asked).toEqual(['rebind.test']);
  });

  it('the check happens per connection, so a name that later resolves elsewhere is blocked then', async () => {
    let answer = '127.0.0.1';
    const lookup: LookupFn = async () => [{ address: answer, family: 4 }];
    const u = await up(backend(`http://flip.test:${api.port}`), { lookup });
    json(await call(u, 'get_item', { id: 'a' }));
    // Drop pooled sockets, then flip the DNS answer: the next connection is checked again.
    await u.stop({ drainMs: 0 });
    await u.start();
    answer = '169.254.169.254';
    const r = await call(u, 'get_item', { id: 'a' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('Blocked connection to flip.test');
  });

  it('a name whose answers change class after the first (loopback, then a cluster address) is refused as rebinding', async () => {
    let answers = ['127.0.0.1'];
    const lookup: LookupFn = async () => answers.map((address) => ({ address, family: 4 }));
    const u = await up(backend(`http://moving.test:${api.port}`), { lookup });
    expect(json(await call(u, 'get_item', { id: 'a' }))).toMatchObject({ ok: true });
    // A new pool (as after a restart of the connection) must still remember the first answer's class.
    await u.stop({ drainMs: 0 });
    await u.start();
    answers = ['10.0.0.7', '192.168.1.9'];
    const before = api.requests.length;
    const r = await call(u, 'get_item', { id: 'a' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/first resolved to 127\.0\.0\.1, a loopback address, and now to 10\.0\.0\.7, a private one \(DNS rebinding\)/);
    expect(requestsSince(before)).toHaveLength(0);
    // The same class again is fine: a service that moves within its network is not rebinding.
    answers = ['10.0.0.7', '127.0.0.1'];
    expect(json(await call(u, 'get_item', { id: 'a' }))).toMatchObject({ ok: true });
  });

  it('allowedNetworks narrows: a public answer outside the list is refused before any connection', async () => {
    const u = await up(backend(`http://public.test:${api.port}`), { allowedNetworks: ['10.0.0.0/8'], lookup: fakeDns({ 'public.test': ['203.0.113.7'] }) });
    const r = await call(u, 'get_item', { id: 'a' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/203\.0\.113\.7 is outside the allowed networks \(10\.0\.0\.0\/8\)/);
  });

  it('a backend whose address the guard will refuse says so in its warnings at start, before any call', async () => {
    const u = await up(backend(`http://meta.test:${api.port}`), { lookup: fakeDns({ 'meta.test': ['169.254.169.254'] }) });
    const before = api.requests.length;
    const warnings = await u.networkWarnings();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ backend: 'api', host: 'meta.test', address: '169.254.169.254' });
    expect(warnings[0]!.message).toMatch(/meta\.test resolves to 169\.254\.169\.254; 169\.254\.169\.254 is a link-local address.*every call to it will be refused/);
    expect(requestsSince(before)).toHaveLength(0);
    const fine = await up(backend(api.url));
    expect(await fine.networkWarnings()).toEqual([]);
  });

  it('an IP literal in the base URL is checked without DNS', async () => {
    const u = await up(backend('http://169.254.169.254/latest'));
    const r = await call(u, 'get_item', { id: 'a' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toContain('Blocked connection to 169.254.169.254');
  });

  it('allowedNetworks narrows the default: loopback is refused when not listed', async () => {
    const u = await up(backend(api.url), { allowedNetworks: ['10.96.0.0/12'] });
    const before = api.requests.length;
    const r = await call(u, 'get_item', { id: 'a' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/127\.0\.0\.1 is outside the allowed networks \(10\.96\.0\.0\/12\).*Add a CIDR covering 127\.0\.0\.1/);
    expect(requestsSince(before)).toHaveLength(0);
  });

  it('an invalid allowedNetworks entry fails the backend with the reason', async () => {
    const u = createRestUpstream('api', backend(api.url), { allowedNetworks: ['10.0.0.0/33'] });
    ups.push(u);
    await u.start();
    expect(u.state).toBe('failed');
    expect(u.lastError).toContain('"10.0.0.0/33" is not a network in CIDR form');
  });
});

describe('redirects', () => {
  it('a redirect to another host is not followed', async () => {
    const u = await up(backend(api.url));
    const before = other.requests.length;
    const r = await call(u, 'redirect_other');
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/HTTP 302 and a redirect to another host \(localhost:\d+\); Gatehouse does not follow it/);
    expect(other.requests.length).toBe(before);
  });

  it('a redirect within the backend is followed', async () => {
    const u = await up(backend(api.url));
    expect((await call(u, 'redirect_same')).content[0]!.text).toBe('plain text body');
  });

  it('a redirect to a Cloudflare Access login page gets the Access diagnosis', async () => {
    const u = await up(backend(api.url));
    const r = await call(u, 'redirect_login');
    expect(r.isError).toBe(true);
    const text = r.content[0]!.text;
    expect(text).toMatch(/^Backend "api": .*answered HTTP 302, a redirect to the Cloudflare Access login \(myteam\.cloudflareaccess\.com\): Access did not accept the request\./);
    expect(text).toContain('"Service Auth" rule');
    expect(text).toMatch(/\(GET \/redirect-login\)$/);
    expect(text).not.toContain('redirect_url');
  });

  it('a redirect to another login page is named as such', async () => {
    const u = await up(backend(api.url));
    const r = await call(u, 'redirect_sso');
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/a redirect to a login page \(https:\/\/sso\.example\/auth\/realms\/corp\/protocol\/openid-connect\/auth\): the request was not authenticated/);
  });
});

describe('responses', () => {
  it('a 50 MB body is cut off at the cap with a notice, without reading the rest', async () => {
    const u = await up(backend(api.url, { maxResponseBytes: 256 * 1024 }));
    const started = performance.now();
    const r = await call(u, 'big');
    expect(r.isError).toBeUndefined();
    const text = r.content[0]!.text;
    expect(text.length).toBeLessThan(256 * 1024 + 500);
    expect(text).toMatch(/\[Gatehouse: the response was longer than 262144 bytes and was cut off there\. .*maxResponseBytes on backend "api"\.\]$/);
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect.poll(() => api.aborted, { timeout: 5_000 }).toBeGreaterThan(0);
  });

  it('a body that stalls ends in a timeout error naming the backend and tool', async () => {
    const u = await up(backend(api.url));
    const started = performance.now();
    await expect(call(u, 'slow', {}, { timeoutMs: 300 })).rejects.toMatchObject({
      // RequestTimeout (-32003): -32002 is ResourceNotFound and the SDK rewrites it on the way out.
      code: -32003,
      message: 'Backend "api" did not answer tool "slow" (GET /slow) within 300 ms.',
    });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('a cancelled call stops at once', async () => {
    const u = await up(backend(api.url));
    const ac = new AbortController();
    const p = call(u, 'slow', {}, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ message: 'Request cancelled.' });
  });

  it('invalid JSON is an error that says so', async () => {
    const u = await up(backend(api.url));
    const r = await call(u, 'invalid');
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^Backend "api" sent invalid JSON for GET \/invalid \(HTTP 200, application\/json\): .*Body starts: \{"a": 1,/);
  });

  it('an Access login page served as HTML gets the Access diagnosis', async () => {
    const u = await up(backend(api.url));
    const r = await call(u, 'html');
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^Backend "api": .*answered with the Cloudflare Access login page \(HTTP 200, text\/html\) instead of the application/);
  });

  it('an Access 403 page says Access refused the request', async () => {
    const u = await up(backend(api.url));
    const r = await call(u, 'access_denied');
    expect(r.content[0]!.text).toMatch(/answered HTTP 403 with a Cloudflare Access page: Access refused the request/);
  });

  it('any other HTML page is named as a login page or web UI', async () => {
    const u = await up(backend(api.url));
    const r = await call(u, 'web_ui');
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/^Backend "api" answered HTTP 200 with an HTML page where an API answer was expected.*\(GET \/web-ui; the page starts: <!doctype html><html><body>Grafana/);
  });

  it('non-2xx statuses carry the status, the backend and a body excerpt', async () => {
    const u = await up(backend(api.url));
    const denied = await call(u, 'denied');
    expect(denied).toMatchObject({ isError: true });
    expect(denied.content[0]!.text).toBe(
      'Backend "api" returned HTTP 403 Forbidden for GET /denied. Check the credentials configured for this backend (auth or headers). Body: {"message":"permission denied: token lacks scope"}',
    );
    expect((await call(u, 'missing')).content[0]!.text).toMatch(/^Backend "api" returned HTTP 404 Not Found for GET \/missing\. Body: \{"error":"no such thing"\}$/);
  });

  it('select keeps what agents need, and says what is there when the path misses', async () => {
    const u = await up(backend(api.url));
    expect(json(await call(u, 'selected'))).toBe('first');
    const miss = await call(u, 'selected_miss');
    expect(miss.isError).toBe(true);
    expect(miss.content[0]!.text).toMatch(/has nothing at "data\.nope".*found: result/);
  });

  it('structuredContent is returned when an outputSchema is declared, and a mismatch is an error', async () => {
    const u = await up(backend(api.url));
    const r = await call(u, 'structured');
    expect(r.structuredContent).toEqual({ result: [{ name: 'first' }, { name: 'second' }] });
    expect(JSON.parse(r.content[0]!.text)).toEqual(r.structuredContent);
    expect(u.catalog().tools.find((t) => t.name === 'structured')!.outputSchema).toMatchObject({ required: ['result'] });
    const bad = await call(u, 'structured_bad');
    expect(bad.isError).toBe(true);
    expect(bad.content[0]!.text).toContain("does not match the tool's outputSchema: absent: is required");
  });

  it('plain-text bodies are passed through', async () => {
    const u = await up(backend(api.url));
    expect(await call(u, 'text')).toEqual({ content: [{ type: 'text', text: 'plain text body' }] });
  });

  it('a refused connection is an error result and marks the backend degraded until a call succeeds', async () => {
    const dead = await startFixture(() => {});
    const port = dead.port;
    await dead.close();
    const u = await up(backend(`http://127.0.0.1:${port}`));
    const events: string[] = [];
    u.on((e) => e.type === 'state' && events.push(e.state));
    const r = await call(u, 'get_item', { id: 'a' });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/refused the connection at 127\.0\.0\.1:\d+/);
    expect(u.state).toBe('degraded');
    expect(events).toEqual(['degraded']);
  });
});

describe('read-only by default', () => {
  const writeTool = { name: 'delete_item', method: 'DELETE', path: '/api/v1/items/{id}' };

  it('config load refuses a write tool without allowWrites, naming the tool and the fix', () => {
    const r = restBackendSchema.safeParse({ type: 'rest', baseUrl: api.url, tools: [writeTool] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['tools', 0, 'method'], message: expect.stringContaining('"delete_item" uses DELETE, a write; REST backends are read-only unless they set allowWrites: true') });
  });

  it('readOnly is accepted only on POST', () => {
    expect(restBackendSchema.safeParse({ type: 'rest', baseUrl: api.url, tools: [{ ...writeTool, readOnly: true }] }).success).toBe(false);
  });

  it('registration refuses a tools file with a write tool unless allowWrites is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-rest-'));
    try {
      const file = join(dir, 'tools.yaml');
      await writeFile(file, `tools:\n  - name: list\n    path: /items\n  - name: delete_item\n    method: DELETE\n    path: /items/{id}\n`);
      expect(() => buildRestBackendConfig({ name: 'api', baseUrl: api.url, toolsFile: file })).toThrow(/Refusing write tools: tool "delete_item" uses DELETE/);
      const cfg = buildRestBackendConfig({ name: 'api', baseUrl: api.url, toolsFile: file, allowWrites: true });
      expect(cfg).toMatchObject({ toolsFile: file, allowWrites: true });

      // A tools file edited after registration is refused at start: the backend fails, nothing is called.
      const u = createRestUpstream('api', { ...cfg, allowWrites: undefined });
      ups.push(u);
      await u.start();
      expect(u.state).toBe('failed');
      expect(u.lastError).toContain('Refusing write tools');
      expect(u.catalog().tools).toEqual([]);
      await expect(call(u, 'list')).rejects.toMatchObject({ code: -32001 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('write tools are marked destructive; read tools read-only', async () => {
    const u = await up(restBackendSchema.parse({ type: 'rest', baseUrl: api.url, allowWrites: true, tools: [writeTool, { name: 'list', path: '/items' }] }));
    const byName = Object.fromEntries(u.catalog().tools.map((t) => [t.name, t.annotations]));
    expect(byName.delete_item).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    expect(byName.list).toMatchObject({ destructiveHint: false, readOnlyHint: true });
    const before = api.requests.length;
    json(await call(u, 'delete_item', { id: '7' }));
    expect(requestsSince(before)[0]).toMatchObject({ method: 'DELETE', rawUrl: '/api/v1/items/7' });
  });
});

describe('credentials', () => {
  it('auth from an env reference is sent, applied after tool headers, and never appears in results', async () => {
    const config = backend(api.url, { auth: { type: 'bearer', token: 'env:GH_TEST_TOKEN' }, headers: { 'X-Static': 'static' } });
    config.tools!.push(restBackendSchema.parse({ type: 'rest', baseUrl: api.url, tools: [{ name: 'spoof', path: '/spoof', headers: { Authorization: '{auth}' } }] }).tools![0]!);
    const u = await up(config, { resolve: { env: { GH_TEST_TOKEN: 's3cr3t-value' } } });
    const before = api.requests.length;
    json(await call(u, 'spoof', { auth: 'Bearer attacker' }));
    const [req] = requestsSince(before);
    expect(req!.headers.authorization).toBe('Bearer s3cr3t-value');
    expect(req!.headers['x-static']).toBe('static');
    const denied = await call(u, 'denied');
    expect(JSON.stringify(denied)).not.toContain('s3cr3t');
  });

  it('Cloudflare Access service tokens: a token name (env:PREFIX), client id/secret references, or cfAccessToken', async () => {
    const env = { CFT_CLIENT_ID: 'id-1.access', CFT_CLIENT_SECRET: 'secret-1', ID2: 'id-2.access', SECRET2: 'secret-2' };
    const variants: Array<[Record<string, unknown>, string, string]> = [
      [{ auth: { type: 'cf-access', token: 'env:CFT' } }, 'id-1.access', 'secret-1'],
      [{ auth: { type: 'cf-access', clientId: 'env:ID2', clientSecret: 'env:SECRET2' } }, 'id-2.access', 'secret-2'],
      [{ cfAccessToken: 'env:CFT', auth: { type: 'bearer', token: 'env:ID2' } }, 'id-1.access', 'secret-1'],
    ];
    for (const [extra, id, secret] of variants) {
      const u = await up(backend(api.url, extra), { resolve: { env } });
      const before = api.requests.length;
      json(await call(u, 'get_item', { id: 'a' }));
      expect(requestsSince(before)[0]!.headers).toMatchObject({ 'cf-access-client-id': id, 'cf-access-client-secret': secret });
    }
    expect(restBackendSchema.safeParse({ type: 'rest', baseUrl: api.url, tools: TOOLS, auth: { type: 'cf-access', clientId: 'env:X' } }).success).toBe(false);
  });

  it('a missing secret fails the backend with the variable name, not a crash', async () => {
    const u = createRestUpstream('api', backend(api.url, { auth: { type: 'bearer', token: 'env:GH_TEST_MISSING' } }), { resolve: { env: {} } });
    ups.push(u);
    await u.start();
    expect(u.state).toBe('failed');
    expect(u.lastError).toContain('Environment variable GH_TEST_MISSING is not set');
  });
});

describe('lifecycle', () => {
  it('refresh re-reads the tools file and announces the change; stop waits for calls in flight', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gh-rest-'));
    try {
      const file = join(dir, 'tools.yaml');
      await writeFile(file, 'tools:\n  - name: text\n    path: /text\n');
      const u = await up(restBackendSchema.parse({ type: 'rest', baseUrl: api.url, toolsFile: 'tools.yaml' }), { baseDir: dir });
      const events: string[] = [];
      u.on((e) => events.push(e.type === 'state' ? `state:${e.state}` : e.type));
      expect(u.catalog().tools.map((t) => t.name)).toEqual(['text']);
      await writeFile(file, 'tools:\n  - name: text\n    path: /text\n  - name: delayed\n    path: /delayed\n');
      await u.refresh();
      expect(u.catalog().tools.map((t) => t.name)).toEqual(['text', 'delayed']);
      expect(events).toEqual(['list_changed']);
      await u.refresh();
      expect(events).toEqual(['list_changed']);

      const slow = call(u, 'delayed', {}, { timeoutMs: 5_000 });
      await new Promise((r) => setTimeout(r, 50));
      await u.stop({ drainMs: 2_000 });
      expect((await slow).content[0]!.text).toBe('late but complete');
      expect(u.state).toBe('stopped');
      expect(u.catalog().tools).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a disabled backend stays disabled and serves nothing', async () => {
    const u = createRestUpstream('api', backend(api.url, { disabled: true }));
    ups.push(u);
    await u.start();
    expect(u.state).toBe('disabled');
    await expect(call(u, 'text')).rejects.toMatchObject({ code: -32001 });
  });
});
