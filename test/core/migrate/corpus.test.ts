import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMap,
  checkPaths,
  compileRewriter,
  executeApply,
  formatMap,
  nodeAtomicFs,
  parseMap,
  planApply,
  unifiedDiff,
  type AtomicFs,
  type CheckReport,
  type Rewriter,
} from '../../../src/core/migrate/index.js';
import { UserError } from '../../../src/core/errors.js';
import { CORPORA, UPDATE_GOLDEN, copyTree, readTree, rel, removeTree } from './corpus-helpers.js';

const corpus = join(CORPORA, 'monolith');
const expectedDir = join(corpus, 'expected');

async function lines(file: string): Promise<string[]> {
  return (await readFile(join(corpus, file), 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Compares with a golden file, or rewrites it under UPDATE_GOLDEN=1. */
async function golden(name: string, actual: string | Buffer): Promise<void> {
  const file = join(expectedDir, name);
  if (UPDATE_GOLDEN) {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, actual);
    return;
  }
  const expected = await readFile(file);
  if (typeof actual === 'string') expect(actual).toBe(expected.toString('utf8'));
  else expect(actual.equals(expected), `${name} differs from its golden file`).toBe(true);
}

function formatCheck(root: string, report: CheckReport): string {
  const out: string[] = [];
  for (const file of report.files) {
    for (const f of file.findings) {
      out.push(`${rel(root, file.path)}:${f.line}:${f.column} ${f.kind} ${f.text}${f.replacement ? ` -> ${f.replacement}` : ''}`);
    }
    for (const w of file.warnings) out.push(`${rel(root, file.path)}:${w.line}:${w.column} warning ${w.text}`);
  }
  return `${out.join('\n')}\n`;
}

let mapText: string;
let rewriter: Rewriter;
const temps: string[] = [];

async function workTree(): Promise<string> {
  const dir = await copyTree(join(corpus, 'input'));
  temps.push(dir);
  return dir;
}

beforeAll(async () => {
  const map = buildMap({
    natives: await lines('natives.txt'),
    from: { kind: 'contextforge', gatewayName: 'Monolith', separator: '-' },
    to: { prefix: 'monolith', separator: '_' },
    serverRenames: { 'context-forge': 'monolith' },
    knownOld: await lines('known-old.txt'),
    source: 'natives.txt',
    knownOldSource: 'known-old.txt',
  });
  mapText = formatMap(map, 'yaml');
  rewriter = compileRewriter(parseMap(mapText, { fileName: 'map.yaml' }));
});

afterEach(async () => {
  while (temps.length) await removeTree(temps.pop()!);
});

describe('monolith corpus', () => {
  it('builds the expected map', async () => {
    await golden('map.yaml', mapText);
  });

  it('apply produces the golden tree and dry-run diff', async () => {
    const root = await workTree();
    const plan = await planApply([root], rewriter);

    const diff = plan.changes.map((c) => unifiedDiff(rel(root, c.path), c.before, c.after)).join('');
    await golden('apply.diff', diff);
    const counts = plan.changes.map((c) => `${rel(root, c.path)}: ${c.replacements.length}`).join('\n');
    await golden('apply-counts.txt', `${counts}\n`);

    expect(plan.skipped.map((s) => [rel(root, s.path), s.reason])).toEqual([
      ['assets/logo.png', 'binary'],
      ['build', 'ignored'],
      ['debug.log', 'ignored'],
      ['secrets', 'ignored'],
    ]);

    await executeApply(plan);
    const after = await readTree(root);
    if (UPDATE_GOLDEN) {
      for (const [path, bytes] of after) await golden(join('tree', path.replace(/(^|\/)\.gitignore$/, '$1dot-gitignore')), bytes);
    }
    const expected = await readTree(join(expectedDir, 'tree'));
    expect([...after.keys()]).toEqual([...expected.keys()]);
    for (const [path, bytes] of after) expect(bytes.equals(expected.get(path)!), `${path} differs from expected/tree`).toBe(true);

    // apply keeps the executable bit
    expect((await stat(join(root, 'scripts', 'notify.sh'))).mode & 0o777).toBe(0o755);
    // no temp files are left behind
    expect([...after.keys()].filter((p) => p.includes('.gatehouse-'))).toEqual([]);
  });

  it('keeps CRLF line endings and the UTF-8 BOM', async () => {
    const root = await workTree();
    await executeApply(await planApply([root], rewriter));
    const incident = await readFile(join(root, 'routines', 'incident.yml'), 'utf8');
    expect(incident.split('\r\n').length).toBe(incident.split('\n').length);
    expect(incident).toContain('  - monolith_create_ticket\r\n');
    const runbook = await readFile(join(root, 'docs', 'runbook.md'));
    expect([...runbook.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('is idempotent: a second apply changes nothing', async () => {
    const root = await workTree();
    await executeApply(await planApply([root], rewriter));
    const second = await planApply([root], rewriter);
    expect(second.changes).toEqual([]);
  });

  it('check lists every stale name before apply and only warnings after', async () => {
    const root = await workTree();
    const before = await checkPaths([root], rewriter);
    await golden('check-before.txt', formatCheck(root, before));
    expect(before.findingCount).toBeGreaterThan(0);

    const plan = await planApply([root], rewriter);
    await executeApply(plan);
    const after = await checkPaths([root], rewriter);
    await golden('check-after.txt', formatCheck(root, after));
    // apply predicted exactly what check reports afterwards
    expect(after.files).toEqual(plan.residual);
    // Only ambiguous old names (which apply must not guess) remain as findings.
    expect(after.files.flatMap((f) => f.findings.map((x) => x.kind))).toEqual(
      expect.arrayContaining(['ambiguous']),
    );
    expect(after.files.flatMap((f) => f.findings).every((f) => f.kind === 'ambiguous')).toBe(true);
  });

  it('walks single files as well as folders, and an explicitly named ignored file', async () => {
    const root = await workTree();
    const plan = await planApply([join(root, 'CLAUDE.md'), join(root, 'debug.log'), join(root, 'near-misses.txt')], rewriter);
    expect(plan.changes.map((c) => rel(root, c.path))).toEqual(['CLAUDE.md', 'debug.log']);
    expect(plan.unchanged.map((p) => rel(root, p))).toEqual(['near-misses.txt']);
  });
});

describe('atomicity', () => {
  function failing(on: 'rename' | 'writeNew', n: number): AtomicFs & { calls: number } {
    const fs = {
      ...nodeAtomicFs,
      calls: 0,
      async rename(from: string, to: string) {
        if (on === 'rename' && ++fs.calls === n) throw Object.assign(new Error('simulated EIO'), { code: 'EIO' });
        return nodeAtomicFs.rename(from, to);
      },
      async writeNew(path: string, data: Uint8Array, mode: number) {
        if (on === 'writeNew' && ++fs.calls === n) throw Object.assign(new Error('simulated ENOSPC'), { code: 'ENOSPC' });
        return nodeAtomicFs.writeNew(path, data, mode);
      },
    };
    return fs;
  }

  for (const [on, n] of [
    ['rename', 1],
    ['rename', 4],
    ['rename', 9],
    ['writeNew', 1],
    ['writeNew', 6],
  ] as const) {
    it(`leaves every file intact when ${on} #${n} fails`, async () => {
      const root = await workTree();
      const before = await readTree(root);
      const plan = await planApply([root], rewriter);
      expect(plan.changes.length).toBeGreaterThanOrEqual(9);
      const error = await executeApply(plan, { fs: failing(on, n) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      if (on === 'rename') expect((error as UserError).message).toMatch(/every file was left as it was/);
      const after = await readTree(root);
      expect([...after.keys()]).toEqual([...before.keys()]);
      for (const [path, bytes] of before) expect(after.get(path)!.equals(bytes), path).toBe(true);
      expect((await stat(join(root, 'scripts', 'notify.sh'))).mode & 0o777).toBe(0o755);
    });
  }

  it('refuses to write when a file changed after it was read', async () => {
    const root = await workTree();
    const plan = await planApply([root], rewriter);
    await writeFile(join(root, 'CLAUDE.md'), 'edited meanwhile\n');
    await expect(executeApply(plan)).rejects.toThrow(/changed after it was read/);
    expect(await readFile(join(root, 'keep.log'), 'utf8')).toContain('monolith-search');
    expect((await readdir(root)).filter((n) => n.includes('.gatehouse-'))).toEqual([]);
  });
});
