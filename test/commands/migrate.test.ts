import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CORPORA, copyTree, readTree, removeTree } from '../core/migrate/corpus-helpers.js';
import { makeTempDir, runCli, stripAnsi } from '../helpers/cli.js';

const corpus = join(CORPORA, 'monolith');
const expectedDir = join(corpus, 'expected');

const temps: string[] = [];
afterEach(async () => {
  while (temps.length) await removeTree(temps.pop()!);
});

async function corpusCopy(): Promise<string> {
  const dir = await copyTree(join(corpus, 'input'));
  temps.push(dir);
  return dir;
}

/** A folder holding the corpus's natives.txt and known-old.txt, so recorded paths are relative. */
async function inputsDir(): Promise<string> {
  const dir = makeTempDir('gatehouse-migrate-');
  await writeFile(join(dir, 'natives.txt'), await readFile(join(corpus, 'natives.txt')));
  await writeFile(join(dir, 'known-old.txt'), await readFile(join(corpus, 'known-old.txt')));
  return dir;
}

const MONOLITH_MAP = [
  'migrate', 'map', '--from', 'contextforge', '--gateway-name', 'Monolith', '--separator', '-',
  '--to-prefix', 'monolith', '--to-separator', '_', '--server-rename', 'context-forge=monolith',
  '--tools', 'natives.txt', '--known-old', 'known-old.txt',
];

