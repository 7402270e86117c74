import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, cliSandbox, makeTempDir } from '../helpers/cli.js';

const MODERN = join(ROOT, 'test', 'fixtures', 'servers', 'modern-server.mjs');

describe('migrate map --backend (live)', () => {
  it('lists a real stdio backend with 45 extra tools and derives the map; apply and check use it', async () => {
    const sb = cliSandbox();
    const add = await sb.run(['backends', 'add', 'modern', '--stdio', `node ${MODERN} --stdio --tools 45`]);
    expect(add.code, add.stderr).toBe(0);

    const dir = makeTempDir('gatehouse-migrate-live-');
    const r = await sb.run(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'Modern Fixture', '--backend', 'modern', '-o', 'map.json', '--json'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out.output).toBe('map.json');
    expect(out.format).toBe('json');
    expect(out.map.inputs.source).toBe('backend:modern');
    // Default new naming: the backend's prefix (its name) and `_`.
    expect(out.map.rules.to).toEqual({ prefix: 'modern', separator: '_' });
    expect(out.summary.natives).toBeGreaterThanOrEqual(50);
    expect(out.summary.ambiguous).toBe(0);
    const byNative = new Map(out.map.entries.map((e: { native: string; old: string; new: string }) => [e.native, e]));
    expect(byNative.get('tool_0001')).toMatchObject({ old: 'modern-fixture-tool-0001', new: 'modern_tool_0001', status: 'renamed' });
    expect(byNative.get('tool_0045')).toMatchObject({ old: 'modern-fixture-tool-0045', new: 'modern_tool_0045' });
    const file = JSON.parse(await readFile(join(dir, 'map.json'), 'utf8'));
    expect(file.entries).toHaveLength(out.summary.natives);
    expect(file.$comment).toContain("Regenerate: gatehouse migrate map --from contextforge --gateway-name 'Modern Fixture' --backend modern -o map.json --json");

    await mkdir(join(dir, 'repo'));
    await writeFile(join(dir, 'repo', 'routine.yaml'), 'tools:\n  - modern-fixture-tool-0001\n  - mcp__context-forge__modern-fixture-tool-0045\n');
    const w = await sb.run(['migrate', 'apply', '--map', 'map.json', 'repo', '--server-rename', 'context-forge=modern', '--write'], { cwd: dir });
    expect(w.code, w.stderr).toBe(10);
    expect(await readFile(join(dir, 'repo', 'routine.yaml'), 'utf8')).toBe('tools:\n  - modern_tool_0001\n  - mcp__modern__modern_tool_0045\n');
    const c = await sb.run(['migrate', 'check', '--map', 'map.json', 'repo'], { cwd: dir });
    expect(c.code).toBe(0);
  });

  it('a backend that fails to start is reported with its reason', async () => {
    const sb = cliSandbox();
    expect((await sb.run(['backends', 'add', 'broken', '--stdio', `node ${MODERN} --stdio --fail-on-start`])).code).toBe(0);
    const [failed, unknown] = await Promise.all([
      sb.run(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'X', '--backend', 'broken'], { timeoutMs: 60_000 }),
      sb.run(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'X', '--backend', 'nope']),
    ]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('Backend "broken" failed:');
    expect(failed.stderr).toContain('gatehouse backends test broken');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No backend named "nope".');
  });
});

