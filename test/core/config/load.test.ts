import { describe, expect, it } from 'vitest';
import { allowedKeysAt, parseConfigDocument, parseConfigText, validateConfig } from '../../../src/core/config/load.js';
import { UserError } from '../../../src/core/errors.js';

function failure(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a failure');
}

const yaml = `# top comment
version: 1
gateway:
  port: 7500
  prefixmode: always
backends:
  good:
    type: stdio
    command: node
  bad:
    type: http
    url: ftp://nope
    headerz: {}
  worse:
    type: nope
  empty:
  numeric:
    type: stdio
    command: 42
`;

describe('config load', () => {
  it('names file, line, path and fix for every problem', () => {
    const e = failure(() => parseConfigText(yaml, 'gatehouse.yaml'));
    expect(e.code).toBe('config_invalid');
    expect(e.exit).toBe(1);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('Invalid configuration in gatehouse.yaml:');
    expect(e.message).toContain('gatehouse.yaml:5:3: gateway.prefixmode: unknown key "prefixmode" (did you mean "prefixMode"?)');
    expect(e.message).toContain('gatehouse.yaml:12:5: backends.bad.url: not a valid http(s) URL');
    expect(e.message).toContain('gatehouse.yaml:13:5: backends.bad.headerz: unknown key "headerz" (did you mean "headers"?)');
    expect(e.message).toContain('gatehouse.yaml:15:5: backends.worse.type: "type" must be one of stdio, http, rest');
    expect(e.message).toContain('gatehouse.yaml:16:3: backends.empty: is empty: give it a value (a mapping expected)');
    expect(e.message).toContain('backends.numeric.command: a string expected, got a number (42) (quote the value)');
    expect(e.hint).toContain('gatehouse config validate gatehouse.yaml');
    const issues = (e.details as { issues: Array<{ path: string[]; line?: number }> }).issues;
    expect(issues.find((i) => i.path.join('.') === 'backends.bad.url')?.line).toBe(12);
  });

  it('lists allowed keys when no key is close', () => {
    const e = failure(() => parseConfigText('version: 1\nzzzzzz: 1\n', 'c.yaml'));
    expect(e.message).toContain('c.yaml:2:1: zzzzzz: unknown key "zzzzzz" (allowed here: version, gateway, backends)');
  });

  it('says which key is required', () => {
    const e = failure(() => validateConfig({ backends: { a: { type: 'stdio' } } }, 'x.json'));
    expect(e.message).toContain('x.json: backends.a.command: required: add it (a string expected)');
  });

  it('reports a bad backend name at the key', () => {
    const e = failure(() => parseConfigText('backends:\n  "bad name":\n    type: stdio\n    command: x\n', 'c.yaml'));
    expect(e.message).toMatch(/c\.yaml:2:3: backends\.bad name: invalid name: backend names use letters/);
  });

  it('refuses duplicate keys and syntax errors with a position', () => {
    const dup = failure(() => parseConfigText('version: 1\nversion: 1\n', 'd.yaml'));
    expect(dup.code).toBe('config_parse');
    expect(dup.message).toMatch(/d\.yaml at line 2/);
    expect(dup.hint).toMatch(/appears twice/);
    const syntax = failure(() => parseConfigText('backends:\n  a: [\n', 's.yaml'));
    expect(syntax.code).toBe('config_parse');
    expect(syntax.message).toMatch(/s\.yaml at line \d+, column \d+/);
  });

  it('refuses a top level that is not a mapping', () => {
    expect(failure(() => parseConfigText('- a\n- b\n', 'l.yaml')).message).toMatch(/top level must be a mapping/);
  });

  it('accepts an empty file and JSON', () => {
    expect(parseConfigText('', 'e.yaml')).toEqual({ version: 1, backends: {} });
    expect(parseConfigText('{"backends":{"a":{"type":"stdio","command":"x"}}}', 'c.json').backends.a).toEqual({ type: 'stdio', command: 'x' });
    expect(parseConfigDocument('# c\nversion: 1\n', 'c.yaml').doc.toString()).toBe('# c\nversion: 1\n');
  });

  it('knows the allowed keys per backend type', () => {
    expect(allowedKeysAt({ backends: { a: { type: 'http' } } }, ['backends', 'a'])).toContain('headers');
    expect(allowedKeysAt({ backends: { a: { type: 'stdio' } } }, ['backends', 'a'])).toContain('command');
    expect(allowedKeysAt({ backends: { a: { type: 'nope' } } }, ['backends', 'a'])).toBeUndefined();
    expect(allowedKeysAt({}, ['gateway'])).toContain('prefixMode');
  });
});
