/**
 * `backends test` on a REST backend: it resolves the backend's secret from the store and makes one
 * real read against a service on 127.0.0.1 (the first GET tool without required arguments, or
 * --tool), and fails with the reason when the secret is missing, the service refuses the token or
 * the named tool would write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cliSandbox, type CliSandbox } from '../helpers/cli.js';
import { startTinyHttp } from '../server/helpers.js';

const TOKEN = 'rest-probe-token-6f1c9a';
const ENV = { GATEHOUSE_SECRET_STORE: 'file' };
let service: Awaited<ReturnType<typeof startTinyHttp>>;
const seen: Array<{ path: string; auth?: string }> = [];
let sb: CliSandbox;

beforeAll(async () => {
  service = await startTinyHttp((req, res) => {
    seen.push({ path: req.url ?? '', auth: req.headers.authorization });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad token"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url, healthy: true }));
  });
  sb = cliSandbox();
  const tools = [
    { name: 'get_item', path: '/items/{id}', inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
    { name: 'health', path: '/health' },
    { name: 'ping', path: '/ping' },
    { name: 'create', method: 'POST', path: '/items', body: { x: 1 } },
  ];
  sb.writeConfig(
    stringify({
      backends: {
        svc: { type: 'rest', baseUrl: service.url, auth: { type: 'bearer', token: 'secret:svc-token' }, allowWrites: true, tools },
        nosecret: { type: 'rest', baseUrl: service.url, auth: { type: 'bearer', token: 'secret:never-stored' }, tools: tools.slice(0, 3) },
        wrong: { type: 'rest', baseUrl: service.url, auth: { type: 'bearer', token: 'secret:wrong-token' }, tools: tools.slice(0, 3) },
      },
    }),
  );
  for (const [name, value] of [['svc-token', TOKEN], ['wrong-token', 'not-the-token']]) {
    const set = await sb.run(['secrets', 'set', name!, '--from-stdin'], { env: ENV, input: `${value}\n` });
    expect(set.code, set.stderr).toBe(0);
  }
});
afterAll(async () => {
  await service.close();
});

describe('backends test (REST)', () => {
  it('resolves the secret and reads the first GET tool without required arguments', async () => {
    const before = seen.length;
    const r = await sb.run(['backends', 'test', 'svc', '--json'], { env: ENV });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ backend: 'svc', addresses: ['127.0.0.1'], read: { ok: true, tool: 'health', tools: 4, answer: expect.stringContaining('"healthy":true') } });
    expect(seen.slice(before)).toEqual([{ path: '/health', auth: `Bearer ${TOKEN}` }]);
    expect(r.stdout).not.toContain(TOKEN);
    const human = await sb.run(['backends', 'test', 'svc'], { env: ENV });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('✓ svc: REST');
    expect(human.stdout).toMatch(/read\s+health answered in \d+ ms/);
  });

  it('--tool picks the read; a write is refused without being sent', async () => {
    const before = seen.length;
    const ping = await sb.run(['backends', 'test', 'svc', '--tool', 'ping', '--json'], { env: ENV });
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.json().read.tool).toBe('ping');
    const write = await sb.run(['backends', 'test', 'svc', '--tool', 'create'], { env: ENV });
    expect(write.code).toBe(2);
    expect(write.stderr).toContain('Tool "create" uses POST; a test only reads.');
    const unknown = await sb.run(['backends', 'test', 'svc', '--tool', 'nope'], { env: ENV });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Its tools: get_item, health, ping, create');
    expect(seen.slice(before).map((s) => s.path)).toEqual(['/ping']);
  });

  it('a secret that is not stored fails before anything is sent', async () => {
    const before = seen.length;
    const r = await sb.run(['backends', 'test', 'nosecret'], { env: ENV });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Secret "never-stored" is not stored');
    expect(r.stderr).toContain('gatehouse secrets set never-stored');
    expect(seen.length).toBe(before);
  });

  it('a token the service refuses fails with the auth exit code, without printing it', async () => {
    const r = await sb.run(['backends', 'test', 'wrong'], { env: ENV });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/Backend "wrong": health answered with an error: .*401/);
    expect(`${r.stdout}${r.stderr}`).not.toContain('not-the-token');
  });
});
