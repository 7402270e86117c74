import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cliSandbox, hasScript, makeTempDir, runCli, runCliInTerminal } from '../helpers/cli.js';

// Each case runs the CLI several times; on a loaded two-core machine that can take a while.
vi.setConfig({ testTimeout: 120_000 });

describe('backends add', () => {
  it('adds a stdio backend, splitting a quoted command line', async () => {
    const sb = cliSandbox();
    const r = await sb.run([
      'backends', 'add', 'fs',
      '--stdio', `node server.js --root '/srv/my files' "say \\"hi\\"" a\\ b`,
      '--env', 'LOG_LEVEL=debug', '--env', 'API_TOKEN=secret:fs-token',
      '--cwd', '/srv', '--prefix', 'files', '--timeout', '2.5', '--isolation', 'per-session',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const config = {
      type: 'stdio',
      command: 'node',
      args: ['server.js', '--root', '/srv/my files', 'say "hi"', 'a b'],
      env: { LOG_LEVEL: 'debug', API_TOKEN: 'secret:fs-token' },
      cwd: '/srv',
      prefix: 'files',
      timeout: 2.5,
      isolation: 'per-session',
    };
    expect(r.json()).toEqual({
      name: 'fs',
      type: 'stdio',
      target: `node server.js --root '/srv/my files' 'say "hi"' 'a b'`,
      prefix: 'files',
      enabled: true,
      state: 'enabled',
      config,
      replaced: false,
    });
    expect(sb.readConfig()).toEqual({ version: 1, backends: { fs: config } });
  });

  it('adds an http backend with headers as references; result on stdout, chatter on stderr', async () => {
    const sb = cliSandbox();
    const r = await sb.run([
      'backends', 'add', 'gh', '--url', 'https://api.example.com/mcp', '--transport', 'sse',
      '--header', 'Authorization: secret:gh-token', '--header', 'X-Client: gatehouse',
      '--cf-access-token', 'internal', '--disabled',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Added backend "gh" (http: https://api.example.com/mcp), disabled.\n');
    expect(r.stderr).toContain('gatehouse backends test gh');
    expect(sb.readConfig().backends.gh).toEqual({
      type: 'http',
      url: 'https://api.example.com/mcp',
      transport: 'sse',
      headers: { Authorization: 'secret:gh-token', 'X-Client': 'gatehouse' },
      cfAccessToken: 'internal',
      disabled: true,
    });
  });

  it('without a terminal, fails at once naming what is missing (exit 2), and writes nothing', async () => {
    const [none, noTarget, json] = await Promise.all([
      runCli(['backends', 'add']),
      runCli(['backends', 'add', 'x']),
      runCli(['backends', 'add', '--json']),
    ]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Missing <name> and --stdio or --url (no terminal to ask in).');
    expect(none.stderr).toMatch(/Hint: .*--stdio/);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toContain('Missing --stdio or --url');
    expect(noTarget.stderr).not.toContain('<name>');
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ error: { code: 'missing_flags', details: { missing: ['<name>', '--stdio or --url'] } } });
    for (const r of [none, noTarget, json]) expect(cliSandbox(r.configDir).readConfigBytes()).toBeUndefined();
  });

  it('refuses an existing name unless --force, leaving config.json byte-identical', async () => {
    const sb = cliSandbox();
    expect((await sb.run(['backends', 'add', 'a', '--stdio', 'node one.js'])).code).toBe(0);
    const before = sb.readConfigBytes()!;
    const dup = await sb.run(['backends', 'add', 'a', '--stdio', 'node two.js']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('A backend named "a" already exists.');
    expect(dup.stderr).toContain('--force');
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
    const forced = await sb.run(['backends', 'add', 'a', '--stdio', 'node two.js', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(forced.json()).toMatchObject({ replaced: true, config: { command: 'node', args: ['two.js'] } });
  });

  it('refuses literal secrets with a hint to use a reference, and never writes them', async () => {
    const sb = cliSandbox();
    await sb.run(['backends', 'add', 'a', '--stdio', 'x']);
    const before = sb.readConfigBytes()!;
    const runs = await Promise.all([
      sb.run(['backends', 'add', 'gh', '--url', 'https://x.example/mcp', '--header', 'Authorization: Bearer hunter2hunter2']),
      sb.run(['backends', 'add', 'gh', '--url', 'https://x.example/mcp', '--header', 'X-Api-Key: hunter2hunter2']),
      sb.run(['backends', 'add', 'gh', '--stdio', 'x', '--env', 'GITHUB_TOKEN=hunter2hunter2']),
      sb.run(['backends', 'add', 'gh', '--url', 'https://x.example/mcp', '--header', 'X-Api-Key: hunter2hunter2', '--json']),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(2);
      expect(`${r.stdout}${r.stderr}`).not.toContain('hunter2');
      expect(`${r.stdout}${r.stderr}`).toContain('secret:gh-');
    }
    expect(runs[0]!.stderr).toContain('--header Authorization looks like a secret given literally');
    expect(runs[2]!.stderr).toContain('--env GITHUB_TOKEN=secret:gh-github-token');
    expect(runs[3]!.json()).toMatchObject({ error: { code: 'literal_secret' } });
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
  });

  it('exits 2 on bad flag values and writes nothing', async () => {
    const sb = cliSandbox();
    await sb.run(['backends', 'add', 'a', '--stdio', 'x']);
    const before = sb.readConfigBytes()!;
    const cases: Array<[string[], RegExp]> = [
      [['--stdio', 'x', '--timeout', 'soon'], /not a number of seconds/],
      [['--url', 'https://x', '--transport', 'carrier-pigeon'], /Expected --transport=carrier-pigeon to be one of/],
      [['--stdio', 'cat log | grep x'], /shell operator "\|"/],
      [['--stdio', "node 'open"], /unterminated single quote/],
      [['--url', 'ftp://x'], /not an http\(s\) URL/],
      [['--stdio', 'x', '--url', 'https://x'], /either --stdio or --url, not both/],
      [['--stdio', 'x', '--prefix', 'no spaces'], /--prefix/],
      [['--stdio', 'x', '--env', 'NOEQUALS'], /not NAME=value/],
      [['--url', 'https://x', '--header', 'no colon'], /not "Name: value"/],
      [['--stdio', 'x', '--bogus'], /Unknown flag for `gatehouse backends add`: --bogus\./],
    ];
    const runs = await Promise.all(cases.map(([flags]) => sb.run(['backends', 'add', 'b', ...flags])));
    runs.forEach((r, i) => {
      expect({ i, code: r.code }).toEqual({ i, code: 2 });
      expect(r.stderr).toMatch(cases[i]![1]);
    });
    const badName = await sb.run(['backends', 'add', 'bad name', '--stdio', 'x']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('not a valid backend name');
    const json = await sb.run(['backends', 'add', 'b', '--stdio', 'x', '--timeout', 'soon', '--json']);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({ error: { code: 'usage' } });
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
  });

  it.skipIf(!hasScript())('asks for what is missing in a terminal', async () => {
    const sb = cliSandbox();
    const r = await runCliInTerminal(
      ['backends', 'add'],
      [
        { expect: 'Backend name', send: 'bad name\r' },
        { expect: 'not a valid backend name', send: '\x15demo\r' },
        { expect: 'How does Gatehouse reach it?', send: '\r' },
        { expect: 'Command line', send: `node server.js "a b"\r` },
        { expect: 'Added backend "demo"' },
      ],
      { configDir: sb.configDir },
    );
    expect(r.code).toBe(0);
    expect(sb.readConfig().backends.demo).toEqual({ type: 'stdio', command: 'node', args: ['server.js', 'a b'] });
  });

  it.skipIf(!hasScript())('Ctrl-C at a prompt cancels with exit 2 and writes nothing', async () => {
    const sb = cliSandbox();
    const r = await runCliInTerminal(['backends', 'add', 'demo'], [{ expect: 'How does Gatehouse reach it?', send: '\x03' }, { expect: 'Cancelled.' }], { configDir: sb.configDir });
    expect(r.code).toBe(2);
    expect(sb.readConfigBytes()).toBeUndefined();
  });
});

describe('backends list, show, enable, disable, remove', () => {
  it('lists nothing, as an empty table note or []', async () => {
    const sb = cliSandbox();
    const [human, json] = await Promise.all([sb.run(['backends', 'list']), sb.run(['backends', 'list', '--json'])]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('No backends registered');
    expect(json.code).toBe(0);
    expect(json.json()).toEqual([]);
  });

  it('walks backends through their life: list, show, disable, enable, remove', async () => {
    const sb = cliSandbox();
    await sb.run(['backends', 'add', 'zeta', '--url', 'https://z.example/mcp', '--header', 'Authorization: secret:zeta-token', '--prefix', 'z']);
    await sb.run(['backends', 'add', 'alpha', '--stdio', "npx -y '@scope/server' 'a b'"]);

    const [table, list, show, showJson] = await Promise.all([
      sb.run(['backends', 'list']),
      sb.run(['backends', 'list', '--json']),
      sb.run(['backends', 'show', 'zeta']),
      sb.run(['backends', 'show', 'zeta', '--json']),
    ]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+TARGET\s+PREFIX\s+STATE$/);
    expect(lines[1]).toMatch(/^alpha\s+stdio\s+npx -y @scope\/server 'a b'\s+alpha\s+enabled$/);
    expect(lines[2]).toMatch(/^zeta\s+http\s+https:\/\/z\.example\/mcp\s+z\s+enabled$/);
    expect(lines[1]!.indexOf('stdio')).toBe(lines[0]!.indexOf('TYPE'));
    expect(table.stdout).not.toMatch(/\x1b/);
    expect(list.json()).toEqual([
      { name: 'alpha', type: 'stdio', target: "npx -y @scope/server 'a b'", prefix: 'alpha', enabled: true, state: 'enabled' },
      { name: 'zeta', type: 'http', target: 'https://z.example/mcp', prefix: 'z', enabled: true, state: 'enabled', transport: 'auto' },
    ]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^name:\s+zeta$/m);
    expect(show.stdout).toMatch(/^url:\s+https:\/\/z\.example\/mcp$/m);
    expect(show.stdout).toMatch(/^ {2}Authorization: secret:zeta-token$/m);
    expect(showJson.json()).toEqual({
      name: 'zeta',
      type: 'http',
      target: 'https://z.example/mcp',
      prefix: 'z',
      enabled: true,
      state: 'enabled',
      transport: 'auto',
      config: { type: 'http', url: 'https://z.example/mcp', headers: { Authorization: 'secret:zeta-token' }, prefix: 'z' },
      policy: {
        source: 'rules',
        rules: ['no tool is guarded (MCP tools are guarded only when the backend asks for it)'],
        note: "Each tool's policy shows once a gateway lists the backend's tools (`gatehouse serve`).",
      },
    });

    const disable = await sb.run(['backends', 'disable', 'zeta', '--json']);
    expect(disable.code).toBe(0);
    expect(disable.json()).toEqual({ name: 'zeta', enabled: false, changed: true });
    expect(sb.readConfig().backends.zeta.disabled).toBe(true);
    const again = await sb.run(['backends', 'disable', 'zeta']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already disabled');
    expect((await sb.run(['backends', 'list'])).stdout).toMatch(/^zeta\s.*\sdisabled$/m);
    const enable = await sb.run(['backends', 'enable', 'zeta', '--json']);
    expect(enable.json()).toEqual({ name: 'zeta', enabled: true, changed: true });
    expect('disabled' in sb.readConfig().backends.zeta).toBe(false);

    const removed = await sb.run(['backends', 'remove', 'alpha', '--json']);
    expect(removed.code).toBe(0);
    expect(removed.json()).toMatchObject({ removed: { name: 'alpha', config: { type: 'stdio', command: 'npx' } } });
    expect(Object.keys(sb.readConfig().backends)).toEqual(['zeta']);
  });

  it('an unknown name fails with exit 1 and lists the known names; nothing changes', async () => {
    const sb = cliSandbox();
    await sb.run(['backends', 'add', 'one', '--stdio', 'x']);
    await sb.run(['backends', 'add', 'two', '--stdio', 'y']);
    const before = sb.readConfigBytes()!;
    const runs = await Promise.all(['show', 'remove', 'enable', 'disable'].map((verb) => sb.run(['backends', verb, 'three'])));
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('No backend named "three".');
      expect(r.stderr).toContain('Known backends: one, two.');
    }
    const json = await sb.run(['backends', 'show', 'three', '--json']);
    expect(json.code).toBe(1);
    expect(json.json()).toEqual({
      error: { code: 'backend_unknown', message: 'No backend named "three".', hint: expect.stringContaining('one, two'), details: { name: 'three', known: ['one', 'two'] } },
    });
    const empty = await runCli(['backends', 'show', 'x']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('No backends are registered yet');
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
  });

  it('a missing name argument is a usage error (exit 2)', async () => {
    const r = await runCli(['backends', 'show']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Missing 1 required arg');
  });

  it('a hand-broken store is reported with file, line and fix, and left as it was', async () => {
    const sb = cliSandbox();
    sb.writeConfig('{\n\t"version": 1,\n\t"backends": {\n\t\t"a": { "type": "stdio", "command": "x", "comand": "y" }\n\t}\n}\n');
    const before = sb.readConfigBytes()!;
    const [list, add] = await Promise.all([sb.run(['backends', 'list']), sb.run(['backends', 'add', 'b', '--stdio', 'x'])]);
    for (const r of [list, add]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${sb.configPath}:4:`);
      expect(r.stderr).toContain('backends.a.comand: unknown key "comand" (did you mean "command"?)');
    }
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
  });

  it('shows secrets only as references, redacting literals from a hand-edited store', async () => {
    const sb = cliSandbox();
    sb.writeConfig({ version: 1, backends: { h: { type: 'http', url: 'https://h.example/', headers: { Authorization: 'Bearer hunter2hunter2', 'X-Ref': 'env:H_KEY' } } } });
    const [show, json] = await Promise.all([sb.run(['backends', 'show', 'h']), sb.run(['backends', 'show', 'h', '--json'])]);
    expect(show.code).toBe(0);
    expect(show.stdout).not.toContain('hunter2');
    expect(show.stdout).toContain('X-Ref: env:H_KEY');
    expect(json.json().config.headers).toEqual({ Authorization: '<redacted>', 'X-Ref': 'env:H_KEY' });
  });
});

describe('backends add for REST APIs', () => {
  it('adds from a template or a tools file, and show lists the tools', async () => {
    const sb = cliSandbox();
    const dir = makeTempDir();
    writeFileSync(join(dir, 'tools.yaml'), 'tools:\n  - name: status\n    path: /status\n  - name: restart\n    method: POST\n    path: /restart\n');
    const [tpl, file] = await Promise.all([
      sb.run(['backends', 'add', 'prom', '--template', 'prometheus', '--url', 'http://prom.example:9090', '--secret', 'TOKEN=env:PROM_TOKEN', '--json']),
      sb.run(['backends', 'add', 'ops', '--rest', 'https://ops.example/api', '--tools', 'tools.yaml', '--allow-writes', '--header', 'X-Api-Key: secret:ops-key'], { cwd: dir }),
    ]);
    expect(tpl.code).toBe(0);
    expect(tpl.json()).toMatchObject({ name: 'prom', type: 'rest', target: 'http://prom.example:9090', config: { template: 'prometheus', auth: { token: 'env:PROM_TOKEN' } } });
    expect(file.code).toBe(0);
    expect(sb.readConfig().backends.ops).toEqual({
      type: 'rest',
      baseUrl: 'https://ops.example/api',
      toolsFile: join(dir, 'tools.yaml'),
      allowWrites: true,
      headers: { 'X-Api-Key': 'secret:ops-key' },
    });
    const [show, json] = await Promise.all([sb.run(['backends', 'show', 'ops']), sb.run(['backends', 'show', 'prom', '--json'])]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^ {2}restart\s+write\s+POST\s+\/restart$/m);
    expect(json.json().tools.map((t: { name: string }) => t.name)).toContain('query_range');
  });

  it('refuses literal template secrets and a missing base URL without a terminal', async () => {
    const [literal, missing] = await Promise.all([
      runCli(['backends', 'add', 'prom', '--template', 'prometheus', '--url', 'http://p:9090', '--secret', 'TOKEN=hunter2hunter2']),
      runCli(['backends', 'add', 'prom', '--template', 'prometheus']),
    ]);
    expect(literal.code).toBe(2);
    expect(literal.stderr).toContain('must be a reference');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Missing --url <base url>');
    expect(missing.stderr).toContain('--template prometheus --url');
    for (const r of [literal, missing]) expect(cliSandbox(r.configDir).readConfigBytes()).toBeUndefined();
  });
});
