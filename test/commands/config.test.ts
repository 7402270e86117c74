import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { cliSandbox, makeTempDir, runCli } from '../helpers/cli.js';

// Each case runs the CLI several times; on a loaded two-core machine that can take a while.
vi.setConfig({ testTimeout: 120_000 });

const gatehouseYaml = `# Team gateway. This comment must survive a round trip.
version: 1
gateway:
  port: 7500 # not the default
backends:
  # The reference server.
  everything:
    type: stdio
    command: npx
    args: ["-y", "@modelcontextprotocol/server-everything"]
  docs:
    type: http
    url: https://docs.example.com/mcp
    headers:
      Authorization: secret:docs-token
`;

function file(name: string, text: string): string {
  const p = join(makeTempDir(), name);
  writeFileSync(p, text);
  return p;
}

/** A store as `backends add` would leave it (that command has its own tests), written directly to save two CLI runs. */
async function seeded() {
  const sb = cliSandbox();
  sb.writeConfig({
    version: 1,
    backends: {
      gh: { type: 'http', url: 'https://api.example.com/mcp', headers: { Authorization: 'secret:gh-token' }, prefix: 'git' },
      fs: { type: 'stdio', command: 'node', args: ['fs.js', '/srv/my files'], env: { FS_KEY: 'env:FS_KEY' }, disabled: true },
    },
  });
  return sb;
}

