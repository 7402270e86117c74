import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { addBackend, describeBackend, listBackends, removeBackend, setBackendEnabled } from '../../../src/core/backends/registry.js';
import { renderBackendDetail, renderBackendTable, renderTable } from '../../../src/core/backends/render.js';
import { findLiteralSecrets, redactConfig } from '../../../src/core/backends/sensitive.js';
import { ConfigStore } from '../../../src/core/config/store.js';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function store(): ConfigStore {
  const d = mkdtempSync(join(tmpdir(), 'gh-reg-'));
  dirs.push(d);
  return new ConfigStore(d);
}

const config: GatehouseConfig = {
  version: 1,
  backends: {
    zeta: { type: 'http', url: 'https://z.example/mcp', transport: 'sse', prefix: 'z' },
    alpha: { type: 'stdio', command: 'node', args: ['server.js', 'a b'], disabled: true },
  },
};

describe('registry', () => {
  it('adds, refuses duplicates unless forced, removes, enables and disables', () => {
    const s = store();
    expect(addBackend(s, 'a', { type: 'stdio', command: 'x' })).toEqual({ replaced: false });
    expect(() => addBackend(s, 'a', { type: 'stdio', command: 'y' })).toThrow(/already exists/);
    expect(s.getBackend('a')).toEqual({ type: 'stdio', command: 'x' });
    expect(addBackend(s, 'a', { type: 'stdio', command: 'y' }, { force: true })).toEqual({ replaced: true });
    expect(setBackendEnabled(s, 'a', false)).toEqual({ changed: true });
    expect(setBackendEnabled(s, 'a', false)).toEqual({ changed: false });
    expect(s.getBackend('a').disabled).toBe(true);
    expect(setBackendEnabled(s, 'a', true)).toEqual({ changed: true });
    expect(parseYaml(readFileSync(s.path, 'utf8')).backends.a).toEqual({ type: 'stdio', command: 'y' });
    expect(removeBackend(s, 'a')).toEqual({ type: 'stdio', command: 'y' });
    expect(() => removeBackend(s, 'a')).toThrow(/No backend named "a"/);
  });

  it('never stores a literal secret, even when called directly', () => {
    const s = store();
    expect(() => addBackend(s, 'h', { type: 'http', url: 'https://x', headers: { Authorization: 'Bearer abc' } })).toThrow(/Refusing to store secrets/);
    expect(s.exists()).toBe(false);
  });

  it('lists sorted by name with effective prefix and state', () => {
    expect(listBackends(config)).toEqual([
      { name: 'alpha', type: 'stdio', target: "node server.js 'a b'", prefix: 'alpha', enabled: false, state: 'disabled' },
      { name: 'zeta', type: 'http', target: 'https://z.example/mcp', prefix: 'z', enabled: true, state: 'enabled', transport: 'sse' },
    ]);
  });

  it('renders a plain table, cutting the target to fit', () => {
    const table = renderBackendTable(listBackends(config));
    expect(table.split('\n')).toEqual([
      'NAME   TYPE      TARGET                 PREFIX  STATE',
      "alpha  stdio     node server.js 'a b'   alpha   disabled",
      'zeta   http/sse  https://z.example/mcp  z       enabled',
    ]);
    expect(table).not.toMatch(/\x1b/);
    const narrow = renderBackendTable(listBackends(config), { maxWidth: 50 });
    expect(Math.max(...narrow.split('\n').map((l) => l.length))).toBeLessThanOrEqual(50);
    expect(narrow).toContain('…');
    expect(renderTable([{ header: 'A', get: (r: string) => r }], ['x\ny'])).toBe('A\nx y');
  });

  it('shows details with references, and redacts literals from hand-edited configs', () => {
    const b = { type: 'http' as const, url: 'https://x', headers: { Authorization: 'Bearer literal', 'X-Ref': 'secret:r' } };
    const d = describeBackend('h', b);
    expect(d.config.headers).toEqual({ Authorization: '<redacted>', 'X-Ref': 'secret:r' });
    expect(b.headers.Authorization).toBe('Bearer literal');
    const text = renderBackendDetail(d);
    expect(text).toContain('X-Ref: secret:r');
    expect(text).not.toContain('literal');
    expect(text).toMatch(/prefix:\s+h \(default: the name\)/);
  });

  it('finds literal secrets everywhere a config can hold them', () => {
    const c = {
      version: 1,
      backends: {
        s: { type: 'stdio', command: 'x', env: { API_KEY: 'abc', OK: 'env:OK' } },
        r: {
          type: 'rest',
          baseUrl: 'https://r.example',
          auth: { type: 'bearer', token: 'abc' },
          tools: [{ name: 't', method: 'GET', path: '/x', headers: { 'X-Token': 'abc' } }],
        },
      },
    } as unknown as GatehouseConfig;
    expect(findLiteralSecrets(c).map((f) => f.path.join('.'))).toEqual(['backends.s.env.API_KEY', 'backends.r.auth.token', 'backends.r.tools.0.headers.X-Token']);
    const { config: safe, redacted } = redactConfig(c);
    expect(redacted).toHaveLength(3);
    expect(JSON.stringify(safe)).not.toContain('abc');
  });
});
