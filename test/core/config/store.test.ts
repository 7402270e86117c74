import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, lstatSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/core/config/atomic.js';
import { ConfigStore } from '../../../src/core/config/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'gh-store-'));
  dirs.push(d);
  return d;
}

describe('ConfigStore', () => {
  it('starts empty without creating a file, then writes 0600 gatehouse.yaml', () => {
    const s = new ConfigStore(tmp());
    expect(s.path).toBe(join(s.dir, 'gatehouse.yaml'));
    expect(s.exists()).toBe(false);
    expect(s.read()).toEqual({ version: 1, backends: {} });
    expect(s.exists()).toBe(false);
    s.update((c) => {
      c.backends.a = { type: 'stdio', command: 'x' };
    });
    expect(parse(readFileSync(s.path, 'utf8'))).toEqual({ version: 1, backends: { a: { type: 'stdio', command: 'x' } } });
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(s.dir)).toEqual(['gatehouse.yaml']);
  });

  it('edits in place: comments, key order and formatting survive, and schema defaults are not spilled into the file', () => {
    const s = new ConfigStore(tmp());
    const text = [
      '# my gateway',
      'version: 1',
      'gateway:',
      '  port: 7500 # fixed for the firewall',
      'backends:',
      '  # the REST one',
      '  prom:',
      '    type: rest',
      '    baseUrl: http://prom.example:9090',
      '    tools:',
      '      - name: query',
      '        path: /api/v1/query',
      '  zed: { type: stdio, command: zed }',
      '',
    ].join('\n');
    writeFileSync(s.path, text);
    s.update((c) => {
      c.backends.added = { type: 'stdio', command: 'node', args: ['a.js'] };
    });
    const after = readFileSync(s.path, 'utf8');
    expect(after.startsWith(text.trimEnd().split('\n').slice(0, -1).join('\n'))).toBe(true);
    expect(after).toContain('# fixed for the firewall');
    expect(after).toContain('zed: { type: stdio, command: zed }');
    expect(after).not.toContain('method');
    expect(Object.keys(parse(after).backends)).toEqual(['prom', 'zed', 'added']);
  });

  it('validates before writing, leaving the file byte-identical on failure', () => {
    const s = new ConfigStore(tmp());
    s.write({ version: 1, backends: { a: { type: 'stdio', command: 'x' } } });
    const before = readFileSync(s.path);
    expect(() =>
      s.update((c) => {
        (c.backends as Record<string, unknown>).b = { type: 'stdio', command: 'y', extra: true };
      }),
    ).toThrow(/unknown key "extra"/);
    expect(readFileSync(s.path).equals(before)).toBe(true);
    expect(readdirSync(s.dir)).toEqual(['gatehouse.yaml']);
  });

  it('names the file, line and column when the file is invalid', () => {
    const d = tmp();
    writeFileSync(join(d, 'gatehouse.yaml'), 'version: 1\nbackends: {}\ngatway: {}\n');
    expect(() => new ConfigStore(d).read()).toThrow(/gatehouse\.yaml:3:1: gatway: unknown key "gatway" \(did you mean "gateway"\?\)/);
  });

  it('a file that does not parse can still be replaced whole', () => {
    const d = tmp();
    writeFileSync(join(d, 'gatehouse.yaml'), 'backends: [unclosed');
    const s = new ConfigStore(d);
    expect(() => s.read()).toThrow(/Cannot parse .*gatehouse\.yaml/);
    expect(() => s.update(() => {})).toThrow(/Cannot parse/);
    s.write({ version: 1, backends: {} });
    expect(new ConfigStore(d).read()).toEqual({ version: 1, backends: {} });
  });

  it('migrates config.json once into gatehouse.yaml, keeping the old file as a backup and saying so', () => {
    const d = tmp();
    const legacy = { version: 1, gateway: { port: 7777 }, backends: { a: { type: 'stdio', command: 'x', args: ['--y'] } } };
    writeFileSync(join(d, 'config.json'), JSON.stringify(legacy, null, '\t'));
    const notes: string[] = [];
    const s = new ConfigStore(d, { onNote: (m) => notes.push(m) });
    expect(s.exists()).toBe(true);
    expect(s.read()).toEqual(legacy);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('config.json.bak');
    expect(existsSync(join(d, 'config.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(d, 'config.json.bak'), 'utf8'))).toEqual(legacy);
    expect(parse(readFileSync(s.path, 'utf8'))).toEqual(legacy);
    new ConfigStore(d, { onNote: (m) => notes.push(m) }).read();
    expect(notes).toHaveLength(1);
  });

  it('does not migrate an invalid config.json, and names it', () => {
    const d = tmp();
    writeFileSync(join(d, 'config.json'), '{ broken');
    expect(() => new ConfigStore(d).read()).toThrow(/config\.json is not valid JSON/);
    expect(existsSync(join(d, 'gatehouse.yaml'))).toBe(false);
    expect(existsSync(join(d, 'config.json'))).toBe(true);
  });

  it('writes through a symlink at its target, so the link survives', () => {
    const d = tmp();
    mkdirSync(join(d, 'real'));
    writeFileSync(join(d, 'real', 'gh.yaml'), 'version: 1\nbackends: {}\n');
    symlinkSync(join(d, 'real', 'gh.yaml'), join(d, 'gatehouse.yaml'));
    const s = new ConfigStore(d);
    s.update((c) => {
      c.backends.a = { type: 'stdio', command: 'x' };
    });
    expect(lstatSync(join(d, 'gatehouse.yaml')).isSymbolicLink()).toBe(true);
    expect(parse(readFileSync(join(d, 'real', 'gh.yaml'), 'utf8')).backends.a.command).toBe('x');
    expect(readdirSync(join(d, 'real')).sort()).toEqual(['gh.yaml']);
  });

  it('names a directory or a FIFO at the config path instead of failing raw or blocking', () => {
    const d = tmp();
    mkdirSync(join(d, 'gatehouse.yaml'));
    expect(() => new ConfigStore(d).read()).toThrow(/gatehouse\.yaml is a directory, not a file/);
    const d2 = tmp();
    execFileSync('mkfifo', [join(d2, 'gatehouse.yaml')]);
    expect(() => new ConfigStore(d2).read()).toThrow(/gatehouse\.yaml is not a regular file \(a FIFO/);
  });

  it('refuses a file over the size bound and one with too many backends, naming the file', () => {
    const d = tmp();
    writeFileSync(join(d, 'gatehouse.yaml'), `version: 1\nbackends: {}\n# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    expect(() => new ConfigStore(d).read()).toThrow(/gatehouse\.yaml is 5\.0 MiB, over the 4\.0 MiB limit/);
    const many = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`b${i}`, { type: 'stdio', command: 'x' }]));
    writeFileSync(join(d, 'gatehouse.yaml'), JSON.stringify({ version: 1, backends: many }));
    expect(() => new ConfigStore(d).read()).toThrow(/gatehouse\.yaml lists 501 backends, over the limit of 500/);
  });

  it('an alias bomb is a clean error naming the file', () => {
    const d = tmp();
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    writeFileSync(join(d, 'gatehouse.yaml'), `${lines.join('\n')}\n`);
    expect(() => new ConfigStore(d).read()).toThrow(/Cannot load .*gatehouse\.yaml: its YAML aliases expand too far/);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp files; keeps an existing mode', () => {
    const d = tmp();
    const p = join(d, 'f.yaml');
    writeFileAtomic(p, 'one', { mode: 0o640 });
    expect(statSync(p).mode & 0o777).toBe(0o640);
    writeFileAtomic(p, 'two', { mode: 0o600 });
    expect(readFileSync(p, 'utf8')).toBe('two');
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(readdirSync(d)).toEqual(['f.yaml']);
  });

  it('creates missing folders', () => {
    const p = join(tmp(), 'a', 'b', 'c.json');
    writeFileAtomic(p, '{}');
    expect(readFileSync(p, 'utf8')).toBe('{}');
  });

  it('through a dangling symlink, creates the target and keeps the link', () => {
    const d = tmp();
    symlinkSync(join(d, 'target.json'), join(d, 'link.json'));
    writeFileAtomic(join(d, 'link.json'), '{}');
    expect(lstatSync(join(d, 'link.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(d, 'target.json'), 'utf8')).toBe('{}');
  });
});