describe('config export', () => {
  it('prints the user store as YAML, or JSON with --json, both loadable', async () => {
    const sb = await seeded();
    const [yaml, json] = await Promise.all([sb.run(['config', 'export']), sb.run(['config', 'export', '--json'])]);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout.startsWith('# Gatehouse configuration.')).toBe(true);
    expect(parseYaml(yaml.stdout)).toEqual(sb.readConfig());
    expect(json.code).toBe(0);
    expect(json.json()).toEqual(sb.readConfig());
    expect(yaml.stdout).toContain('Authorization: secret:gh-token');
  });

  it('exports an empty store as a valid empty config', async () => {
    const r = await runCli(['config', 'export', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ version: 1, backends: {} });
  });

  it('never exports a secret, even one hand-written into the store', async () => {
    const sb = cliSandbox();
    sb.writeConfig({ version: 1, backends: { h: { type: 'http', url: 'https://h.example/', headers: { Authorization: 'Bearer hunter2hunter2' } }, s: { type: 'stdio', command: 'x', env: { API_KEY: 'hunter2hunter2' } } } });
    const out = makeTempDir();
    const runs = await Promise.all([
      sb.run(['config', 'export']),
      sb.run(['config', 'export', '--json']),
      sb.run(['config', 'export', '--output', join(out, 'x.yaml')]),
      sb.run(['config', 'export', '--output', join(out, 'x.json')]),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('hunter2');
      expect(r.stderr).toContain('held a literal secret');
    }
    expect(runs[1]!.json().backends.h.headers.Authorization).toBe('<redacted>');
    for (const f of ['x.yaml', 'x.json']) expect(readFileSync(join(out, f), 'utf8')).not.toContain('hunter2');
  });

  it('--output writes a file atomically; YAML comments in an existing file are kept', async () => {
    const sb = cliSandbox();
    const path = file('gatehouse.yaml', gatehouseYaml);
    expect((await sb.run(['config', 'import', path])).code).toBe(0);
    await sb.run(['backends', 'disable', 'everything']);
    await sb.run(['backends', 'remove', 'docs']);
    const merged = await sb.run(['config', 'export', '--output', path, '--json']);
    expect(merged.code).toBe(0);
    // Merging never drops what the file had: docs is gone from the config but kept in the file, and said so.
    expect(merged.json()).toEqual({ output: path, format: 'yaml', backends: 1, updated: true, kept: ['backend docs'] });
    expect(readFileSync(path, 'utf8')).toContain('docs.example.com');
    const r = await sb.run(['config', 'export', '--output', path, '--prune', '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ output: path, format: 'yaml', backends: 1, updated: true, kept: [] });
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('# Team gateway. This comment must survive a round trip.');
    expect(text).toContain('port: 7500 # not the default');
    expect(text).toContain('# The reference server.');
    expect(text).toContain('disabled: true');
    expect(text).not.toContain('docs.example.com');
    expect(parseYaml(text)).toEqual(sb.readConfig());

    const jsonPath = join(makeTempDir(), 'out.json');
    const j = await sb.run(['config', 'export', '-o', jsonPath]);
    expect(j.code).toBe(0);
    expect(j.stdout).toContain(`Wrote ${jsonPath} (1 backend).`);
    expect(JSON.parse(readFileSync(jsonPath, 'utf8'))).toEqual(sb.readConfig());
  });
});

describe('config import', () => {
  it('round-trips: export from one store, import into another, identical config', async () => {
    const a = await seeded();
    const exported = join(makeTempDir(), 'gatehouse.yaml');
    await a.run(['config', 'export', '--output', exported]);
    const b = cliSandbox();
    const r = await b.run(['config', 'import', exported, '--json']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({
      file: exported,
      mode: 'merge',
      dryRun: false,
      written: true,
      changes: { backends: { added: ['gh', 'fs'], removed: [], changed: [], unchanged: [] }, gateway: { added: [], removed: [], changed: [] }, same: false },
    });
    expect(b.readConfig()).toEqual(a.readConfig());
    const again = await b.run(['config', 'import', exported]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing written');
  });

  it('--dry-run shows the changes and writes nothing', async () => {
    const sb = await seeded();
    const before = sb.readConfigBytes()!;
    const path = file('g.yaml', gatehouseYaml);
    const [human, json] = await Promise.all([sb.run(['config', 'import', path, '--dry-run', '--replace']), sb.run(['config', 'import', path, '--dry-run', '--replace', '--json'])]);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n').filter(Boolean).sort()).toEqual(['+ backend docs', '+ backend everything', '+ gateway.port', '- backend fs', '- backend gh']);
    expect(human.stderr).toContain('Dry run: nothing written.');
    expect(json.json()).toMatchObject({ mode: 'replace', dryRun: true, written: false, changes: { backends: { added: ['everything', 'docs'], removed: ['gh', 'fs'] } } });
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
    const fresh = cliSandbox();
    expect((await fresh.run(['config', 'import', path, '--dry-run'])).code).toBe(0);
    expect(fresh.readConfigBytes()).toBeUndefined();
  });

  it('merges by default and replaces with --replace', async () => {
    const merge = await seeded();
    const replace = await seeded();
    const path = file('g.yaml', gatehouseYaml);
    expect((await merge.run(['config', 'import', path])).code).toBe(0);
    expect(Object.keys(merge.readConfig().backends).sort()).toEqual(['docs', 'everything', 'fs', 'gh']);
    expect((await replace.run(['config', 'import', path, '--replace'])).code).toBe(0);
    expect(replace.readConfig()).toEqual({
      version: 1,
      gateway: { port: 7500 },
      backends: {
        everything: { type: 'stdio', command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
        docs: { type: 'http', url: 'https://docs.example.com/mcp', headers: { Authorization: 'secret:docs-token' } },
      },
    });
  });

  it('refuses unknown keys, naming file, line, path and fix; the store stays byte-identical', async () => {
    const sb = await seeded();
    const before = sb.readConfigBytes()!;
    const path = file('bad.yaml', gatehouseYaml.replace('    headers:', '    headerz:'));
    const [human, json] = await Promise.all([sb.run(['config', 'import', path]), sb.run(['config', 'import', path, '--json'])]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain(`${path}:14:5: backends.docs.headerz: unknown key "headerz" (did you mean "headers"?)`);
    expect(human.stderr).toContain('Hint:');
    expect(json.code).toBe(1);
    expect(json.json()).toMatchObject({ error: { code: 'config_invalid', details: { source: path, issues: [{ path: ['backends', 'docs', 'headerz'], line: 14, col: 5 }] } } });
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
  });

  it('refuses a file with literal secrets, bad YAML, a missing file and conflicting modes', async () => {
    const sb = await seeded();
    const before = sb.readConfigBytes()!;
    const secret = file('s.yaml', gatehouseYaml.replace('secret:docs-token', 'Bearer hunter2hunter2'));
    const broken = file('b.yaml', 'backends:\n  a: [\n');
    const runs = await Promise.all([
      sb.run(['config', 'import', secret]),
      sb.run(['config', 'import', broken]),
      sb.run(['config', 'import', join(makeTempDir(), 'nope.yaml')]),
      sb.run(['config', 'import', secret, '--merge', '--replace']),
    ]);
    expect(runs.map((r) => r.code)).toEqual([1, 1, 1, 2]);
    expect(runs[0]!.stderr).toContain(`${secret}: backends.docs.headers.Authorization: looks like a secret written literally`);
    expect(runs[0]!.stderr).not.toContain('hunter2');
    expect(runs[1]!.stderr).toMatch(/Cannot parse .*b\.yaml at line \d+, column \d+/);
    expect(runs[2]!.stderr).toContain('no such file');
    expect(runs[3]!.stderr).toContain('cannot also be provided');
    expect(sb.readConfigBytes()!.equals(before)).toBe(true);
  });

  it('reads stdin with -, and --replace repairs a store that no longer loads', async () => {
    const sb = cliSandbox();
    sb.writeConfig('{ this is not json');
    const merge = await sb.run(['config', 'import', '-'], { input: gatehouseYaml });
    expect(merge.code).toBe(1);
    expect(merge.stderr).toContain(`Cannot parse ${sb.configPath}`);
    const replace = await sb.run(['config', 'import', '-', '--replace'], { input: gatehouseYaml });
    expect(replace.code).toBe(0);
    expect(replace.stderr).toContain('--replace overwrites it');
    expect(Object.keys(sb.readConfig().backends)).toEqual(['everything', 'docs']);
  });
});

describe('config validate', () => {
  it('accepts a valid file and the user store', async () => {
    const sb = await seeded();
    // References are checked too: the secrets both files name are stored, and FS_KEY is set.
    const env = { GATEHOUSE_SECRET_STORE: 'file', FS_KEY: 'set-here' };
    for (const name of ['docs-token', 'gh-token']) expect((await sb.run(['secrets', 'set', name, '--from-stdin'], { env, input: 'value-of-no-interest\n' })).code).toBe(0);
    const path = file('g.yaml', gatehouseYaml);
    const [human, json, store, empty] = await Promise.all([
      sb.run(['config', 'validate', path], { env }),
      sb.run(['config', 'validate', path, '--json'], { env }),
      sb.run(['config', 'validate', '--json'], { env }),
      runCli(['config', 'validate']),
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`${path} is valid: 2 backends, 2 enabled.\n`);
    expect(json.json()).toEqual({ file: path, valid: true, backends: 2, enabled: 2, warnings: [] });
    expect(store.json()).toEqual({ file: sb.configPath, valid: true, backends: 2, enabled: 1, warnings: [] });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain('does not exist yet');
  });

  it('fails on references that do not resolve: an unknown secret, a misspelled token, a relative file: path, a near-reference; an unset env var and a missing file only warn', async () => {
    const sb = cliSandbox();
    const env = { GATEHOUSE_SECRET_STORE: 'file', GH_UNSET_FOR_TEST: undefined };
    expect((await sb.run(['secrets', 'set', 'api-key', '--from-stdin'], { env, input: 'not-shown-anywhere\n' })).code).toBe(0);
    const bad = file(
      'refs.yaml',
      [
        'backends:',
        '  a:',
        '    type: http',
        '    url: https://a.example.com/mcp',
        '    headers: { Authorization: secret:api-kye, X-Team: "file:etc/team-name", X-Org: "vault:org" }',
        '    cfAccessToken: homelab',
      ].join('\n'),
    );
    const r = await sb.run(['config', 'validate', bad, '--json'], { env });
    expect(r.code).toBe(1);
    const err = r.json().error;
    expect(err.code).toBe('reference_unknown');
    expect(err.message).toContain('backends.a.headers.Authorization: secret:api-kye is not stored (did you mean secret:api-key?)');
    expect(err.message).toContain('backends.a.cfAccessToken: no Cloudflare Access token named "homelab"');
    expect(err.message).toContain('backends.a.headers.X-Team: file:etc/team-name is not an absolute path');
    expect(err.message).toContain('backends.a.headers.X-Org looks like a reference ("vault:…") but is not one');
    expect(r.stdout).not.toContain('not-shown-anywhere');
    const human = await sb.run(['config', 'validate', bad], { env });
    expect(human.stderr).toContain('Hint: ');
    expect(human.stderr).toContain('gatehouse tokens add homelab');

    const warnOnly = file('warn.yaml', 'backends:\n  s:\n    type: stdio\n    command: node\n    env: { K: env:GH_UNSET_FOR_TEST, S: secret:api-key, F: "file:/nonexistent/gatehouse-test-secret" }\n');
    const ok = await sb.run(['config', 'validate', warnOnly, '--json'], { env });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.json().warnings).toEqual([
      expect.objectContaining({ path: ['backends', 's', 'env', 'K'], message: expect.stringContaining('GH_UNSET_FOR_TEST is not set here') }),
      expect.objectContaining({ path: ['backends', 's', 'env', 'F'], message: expect.stringContaining('file:/nonexistent/gatehouse-test-secret does not exist here') }),
    ]);
  });

  it('fails with exit 1 naming file, line, path and fix', async () => {
    const path = file('g.yaml', gatehouseYaml.replace('https://docs.example.com/mcp', 'docs.example.com').replace('port: 7500', 'port: "7500"'));
    const [human, json] = await Promise.all([runCli(['config', 'validate', path]), runCli(['config', 'validate', path, '--json'])]);
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain(`${path}:4:3: gateway.port: a number expected, got a string ("7500")`);
    expect(human.stderr).toContain(`${path}:13:5: backends.docs.url: not a valid http(s) URL (write it like https://host.example/mcp)`);
    expect(json.code).toBe(1);
    expect(json.json().error.details.issues.map((i: { path: string[] }) => i.path.join('.'))).toEqual(['gateway.port', 'backends.docs.url']);
  });

  it('fails on a broken user store, and on literal secrets; warns about shared prefixes', async () => {
    const broken = cliSandbox();
    broken.writeConfig({ version: 1, backends: {}, extra: true });
    const withSecret = file('s.yaml', 'backends:\n  s:\n    type: stdio\n    command: x\n    env:\n      API_TOKEN: hunter2hunter2\n');
    const shared = file('p.yaml', 'backends:\n  a: {type: stdio, command: x, prefix: p}\n  b: {type: stdio, command: y, prefix: p}\n');
    const [b, s, p] = await Promise.all([broken.run(['config', 'validate']), runCli(['config', 'validate', withSecret]), runCli(['config', 'validate', shared, '--json'])]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`${broken.configPath}:4:2: extra: unknown key "extra"`);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('backends.s.env.API_TOKEN: looks like a secret written literally; use a reference such as "secret:s-api-token"');
    expect(p.code).toBe(0);
    expect(p.stderr).toContain('share the tool prefix "p"');
    expect(p.json().warnings).toHaveLength(1);
  });
});
