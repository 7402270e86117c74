import { describe, expect, it } from 'vitest';
import { buildBackendConfig, missingAddInputs, validateBackendUrl, type AddBackendInput } from '../../../src/core/backends/build.js';
import { parseEnvAssignments, parseHeaders } from '../../../src/core/backends/pairs.js';
import { UserError } from '../../../src/core/errors.js';

function fails(input: AddBackendInput): UserError {
  try {
    buildBackendConfig(input);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected buildBackendConfig to fail');
}

describe('parseEnvAssignments / parseHeaders', () => {
  it('parses K=V keeping "=" in the value, and empty values', () => {
    expect(parseEnvAssignments(['A=1', 'B=x=y', 'EMPTY='])).toEqual({ A: '1', B: 'x=y', EMPTY: '' });
  });
  it('refuses malformed and duplicate env', () => {
    expect(() => parseEnvAssignments(['NOEQ'])).toThrow(/not NAME=value/);
    expect(() => parseEnvAssignments(['=v'])).toThrow(/not NAME=value/);
    expect(() => parseEnvAssignments(['1A=v'])).toThrow(/not a valid variable name/);
    expect(() => parseEnvAssignments(['A=1', 'A=2'])).toThrow(/given twice/);
  });
  it('parses "Name: value" trimming spaces; the value may hold colons', () => {
    expect(parseHeaders(['X-Trace:  on ', 'X-Url: https://a:b/c'])).toEqual({ 'X-Trace': 'on', 'X-Url': 'https://a:b/c' });
  });
  it('refuses malformed, empty and duplicate headers (case-insensitively)', () => {
    expect(() => parseHeaders(['nocolon'])).toThrow(/not "Name: value"/);
    expect(() => parseHeaders(['Bad Name: v'])).toThrow(/not a valid header name/);
    expect(() => parseHeaders(['X-A:'])).toThrow(/has no value/);
    expect(() => parseHeaders(['X-A: 1', 'x-a: 2'])).toThrow(/given twice/);
  });
});

describe('missingAddInputs', () => {
  it('names the name and the transport', () => {
    expect(missingAddInputs({})).toEqual(['<name>', '--stdio or --url']);
    expect(missingAddInputs({ name: 'a' })).toEqual(['--stdio or --url']);
    expect(missingAddInputs({ name: 'a', url: 'https://x' })).toEqual([]);
  });
});

describe('buildBackendConfig', () => {
  it('builds a stdio backend from a quoted command line', () => {
    expect(
      buildBackendConfig({ name: 'fs', stdio: `node server.js --root '/srv/my files'`, env: ['LOG_LEVEL=debug', 'API_TOKEN=secret:fs-token'], cwd: '/srv', prefix: 'files', timeout: 2.5, disabled: true, isolation: 'per-session' }),
    ).toEqual({
      type: 'stdio',
      command: 'node',
      args: ['server.js', '--root', '/srv/my files'],
      env: { LOG_LEVEL: 'debug', API_TOKEN: 'secret:fs-token' },
      cwd: '/srv',
      prefix: 'files',
      timeout: 2.5,
      disabled: true,
      isolation: 'per-session',
    });
  });

  it('builds an http backend with references in headers', () => {
    expect(
      buildBackendConfig({ name: 'gh', url: 'https://api.example.com/mcp', transport: 'sse', header: ['Authorization: secret:gh-token', 'X-Client: gatehouse'], cfAccessToken: 'internal' }),
    ).toEqual({
      type: 'http',
      url: 'https://api.example.com/mcp',
      transport: 'sse',
      headers: { Authorization: 'secret:gh-token', 'X-Client': 'gatehouse' },
      cfAccessToken: 'internal',
    });
  });

  it('stores nothing it was not given (no defaults written)', () => {
    expect(buildBackendConfig({ name: 'a', stdio: 'x' })).toEqual({ type: 'stdio', command: 'x' });
  });

  it.each([
    [{ name: 'bad name', stdio: 'x' }, /not a valid backend name/],
    [{ name: 'a', stdio: 'x', url: 'https://x' }, /either --stdio or --url, not both/],
    [{ name: 'a' }, /Give --stdio/],
    [{ name: 'a', stdio: '   ' }, /--stdio is empty/],
    [{ name: 'a', stdio: 'x', header: ['A: b'] }, /--header only applies to --url/],
    [{ name: 'a', stdio: 'x', transport: 'sse' as const, cfAccessToken: 't' }, /--transport, --cf-access-token only apply to --url/],
    [{ name: 'a', url: 'https://x', env: ['A=1'] }, /--env only applies to --stdio/],
    [{ name: 'a', url: 'https://x', cwd: '/' }, /--cwd only applies to --stdio/],
    [{ name: 'a', url: 'ftp://x' }, /not an http\(s\) URL/],
    [{ name: 'a', url: 'not a url' }, /is not a URL/],
    [{ name: 'a', url: 'https://user:pw@x/mcp' }, /Credentials in the URL/],
    [{ name: 'a', stdio: 'x', prefix: 'has space' }, /^--prefix: /],
    [{ name: 'a', url: 'https://x', cfAccessToken: 'not a name' }, /--cf-access-token/],
  ])('refuses %j', (input, re) => {
    const e = fails(input as AddBackendInput);
    expect(e.message).toMatch(re);
    expect(e.exit).toBe(2);
  });

  it.each([
    ['--header', { url: 'https://x', header: ['Authorization: Bearer abc123'] }],
    ['--header', { url: 'https://x', header: ['X-Api-Key: abc123'] }],
    ['--header', { url: 'https://x', header: ['X-Anything: ghp_abcdefghijklmnopqrstuvwxyz012345'] }],
    ['--header', { url: 'https://x', header: ['Cookie: session=abc'] }],
    ['--env', { stdio: 'x', env: ['GITHUB_TOKEN=ghp_123'] }],
    ['--env', { stdio: 'x', env: ['DB_PASSWORD=hunter2'] }],
    ['--env', { stdio: 'x', env: ['CLIENT_SECRET=s3cr3t'] }],
  ])('refuses a literal secret in %s', (flag, input) => {
    const e = fails({ name: 'svc', ...input } as AddBackendInput);
    expect(e.code).toBe('literal_secret');
    expect(e.message).toContain(flag);
    expect(e.hint).toMatch(/secret:svc-/);
  });

  it('accepts references and harmless values under sensitive-looking names', () => {
    expect(() =>
      buildBackendConfig({ name: 's', stdio: 'x', env: ['GITHUB_TOKEN=env:GITHUB_TOKEN', 'TOKENIZERS_PARALLELISM=false', 'SSH_KEY_PATH=/home/me/.ssh/id', 'TOKEN_URL=https://auth.example/token', 'KEY_COUNT=3'] }),
    ).not.toThrow();
    expect(() => buildBackendConfig({ name: 's', url: 'https://x', header: ['Authorization: secret:s-token', 'X-Api-Key: env:API_KEY'] })).not.toThrow();
  });

  it('explains that a reference is the whole value', () => {
    expect(fails({ name: 's', url: 'https://x', header: ['Authorization: Bearer secret:tok'] }).hint).toMatch(/A reference stands for the whole value/);
  });

  it('validateBackendUrl accepts http and https', () => {
    expect(validateBackendUrl('http://127.0.0.1:3000/mcp')).toBeUndefined();
    expect(validateBackendUrl('https://mcp.example.com/sse')).toBeUndefined();
  });
});

describe('buildBackendConfig for REST backends', () => {
  it('instantiates a template with references', () => {
    const b = buildBackendConfig({ name: 'prom', template: 'prometheus', url: 'http://prom.example:9090', secret: ['TOKEN=env:PROM_TOKEN'], header: ['X-Scope: secret:scope'], cfAccessToken: 'cf', prefix: 'p' });
    expect(b).toMatchObject({
      type: 'rest',
      baseUrl: 'http://prom.example:9090',
      template: 'prometheus',
      auth: { type: 'bearer', token: 'env:PROM_TOKEN' },
      headers: { 'X-Scope': 'secret:scope' },
      cfAccessToken: 'cf',
      prefix: 'p',
    });
  });

  it('names what is missing and refuses mixed kinds', () => {
    expect(missingAddInputs({ name: 'p', template: 'prometheus' })).toEqual(['--url <base url>']);
    expect(missingAddInputs({ name: 'p', tools: 't.yaml' })).toEqual(['--rest <base url>']);
    expect(fails({ name: 'p', template: 'prometheus', stdio: 'x' }).message).toMatch(/--stdio starts an MCP server/);
    expect(fails({ name: 'p', template: 'prometheus', rest: 'http://a', url: 'http://b' }).message).toMatch(/once, with --rest or --url/);
    expect(fails({ name: 'p', template: 'prometheus', url: 'http://a', env: ['A=1'], isolation: 'shared' }).message).toMatch(/--env, --isolation only apply to MCP backends/);
    expect(fails({ name: 'p', stdio: 'x', allowWrites: true, secret: ['A=env:B'] }).message).toMatch(/--secret, --allow-writes only apply to REST backends/);
    expect(fails({ name: 'p', template: 'prometheus', url: 'http://a', secret: ['TOKEN=literal'] }).exit).toBe(2);
    expect(fails({ name: 'p', template: 'prometheus', url: 'http://a', header: ['X-Api-Key: literal-key'] }).code).toBe('literal_secret');
  });
});
