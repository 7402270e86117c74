import { describe, expect, it } from 'vitest';
import { applyImport, describeChanges, diffConfigs } from '../../../src/core/config/diff.js';
import { lintConfig } from '../../../src/core/config/lint.js';
import { parseConfigText } from '../../../src/core/config/load.js';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { configToYamlText, updateYamlText } from '../../../src/core/config/yaml.js';

const commented = `# My gateway. Keep this comment.
version: 1
gateway:
  port: 7500 # not the default
backends:
  # The reference server, for smoke tests.
  everything:
    type: stdio
    command: npx
    args:
      - -y # non-interactive
      - "@modelcontextprotocol/server-everything"
  # Goes away below.
  old:
    type: http
    url: https://old.example/mcp
`;

describe('YAML round trip', () => {
  it('writes a fresh file that parses back to the same config', () => {
    const c = parseConfigText(commented, 'c.yaml');
    const text = configToYamlText(c);
    expect(text.startsWith('# Gatehouse configuration.')).toBe(true);
    expect(parseConfigText(text, 'out.yaml')).toEqual(c);
  });

  it('updates an existing file in place, keeping comments where values stay', () => {
    const c = parseConfigText(commented, 'c.yaml');
    delete c.backends.old;
    c.backends.everything = { ...c.backends.everything, disabled: true } as GatehouseConfig['backends'][string];
    c.backends.added = { type: 'http', url: 'https://new.example/mcp', headers: { Authorization: 'secret:new-token' } };
    c.gateway = { ...c.gateway, host: '0.0.0.0' };
    const out = updateYamlText(commented, c);
    expect(parseConfigText(out, 'out.yaml')).toEqual(c);
    expect(out).toContain('# My gateway. Keep this comment.');
    expect(out).toContain('port: 7500 # not the default');
    expect(out).toContain('# The reference server, for smoke tests.');
    expect(out).toContain('- -y # non-interactive');
    expect(out).not.toContain('old.example');
    expect(out).toContain('disabled: true');
    expect(out).toContain('Authorization: secret:new-token');
  });

  it('keeps a changed scalar\'s trailing comment', () => {
    const c = parseConfigText(commented, 'c.yaml');
    c.gateway = { port: 7600 };
    expect(updateYamlText(commented, c)).toContain('port: 7600 # not the default');
  });

  it('falls back to a fresh document when the existing text is not a mapping', () => {
    const c: GatehouseConfig = { version: 1, backends: {} };
    expect(parseConfigText(updateYamlText('- a list', c), 'x')).toEqual(c);
  });
});

describe('import merge and diff', () => {
  const current: GatehouseConfig = {
    version: 1,
    gateway: { port: 7500, host: '127.0.0.1' },
    backends: { a: { type: 'stdio', command: 'a' }, b: { type: 'stdio', command: 'b' } },
  };
  const incoming: GatehouseConfig = {
    version: 1,
    gateway: { port: 7600 },
    backends: { b: { type: 'stdio', command: 'b2' }, c: { type: 'http', url: 'https://c.example/' } },
  };

  it('merge keeps unmentioned backends and replaces mentioned ones whole', () => {
    const next = applyImport(current, incoming, 'merge');
    expect(next.backends).toEqual({ a: { type: 'stdio', command: 'a' }, b: { type: 'stdio', command: 'b2' }, c: { type: 'http', url: 'https://c.example/' } });
    expect(next.gateway).toEqual({ port: 7600, host: '127.0.0.1' });
    const d = diffConfigs(current, next);
    expect(d.backends).toEqual({ added: ['c'], removed: [], changed: ['b'], unchanged: ['a'] });
    expect(d.gateway).toEqual({ added: [], removed: [], changed: ['port'] });
    expect(describeChanges(d)).toEqual(['+ backend c', '~ backend b', '~ gateway.port']);
    expect(d.same).toBe(false);
  });

  it('replace makes the store exactly the file', () => {
    const next = applyImport(current, incoming, 'replace');
    expect(next).toEqual(incoming);
    const d = diffConfigs(current, next);
    expect(d.backends.removed).toEqual(['a']);
    expect(d.gateway.removed).toEqual(['host']);
  });

  it('sees no change when importing the same config', () => {
    expect(diffConfigs(current, applyImport(current, current, 'merge')).same).toBe(true);
  });
});

describe('lintConfig', () => {
  it('warns about a shared prefix among enabled backends', () => {
    const c: GatehouseConfig = {
      version: 1,
      backends: { a: { type: 'stdio', command: 'x', prefix: 'p' }, b: { type: 'stdio', command: 'y', prefix: 'p' }, c: { type: 'stdio', command: 'z', prefix: 'p', disabled: true } },
    };
    const w = lintConfig(c);
    expect(w).toHaveLength(1);
    expect(w[0]!.message).toMatch(/a, b share the tool prefix "p"/);
    expect(lintConfig({ ...c, gateway: { prefixMode: 'never' } })).toEqual([]);
  });
});