/** A stand-in for the gateway's admin API: the state file points the CLI at it. */
async function fakeAdmin(configDir: string, routes: Record<string, { status?: number; body: unknown }>): Promise<{ server: Server; seen: Array<{ path: string; auth?: string }> }> {
  const seen: Array<{ path: string; auth?: string }> = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '').replace(/^\/admin/, '');
    seen.push({ path, auth: req.headers.authorization });
    const route = req.headers.authorization === 'Bearer test-token' ? routes[path] : { status: 401, body: { error: 'unauthorized' } };
    res.writeHead(route?.status ?? (route ? 200 : 404), { 'content-type': 'application/json' });
    res.end(JSON.stringify(route?.body ?? { error: 'not_found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  mkdirSync(join(configDir, 'run'), { recursive: true });
  writeFileSync(
    join(configDir, 'run', 'gateway.json'),
    JSON.stringify({ url: `http://127.0.0.1:${port}/mcp`, adminUrl: `http://127.0.0.1:${port}/admin`, adminToken: 'test-token', pid: process.pid, startedAt: new Date().toISOString() }),
  );
  servers.push(server);
  return { server, seen };
}

const servers: Server[] = [];
afterEach(async () => {
  while (servers.length) {
    const s = servers.pop()!;
    await new Promise((resolve) => s.close(resolve));
  }
});

const ALIASES = {
  aliases: [
    {
      alias: 'monolith-search',
      target: 'monolith_search',
      calls: [
        { client: 'claude-code', count: 3, lastCalledAt: '2026-03-01T10:00:00.000Z' },
        { client: 'routine-bot', count: 7, lastCalledAt: '2026-03-02T08:30:00.000Z' },
      ],
    },
    { alias: 'monolith-fetch-url', target: 'monolith_fetch_url', expires: '2020-01-01', calls: [] },
    { alias: 'monolith-close-ticket', target: 'monolith_close_ticket', expires: '2999-12-31', calls: [{ client: 'cursor', count: 1, lastCalledAt: '2026-02-01T00:00:00.000Z' }] },
  ],
};

describe('migrate status', () => {
  it('without a running gateway, says how to start one (exit 1)', async () => {
    const sb = cliSandbox();
    const [text, json] = await Promise.all([sb.run(['migrate', 'status']), sb.run(['migrate', 'status', '--json'])]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('Error: No running gateway found.');
    expect(text.stderr).toContain('gatehouse serve');
    expect(json.code).toBe(1);
    expect(json.json().error).toMatchObject({ code: 'gateway_not_running' });
  });

  it('a recorded gateway that does not answer is named', async () => {
    const sb = cliSandbox();
    mkdirSync(join(sb.configDir, 'run'), { recursive: true });
    // A live pid (this test's) whose admin port does not answer.
    writeFileSync(join(sb.configDir, 'run', 'gateway.json'), JSON.stringify({ url: 'http://127.0.0.1:9/mcp', adminUrl: 'http://127.0.0.1:9/admin', adminToken: 't', pid: process.pid, startedAt: '' }));
    const r = await sb.run(['migrate', 'status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('does not answer');
  });

  it('a record left by a dead gateway is ignored and removed', async () => {
    const sb = cliSandbox();
    mkdirSync(join(sb.configDir, 'run'), { recursive: true });
    const stale = join(sb.configDir, 'run', 'gateway-999999.json');
    writeFileSync(stale, JSON.stringify({ url: 'http://127.0.0.1:9/mcp', adminUrl: 'http://127.0.0.1:9/admin', adminToken: 't', pid: 999999, startedAt: '' }));
    const r = await sb.run(['migrate', 'status', '--json']);
    expect(r.code).toBe(1);
    expect(r.json().error).toMatchObject({ code: 'gateway_not_running' });
    expect(existsSync(stale)).toBe(false);
  });

  it('renders served aliases as a table, busiest clients first, and as --json', async () => {
    const sb = cliSandbox();
    const { seen } = await fakeAdmin(sb.configDir, { '/aliases': { body: ALIASES } });
    const r = await sb.run(['migrate', 'status']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        'ALIAS                  TARGET                 CALLS  CLIENTS                           LAST CALLED               EXPIRES',
        'monolith-close-ticket  monolith_close_ticket  1      cursor (1)                        2026-02-01T00:00:00.000Z  2999-12-31',
        'monolith-fetch-url     monolith_fetch_url     0      -                                 never                     2020-01-01 (expired)',
        'monolith-search        monolith_search        10     routine-bot (7), claude-code (3)  2026-03-02T08:30:00.000Z  -',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('3 aliases: 2 still called (11 calls), 1 never called, 1 expired.\n');
    expect(seen).toEqual([{ path: '/aliases', auth: 'Bearer test-token' }]);

    const j = await sb.run(['migrate', 'status', '--json']);
    expect(j.code).toBe(0);
    expect(j.stderr).toBe('');
    expect(j.json()).toEqual({
      aliases: [
        {
          alias: 'monolith-close-ticket',
          target: 'monolith_close_ticket',
          expires: '2999-12-31',
          calls: [{ client: 'cursor', count: 1, lastCalledAt: '2026-02-01T00:00:00.000Z' }],
          count: 1,
          lastCalledAt: '2026-02-01T00:00:00.000Z',
          expired: false,
        },
        { alias: 'monolith-fetch-url', target: 'monolith_fetch_url', expires: '2020-01-01', calls: [], count: 0, expired: true },
        {
          alias: 'monolith-search',
          target: 'monolith_search',
          calls: [
            { client: 'routine-bot', count: 7, lastCalledAt: '2026-03-02T08:30:00.000Z' },
            { client: 'claude-code', count: 3, lastCalledAt: '2026-03-01T10:00:00.000Z' },
          ],
          count: 10,
          lastCalledAt: '2026-03-02T08:30:00.000Z',
          expired: false,
        },
      ],
      totals: { aliases: 3, called: 2, unused: 1, expired: 1, calls: 11 },
    });

    const unused = await sb.run(['migrate', 'status', '--unused', '--json']);
    expect(unused.json().aliases.map((a: { alias: string }) => a.alias)).toEqual(['monolith-fetch-url']);
  });

  it('no aliases, and a gateway without the aliases endpoint', async () => {
    const a = cliSandbox();
    await fakeAdmin(a.configDir, { '/aliases': { body: { aliases: [] } } });
    const none = await a.run(['migrate', 'status']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('The gateway serves no aliases.\n');

    const b = cliSandbox();
    await fakeAdmin(b.configDir, {});
    const old = await b.run(['migrate', 'status']);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('The running gateway does not serve aliases.');
  });

  it('map --gateway reads the running gateway and says plainly when it lacks tool names', async () => {
    const sb = cliSandbox();
    await fakeAdmin(sb.configDir, {
      '/status': { body: { url: 'http://127.0.0.1/mcp', backends: [{ name: 'monolith', tools: 3 }, { name: 'other', tools: 1, toolNames: ['x'] }] } },
    });
    const base = ['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'Monolith', '--gateway'];
    const [several, lacking, listed] = await Promise.all([
      sb.run(base),
      sb.run([...base, '--backend', 'monolith']),
      sb.run([...base, '--backend', 'other', '--json']),
    ]);
    expect(several.code).toBe(2);
    expect(several.stderr).toContain('it serves: monolith, other');
    expect(lacking.code).toBe(1);
    expect(lacking.stderr).toContain("admin API does not list native tool names yet");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json().map.entries).toEqual([{ old: 'monolith-x', new: 'other_x', native: 'x', status: 'renamed', notes: [] }]);
    expect(listed.json().map.inputs.source).toBe('gateway:other');
  });
});
