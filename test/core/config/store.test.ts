import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  it('starts empty without creating a file, then writes 0600 JSON', () => {
    const s = new ConfigStore(tmp());
    expect(s.exists()).toBe(false);
    expect(s.read()).toEqual({ version: 1, backends: {} });
    expect(s.exists()).toBe(false);
    s.update((c) => {
      c.backends.a = { type: 'stdio', command: 'x' };
    });
    expect(JSON.parse(readFileSync(s.path, 'utf8'))).toEqual({ version: 1, backends: { a: { type: 'stdio', command: 'x' } } });
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
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
    expect(readdirSync(s.dir)).toEqual(['config.json']);
  });

  it('names the file and line when the store is invalid', () => {
    const d = tmp();
    writeFileSync(join(d, 'config.json'), '{\n\t"version": 1,\n\t"backends": {},\n\t"gatway": {}\n}');
    expect(() => new ConfigStore(d).read()).toThrow(/config\.json:4:2: gatway: unknown key "gatway" \(did you mean "gateway"\?\)/);
  });

  it('names the file when the store is not JSON, and can still be replaced whole', () => {
    const d = tmp();
    writeFileSync(join(d, 'config.json'), '{ broken');
    const s = new ConfigStore(d);
    expect(() => s.read()).toThrow(/is not valid JSON/);
    s.write({ version: 1, backends: {} });
    expect(new ConfigStore(d).read()).toEqual({ version: 1, backends: {} });
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
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
});
