import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectFormat, matchGitignore, parseGitignore, walkFiles } from '../../../src/core/migrate/index.js';

describe('parseGitignore / matchGitignore', () => {
  const ignored = (patterns: string, path: string, isDir = false) => matchGitignore(parseGitignore(patterns), path, isDir);

  it('matches basenames at any depth unless anchored', () => {
    expect(ignored('*.log', 'a.log')).toBe(true);
    expect(ignored('*.log', 'deep/er/a.log')).toBe(true);
    expect(ignored('*.log', 'a.logx')).toBeUndefined();
    expect(ignored('/build', 'build', true)).toBe(true);
    expect(ignored('/build', 'sub/build', true)).toBeUndefined();
    expect(ignored('doc/*.txt', 'doc/a.txt')).toBe(true);
    expect(ignored('doc/*.txt', 'doc/x/a.txt')).toBeUndefined();
    expect(ignored('doc/*.txt', 'x/doc/a.txt')).toBeUndefined();
  });

  it('supports dir-only patterns', () => {
    expect(ignored('out/', 'out', true)).toBe(true);
    expect(ignored('out/', 'out', false)).toBeUndefined();
    expect(ignored('out/', 'a/out', true)).toBe(true);
  });

  it('supports ** forms', () => {
    expect(ignored('**/tmp', 'tmp', true)).toBe(true);
    expect(ignored('**/tmp', 'a/b/tmp', true)).toBe(true);
    expect(ignored('logs/**', 'logs/a/b.txt')).toBe(true);
    expect(ignored('logs/**', 'logs')).toBeUndefined();
    expect(ignored('a/**/z', 'a/z')).toBe(true);
    expect(ignored('a/**/z', 'a/b/c/z')).toBe(true);
    expect(ignored('a/**/z', 'b/a/z')).toBeUndefined();
  });

  it('supports ?, classes and escapes', () => {
    expect(ignored('file?.txt', 'file1.txt')).toBe(true);
    expect(ignored('file?.txt', 'file10.txt')).toBeUndefined();
    expect(ignored('file[0-9].txt', 'file7.txt')).toBe(true);
    expect(ignored('file[!0-9].txt', 'file7.txt')).toBeUndefined();
    expect(ignored('file[!0-9].txt', 'filex.txt')).toBe(true);
    expect(ignored('\\#notes', '#notes')).toBe(true);
    expect(ignored('\\!important', '!important')).toBe(true);
    expect(ignored('a.b', 'axb')).toBeUndefined();
    expect(ignored('trailing\\ ', 'trailing ')).toBe(true);
    expect(ignored('spaces   ', 'spaces')).toBe(true);
  });

  it('lets the last match win, including negations', () => {
    expect(ignored('*.log\n!keep.log', 'keep.log')).toBe(false);
    expect(ignored('*.log\n!keep.log\nkeep.log', 'keep.log')).toBe(true);
    expect(ignored('# comment\n\n*.tmp', '# comment')).toBeUndefined();
  });
});

describe('detectFormat', () => {
  it('recognises the formats apply cares about', () => {
    expect(['a.yaml', 'b.YML', 'c.json', '.mcp.json', 'd.jsonc', 'e.md', 'f.toml', 'g.txt', 'Makefile'].map(detectFormat)).toEqual([
      'yaml',
      'yaml',
      'json',
      'json',
      'jsonc',
      'markdown',
      'toml',
      'text',
      'text',
    ]);
  });
});

describe('walkFiles', () => {
  let root: string;
  afterEach(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function tree(files: Record<string, string | Buffer>): Promise<string> {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-walk-'));
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    return root;
  }

  const names = (r: { files: { path: string }[] }) => r.files.map((f) => relative(root, f.path));

  it('walks sorted, skipping .git, node_modules, binaries and symlinks', async () => {
    await tree({
      'b.md': 'b',
      'a.yaml': 'a',
      'dir/c.txt': 'c',
      '.git/config': 'x',
      'node_modules/pkg/index.js': 'x',
      'img.bin': Buffer.from([1, 2, 0, 3]),
      'utf16.txt': Buffer.from([0xff, 0xfe, 0x61, 0x00]),
    });
    await symlink(join(root, 'b.md'), join(root, 'link.md'));
    const result = await walkFiles([root]);
    expect(names(result)).toEqual(['a.yaml', 'b.md', 'dir/c.txt', 'utf16.txt']);
    expect(result.skipped.map((s) => [relative(root, s.path), s.reason])).toEqual([
      ['.git', 'always-skipped'],
      ['img.bin', 'binary'],
      ['link.md', 'symlink'],
      ['node_modules', 'always-skipped'],
    ]);
  });

  it('applies nested .gitignore files and those above the walked folder up to the git root', async () => {
    await tree({
      '.git/HEAD': 'ref: refs/heads/main\n',
      '.git/info/exclude': 'excluded.txt\n',
      '.gitignore': '*.secret\n',
      'pkg/.gitignore': 'generated/\n!keep.secret\n',
      'pkg/a.txt': 'a',
      'pkg/x.secret': 'x',
      'pkg/keep.secret': 'k',
      'pkg/excluded.txt': 'e',
      'pkg/generated/out.txt': 'g',
      'pkg/sub/generated/out.txt': 'g',
      'other/y.secret': 'y',
    });
    const result = await walkFiles([join(root, 'pkg')]);
    expect(names(result)).toEqual(['pkg/.gitignore', 'pkg/a.txt', 'pkg/keep.secret']);
    expect(result.skipped.map((s) => relative(root, s.path))).toEqual([
      'pkg/excluded.txt',
      'pkg/generated',
      'pkg/sub/generated',
      'pkg/x.secret',
    ]);
    const all = await walkFiles([root], { gitignore: false });
    expect(names(all)).toContain('other/y.secret');
  });

  it('reports missing paths, dedupes overlaps and skips very large files', async () => {
    await tree({ 'a.txt': 'a', 'big.txt': 'x'.repeat(2000) });
    const result = await walkFiles([root, join(root, 'a.txt'), join(root, 'nope.txt')], { maxFileSize: 1000 });
    expect(names(result)).toEqual(['a.txt']);
    expect(result.skipped.map((s) => [relative(root, s.path), s.reason])).toEqual([
      ['big.txt', 'too-large'],
      ['nope.txt', 'missing'],
    ]);
  });
});