/** Writes the corpus map into dir/map.yaml with the CLI itself. */
async function writeMonolithMap(dir: string): Promise<string> {
  const r = await runCli([...MONOLITH_MAP, '--output', 'map.yaml'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return join(dir, 'map.yaml');
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

describe('migrate map', () => {
  it('reproduces the golden corpus map, recording the real command line in the header', async () => {
    const dir = await inputsDir();
    const r = await runCli(MONOLITH_MAP, { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const command = `gatehouse migrate map ${MONOLITH_MAP.slice(2).join(' ')}`;
    expect(r.stdout).toContain(`# Regenerate: ${command}\n`);
    expect(r.stdout).toContain(`  command: ${command}\n`);
    // Apart from the recorded command, it is the golden map the core tests produce.
    const golden = await readFile(join(expectedDir, 'map.yaml'), 'utf8');
    const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('# Regenerate:') && !l.startsWith('  command:')).join('\n');
    expect(strip(r.stdout)).toBe(strip(golden));

    // Collisions, double prefixes, slug changes and unexplained known-old names go to stderr.
    expect(r.stderr).toContain('Mapped 12 native names: 10 renamed, 0 unchanged, 2 ambiguous.');
    expect(r.stderr).toMatch(/Collisions[^\n]*\n {2}monolith-get-status ← Get-Status, get_status\n/);
    expect(r.stderr).toMatch(/Double prefixes[^\n]*\n {2}monolith-monolith-agent-notify ← monolith_agent_notify\n/);
    expect(r.stderr).toContain('  monolith-listdocuments ← ListDocuments (case)\n');
    expect(r.stderr).toMatch(/Known old names the map cannot explain[^\n]*\n {2}monolith-reindex-all\n/);
    expect(stripAnsi(r.stdout + r.stderr)).toBe(r.stdout + r.stderr);
  });

  it('computes Context Forge names for every separator, and reports unchanged names', async () => {
    const dir = makeTempDir('gatehouse-migrate-');
    await writeFile(join(dir, 'tools.txt'), 'search_knowledge\nGet Status\n');
    const olds: Record<string, string[]> = {};
    for (const sep of ['-', '--', '_', '.']) {
      const r = await runCli(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'Monolith', `--separator=${sep}`, '--tools', 'tools.txt', '--to-prefix', 'monolith', '--json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const out = r.json();
      olds[sep] = out.map.entries.map((e: { old: string }) => e.old);
      expect(out.map.rules.from).toEqual({ kind: 'contextforge', gatewayName: 'Monolith', separator: sep });
      if (sep === '_') {
        expect(out.report.unchanged).toEqual(['search_knowledge']);
        expect(out.summary).toMatchObject({ natives: 2, renamed: 1, unchanged: 1, ambiguous: 0 });
      }
    }
    expect(olds).toEqual({
      '-': ['monolith-get-status', 'monolith-search-knowledge'],
      '--': ['monolith--get--status', 'monolith--search--knowledge'],
      _: ['monolith_get_status', 'monolith_search_knowledge'],
      '.': ['monolith.get.status', 'monolith.search.knowledge'],
    });
  });

  it('output is stable and sorted whatever the input order and form; --format or the --output name picks yaml, json or csv', async () => {
    const a = makeTempDir('gatehouse-migrate-');
    const b = makeTempDir('gatehouse-migrate-');
    const names = ['search', 'agent_notify', 'fetch_url', 'Get-Status', 'get_status'];
    await writeFile(join(a, 'tools.json'), JSON.stringify(names));
    await writeFile(join(b, 'tools.json'), JSON.stringify({ jsonrpc: '2.0', id: 1, result: { tools: [...names].reverse().map((name) => ({ name, inputSchema: {} })) } }));
    const args = ['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'Monolith', '--tools', 'tools.json', '--to-prefix', 'monolith'];
    for (const format of ['yaml', 'json', 'csv']) {
      const [ra, rb] = await Promise.all([runCli([...args, '--format', format], { cwd: a }), runCli([...args, '--format', format], { cwd: b })]);
      expect(ra.code, ra.stderr).toBe(0);
      expect(rb.stdout).toBe(ra.stdout);
    }
    const csv = await runCli([...args, '--output', 'map.csv'], { cwd: a });
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe('');
    const text = await readFile(join(a, 'map.csv'), 'utf8');
    const rows = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(rows).toEqual([
      'old,new,native,status,notes',
      'monolith-agent-notify,monolith_agent_notify,agent_notify,renamed,',
      'monolith-fetch-url,monolith_fetch_url,fetch_url,renamed,',
      'monolith-get-status,monolith_Get-Status,Get-Status,ambiguous,slug-case;collides-with:get_status',
      'monolith-get-status,monolith_get_status,get_status,ambiguous,collides-with:Get-Status',
      'monolith-search,monolith_search,search,renamed,',
    ]);
    expect(text).toContain('# Regenerate: gatehouse migrate map --from contextforge --gateway-name Monolith --tools tools.json --to-prefix monolith --output map.csv\n');

    const json = await runCli([...args, '-o', 'map.json'], { cwd: a });
    expect(json.code).toBe(0);
    const doc = JSON.parse(await readFile(join(a, 'map.json'), 'utf8'));
    expect(doc.entries.map((e: { old: string }) => e.old)).toEqual([...doc.entries.map((e: { old: string }) => e.old)].sort());
    // a second run writes the same bytes over the first, atomically
    const again = await runCli([...args, '-o', 'map.json'], { cwd: a });
    expect(again.code).toBe(0);
    expect(JSON.parse(await readFile(join(a, 'map.json'), 'utf8'))).toEqual(doc);
  });

  it('accepts {name} objects and a tools/list result; names a file without names', async () => {
    const dir = makeTempDir('gatehouse-migrate-');
    await writeFile(join(dir, 'objects.json'), JSON.stringify([{ name: 'b' }, { name: 'a' }]));
    await writeFile(join(dir, 'list.json'), JSON.stringify({ tools: [{ name: 'a' }, { name: 'b' }] }));
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ items: [] }));
    const base = ['migrate', 'map', '--from', 'gatehouse', '--prefix', 'old', '--to-prefix', 'new', '--json', '--tools'];
    const [objects, list, bad] = await Promise.all(['objects.json', 'list.json', 'bad.json'].map((f) => runCli([...base, f], { cwd: dir })));
    expect(objects.json().map.entries.map((e: { old: string; new: string }) => [e.old, e.new])).toEqual([['old_a', 'new_a'], ['old_b', 'new_b']]);
    expect(list.json().map.entries).toEqual(objects.json().map.entries);
    expect(bad.code).toBe(1);
    expect(bad.json().error).toMatchObject({ code: 'migrate_names_invalid', message: 'bad.json has no list of tools.' });
  });

  it('--json carries the map, the summary and the report, and --known-old lists unexplained names', async () => {
    const dir = await inputsDir();
    const r = await runCli([...MONOLITH_MAP, '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const out = r.json();
    expect(out.format).toBe('yaml');
    expect(out.summary).toEqual({ natives: 12, renamed: 10, unchanged: 0, ambiguous: 2, doublePrefix: 1, slugChanged: 2, chains: 0, knownOldUnexplained: 1 });
    expect(out.report).toEqual({
      collisions: [{ old: 'monolith-get-status', natives: ['Get-Status', 'get_status'] }],
      doublePrefixes: [{ old: 'monolith-monolith-agent-notify', native: 'monolith_agent_notify' }],
      slugChanges: [
        { old: 'monolith-get-status', native: 'Get-Status', changes: ['case'] },
        { old: 'monolith-listdocuments', native: 'ListDocuments', changes: ['case'] },
      ],
      unchanged: [],
      newNameAdjusted: [],
      chains: [],
      knownOldUnexplained: ['monolith-reindex-all'],
    });
    expect(out.map.knownOld).toEqual({
      explained: ['monolith-search', 'monolith-search-knowledge'],
      ambiguous: ['monolith-get-status'],
      alreadyNew: ['monolith_search'],
      unexplained: ['monolith-reindex-all'],
    });
    expect(out.map.inputs).toMatchObject({ source: 'natives.txt', natives: 12, knownOldSource: 'known-old.txt', knownOld: 5 });
  });

  it('without a terminal, missing inputs fail at once with exit 2 naming the flags', async () => {
    const dir = makeTempDir('gatehouse-migrate-');
    await writeFile(join(dir, 'tools.txt'), 'search\n');
    const [noFrom, noGateway, noSource, noPrefix, badSep, json] = await Promise.all([
      runCli(['migrate', 'map', '--tools', 'tools.txt'], { cwd: dir }),
      runCli(['migrate', 'map', '--from', 'contextforge', '--tools', 'tools.txt'], { cwd: dir }),
      runCli(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'M'], { cwd: dir }),
      runCli(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'M', '--tools', 'tools.txt'], { cwd: dir }),
      runCli(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'M', '--separator', '+', '--tools', 'tools.txt', '--to-prefix', 'm'], { cwd: dir }),
      runCli(['migrate', 'map', '--from', 'contextforge', '--tools', 'tools.txt', '--json'], { cwd: dir }),
    ]);
    for (const r of [noFrom, noGateway, noSource, noPrefix, badSep, json]) expect(r.code).toBe(2);
    expect(noFrom.stderr).toContain('Missing required flag from');
    expect(noGateway.stderr).toContain('Missing --gateway-name');
    expect(noSource.stderr).toContain('--tools <file>, --backend <name> or --gateway');
    expect(noPrefix.stderr).toContain('Missing --to-prefix');
    expect(badSep.stderr).toContain('Use one of: - -- _ .');
    expect(json.json().error).toMatchObject({ code: 'usage', details: { missing: ['gateway-name'] } });
    for (const r of [noFrom, noGateway, noSource, noPrefix, badSep]) expect(r.stdout).toBe('');
  });

  it('--gateway without a running gateway says how to start one', async () => {
    const r = await runCli(['migrate', 'map', '--from', 'contextforge', '--gateway-name', 'M', '--gateway', '--to-prefix', 'm']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No running gateway found.');
    expect(r.stderr).toContain('gatehouse serve');
  });
});

describe('migrate apply', () => {
  it('dry run prints the golden diff and per-file counts, writes nothing, and exits 11 for what it cannot rewrite', async () => {
    const root = await corpusCopy();
    const map = await writeMonolithMap(await inputsDir());
    const before = await readTree(root);
    const r = await runCli(['migrate', 'apply', '--map', map, '.'], { cwd: root });
    expect(r.code).toBe(11);
    const diff = await readFile(join(expectedDir, 'apply.diff'), 'utf8');
    expect(r.stdout.startsWith(diff)).toBe(true);
    const counts = (await readFile(join(expectedDir, 'apply-counts.txt'), 'utf8')).trim().split('\n');
    const tail = r.stdout.slice(diff.length).trim().split('\n');
    expect(tail.slice(0, -1).map((l) => l.replace(/ {2,}/, ': ').replace(/ replacements?$/, ''))).toEqual(counts);
    expect(tail.at(-1)).toBe('Would rewrite 45 names in 11 of 13 files.');
    expect(r.stderr).toContain('Skipped 4 paths (1 binary, 3 ignored).');
    expect(r.stderr).toContain('Would leave 11 names the map cannot rewrite');
    expect(r.stderr).toContain('  CLAUDE.md:21:21: error: ambiguous old name monolith-get-status');
    expect(r.stderr).toContain('  near-misses.txt:4:1: warning: monolith-searchx looks like an old name but is not in the map');
    expect(r.stderr).toContain('Dry run: nothing was written. Pass --write to apply.');
    const after = await readTree(root);
    for (const [path, bytes] of before) expect(after.get(path)!.equals(bytes), path).toBe(true);
  });

  it('--write produces the golden tree; check then passes but for the ambiguous names; a second apply changes nothing', async () => {
    const root = await corpusCopy();
    const map = await writeMonolithMap(await inputsDir());

    const stale = await runCli(['migrate', 'check', '--map', map, '.'], { cwd: root });
    expect(stale.code).toBe(10);
    expect(stale.stdout).toContain('.claude/settings.local.json:4:8: error: stale old name mcp__context-forge__monolith-search (apply writes mcp__monolith__monolith_search)\n');

    const w = await runCli(['migrate', 'apply', '--map', map, '.', '--write'], { cwd: root });
    expect(w.code).toBe(11);
    expect(w.stdout).not.toContain('--- a/');
    expect(w.stdout).toContain('Rewrote 45 names in 11 of 13 files.');
    const after = await readTree(root);
    const expected = await readTree(join(expectedDir, 'tree'));
    expect([...after.keys()]).toEqual([...expected.keys()]);
    for (const [path, bytes] of after) expect(bytes.equals(expected.get(path)!), path).toBe(true);

    const check = await runCli(['migrate', 'check', '--map', map, '.'], { cwd: root });
    expect(check.code).toBe(11);
    const golden = (await readFile(join(expectedDir, 'check-after.txt'), 'utf8')).trim().split('\n');
    // Every location the core golden lists, as file:line:column.
    for (const line of golden) expect(check.stdout).toContain(`${line.split(' ')[0]}: `);
    expect(check.stdout.trim().split('\n')).toHaveLength(golden.length);
    expect(check.stdout).not.toContain('stale');

    const again = await runCli(['migrate', 'apply', '--map', map, '.', '--write', '--json'], { cwd: root });
    expect(again.code).toBe(11);
    const out = again.json();
    expect(out).toMatchObject({ mode: 'write', exitCode: 11, changed: [], totals: { files: 0, replacements: 0, unchanged: 13, skipped: 4, residual: 11 } });
    const tree = await readTree(root);
    for (const [path, bytes] of tree) expect(bytes.equals(expected.get(path)!), path).toBe(true);
  });

  it('never rewrites or checks the map file when it sits in the tree (apply .), and says it skipped it', async () => {
    const dir = makeTempDir('gatehouse-migrate-');
    const mapText = 'map:\n  monolith-search: monolith_search\n';
    await writeFile(join(dir, 'tool-map.yaml'), mapText);
    await writeFile(join(dir, 'notes.md'), 'Use monolith-search.\n');
    const w = await runCli(['migrate', 'apply', '--map', 'tool-map.yaml', '.', '--write', '--force', '--json'], { cwd: dir });
    expect(w.code).toBe(10);
    expect(w.json()).toMatchObject({ changed: [{ path: 'notes.md', replacements: 1 }], skipped: [{ path: 'tool-map.yaml', reason: 'map' }] });
    expect(await readFile(join(dir, 'tool-map.yaml'), 'utf8')).toBe(mapText);
    expect(await readFile(join(dir, 'notes.md'), 'utf8')).toBe('Use monolith_search.\n');
    // The map still maps old to new, so check passes instead of flagging the map's own old names.
    const check = await runCli(['migrate', 'check', '--map', './tool-map.yaml', '.', '--json'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.json()).toMatchObject({ ok: true, findingCount: 0, skipped: [{ path: 'tool-map.yaml', reason: 'map' }] });
  });

  it('exits 10 for changes and 0 when there is nothing left; check agrees', async () => {
    const dir = makeTempDir('gatehouse-migrate-');
    await writeFile(join(dir, 'map.yaml'), 'map:\n  monolith-search: monolith_search\n  monolith-fetch-url: monolith_fetch_url\n');
    await mkdir(join(dir, 'repo'));
    await writeFile(join(dir, 'repo', 'notes.md'), 'Use monolith-search, then monolith-fetch-url.\nNot monolith-search-knowledge.\n');
    const apply = (...extra: string[]) => runCli(['migrate', 'apply', '--map', 'map.yaml', 'repo', ...extra], { cwd: dir });
    const check = (...extra: string[]) => runCli(['migrate', 'check', '--map', 'map.yaml', 'repo', ...extra], { cwd: dir });

    const c0 = await check('--json');
    expect(c0.code).toBe(10);
    expect(c0.json()).toEqual({
      ok: false,
      exitCode: 10,
      scanned: 1,
      findingCount: 2,
      warningCount: 0,
      files: 1,
      findings: [
        { path: 'repo/notes.md', line: 1, column: 5, severity: 'error', kind: 'stale', name: 'monolith-search', replacement: 'monolith_search', message: 'stale old name monolith-search (apply writes monolith_search)' },
        { path: 'repo/notes.md', line: 1, column: 27, severity: 'error', kind: 'stale', name: 'monolith-fetch-url', replacement: 'monolith_fetch_url', message: 'stale old name monolith-fetch-url (apply writes monolith_fetch_url)' },
      ],
      skipped: [],
    });

    const dry = await apply();
    expect(dry.code).toBe(10);
    expect(dry.stdout).toBe(
      [
        '--- a/repo/notes.md',
        '+++ b/repo/notes.md',
        '@@ -1,2 +1,2 @@',
        '-Use monolith-search, then monolith-fetch-url.',
        '+Use monolith_search, then monolith_fetch_url.',
        ' Not monolith-search-knowledge.',
        '',
        'repo/notes.md  2 replacements',
        'Would rewrite 2 names in 1 of 1 file.',
        '',
      ].join('\n'),
    );
    const dryJson = await apply('--json');
    expect(dryJson.code).toBe(10);
    expect(dryJson.json()).toMatchObject({
      mode: 'dry-run',
      exitCode: 10,
      changed: [
        {
          path: 'repo/notes.md',
          replacements: 2,
          edits: [
            { line: 1, column: 5, old: 'monolith-search', new: 'monolith_search', kind: 'name' },
            { line: 1, column: 27, old: 'monolith-fetch-url', new: 'monolith_fetch_url', kind: 'name' },
          ],
          diff: expect.stringContaining('+Use monolith_search, then monolith_fetch_url.\n'),
        },
      ],
      totals: { files: 1, replacements: 2, unchanged: 0, skipped: 0, residual: 0 },
      residual: [],
      chains: [],
    });

    const w = await apply('--write');
    expect(w.code).toBe(10);
    expect(w.stdout).toBe('repo/notes.md  2 replacements\nRewrote 2 names in 1 of 1 file.\n');
    expect(await readFile(join(dir, 'repo', 'notes.md'), 'utf8')).toBe('Use monolith_search, then monolith_fetch_url.\nNot monolith-search-knowledge.\n');

    const [second, c1] = await Promise.all([apply('--write'), check()]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('Nothing to change in 1 file.\n');
    expect(c1.code).toBe(0);
    expect(c1.stdout).toBe('');
    expect(c1.stderr).toContain('✓ 0 old names and 0 warnings in 1 file scanned.');
  });

  it('refuses files with uncommitted changes in a git work tree unless --force', async () => {
    const root = await corpusCopy();
    const map = await writeMonolithMap(await inputsDir());
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'corpus');
    await writeFile(join(root, 'keep.log'), 'edited, not committed: monolith-search\n');
    await writeFile(join(root, 'new.md'), 'untracked: monolith-fetch-url\n');
    const before = await readTree(root);

    const refused = await runCli(['migrate', 'apply', '--map', map, '.', '--write'], { cwd: root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Refusing to write 2 files with uncommitted changes: keep.log, new.md');
    expect(refused.stderr).toContain('--force');
    const untouched = await readTree(root);
    for (const [path, bytes] of before) expect(untouched.get(path)!.equals(bytes), path).toBe(true);

    const json = await runCli(['migrate', 'apply', '--map', map, '.', '--write', '--json'], { cwd: root });
    expect(json.code).toBe(1);
    expect(json.json().error).toMatchObject({ code: 'migrate_dirty', details: { files: ['keep.log', 'new.md'] } });

    // The dry run is always allowed, and naming only clean files writes them.
    expect((await runCli(['migrate', 'apply', '--map', map, '.'], { cwd: root })).code).toBe(11);
    const clean = await runCli(['migrate', 'apply', '--map', map, 'CLAUDE.md', '--write'], { cwd: root });
    expect(clean.code).toBe(11);
    expect(await readFile(join(root, 'CLAUDE.md'), 'utf8')).toContain('monolith_search_knowledge');

    const forced = await runCli(['migrate', 'apply', '--map', map, '.', '--write', '--force'], { cwd: root });
    expect(forced.code).toBe(11);
    expect(await readFile(join(root, 'keep.log'), 'utf8')).toBe('edited, not committed: monolith_search\n');
    expect(await readFile(join(root, 'new.md'), 'utf8')).toBe('untracked: monolith_fetch_url\n');
  });

  it('--server-rename adds to the map; usage errors exit 2; a bad map exits 1', async () => {
    const dir = makeTempDir('gatehouse-migrate-');
    await writeFile(join(dir, 'map.yaml'), 'map:\n  monolith-search: monolith_search\n');
    await writeFile(join(dir, 'broken.yaml'), 'entries: 3\n');
    await writeFile(join(dir, 'settings.json'), '{"allow": ["mcp__context-forge__monolith-search", "mcp__context-forge__*"]}\n');
    const [renamed, noPaths, noMap, missing, broken, badRename] = await Promise.all([
      runCli(['migrate', 'apply', '--map', 'map.yaml', 'settings.json', '--server-rename', 'context-forge=monolith', '--write'], { cwd: dir }),
      runCli(['migrate', 'apply', '--map', 'map.yaml'], { cwd: dir }),
      runCli(['migrate', 'apply', 'settings.json'], { cwd: dir }),
      runCli(['migrate', 'check', '--map', 'map.yaml', 'nope'], { cwd: dir }),
      runCli(['migrate', 'check', '--map', 'broken.yaml', '.'], { cwd: dir }),
      runCli(['migrate', 'apply', '--map', 'map.yaml', '.', '--server-rename', 'context-forge'], { cwd: dir }),
    ]);
    expect(renamed.code).toBe(10);
    expect(await readFile(join(dir, 'settings.json'), 'utf8')).toBe('{"allow": ["mcp__monolith__monolith_search", "mcp__monolith__*"]}\n');
    expect(noPaths.code).toBe(2);
    expect(noPaths.stderr).toContain('Name the files or folders to rewrite.');
    expect(noMap.code).toBe(2);
    expect(noMap.stderr).toContain('Missing required flag map');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No such file or folder: nope');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('broken.yaml: entries must be a list');
    expect(badRename.code).toBe(2);
    expect(badRename.stderr).toContain('--server-rename "context-forge" is not old=new.');
  });
});

describe('migrate check', () => {
  it('lists every stale name as file:line:column with --json records for CI; warnings fail only with --strict', async () => {
    const root = await corpusCopy();
    const map = await writeMonolithMap(await inputsDir());
    const r = await runCli(['migrate', 'check', '--map', map, '.', '--json'], { cwd: root });
    expect(r.code).toBe(10);
    const out = r.json();
    expect(out).toMatchObject({ ok: false, exitCode: 10, scanned: 13, findingCount: 48, warningCount: 8 });
    const golden = (await readFile(join(expectedDir, 'check-before.txt'), 'utf8')).trim().split('\n');
    const mine = out.findings.map((f: { path: string; line: number; column: number; severity: string; name: string; kind: string }) =>
      `${f.path}:${f.line}:${f.column} ${f.severity === 'warning' ? 'warning' : f.kind} ${f.name}`,
    );
    expect([...mine].sort()).toEqual(golden.map((l) => l.replace(/ -> .*$/, '')).sort());
    for (const f of out.findings) expect(Object.keys(f)).toEqual(expect.arrayContaining(['path', 'line', 'column', 'severity', 'kind', 'name', 'message']));

    // Only warnings: pass, unless --strict.
    const dir = makeTempDir('gatehouse-migrate-');
    await writeFile(join(dir, 'notes.txt'), 'monolith-search-v2 was a canary\n');
    const [plain, strict] = await Promise.all([
      runCli(['migrate', 'check', '--map', map, 'notes.txt'], { cwd: dir }),
      runCli(['migrate', 'check', '--map', map, 'notes.txt', '--strict'], { cwd: dir }),
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('notes.txt:1:1: warning: monolith-search-v2 looks like an old name but is not in the map\n');
    expect(strict.code).toBe(11);
  });
});

describe('migrate --help', () => {
  it('documents the exit codes of apply and check', async () => {
    const [apply, check] = await Promise.all([runCli(['migrate', 'apply', '--help']), runCli(['migrate', 'check', '--help'])]);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/10 {2}changes proposed \(dry run\) or written/);
    expect(apply.stdout).toMatch(/11 {2}names remain that the map cannot rewrite/);
    expect(check.stdout).toMatch(/10 {2}old names remain that `migrate apply` would rewrite/);
    expect(check.stdout).toMatch(/11 {2}only names remain that the map cannot rewrite/);
  });
});
