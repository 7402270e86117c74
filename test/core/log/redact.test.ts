import { describe, expect, it } from 'vitest';
import { REDACTED, isSensitiveKey, redact, redactString } from '../../../src/core/log/redact.js';

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('redactString', () => {
  it.each([
    ['Authorization: Bearer abc.DEF-ghi_jkl~mno+pqr/stu=', 'abc.DEF-ghi_jkl~mno+pqr/stu'],
    ['got 401 for bearer s3cr3tT0kenValue', 's3cr3tT0kenValue'],
    ['Authorization: Basic dXNlcjpodW50ZXIy', 'dXNlcjpodW50ZXIy'],
    ['CF-Access-Client-Secret: 1b2c3d4e5f60718293a4b5c6d7e8f9010', '1b2c3d4e5f60718293a4b5c6d7e8f9010'],
    ['cf-access-client-secret=short-but-named', 'short-but-named'],
    ['password=hunter22', 'hunter22'],
    ['{"apiKey":"k-12345-abcde"}', 'k-12345-abcde'],
    ["{'client_secret': 'shh-its-secret'}", 'shh-its-secret'],
    ['GET https://api.example.com/v1?access_token=tok_live_abc123&x=1', 'tok_live_abc123'],
    ['X-API-Key: zzz-top-secret', 'zzz-top-secret'],
    ['connect https://admin:pa55w0rd@db.example.com/x', 'pa55w0rd'],
    [`token in text ${JWT} here`, JWT],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['key sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz'],
    ['xoxb-1234567890-abcdefghij', 'xoxb-1234567890-abcdefghij'],
    ['aws AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
    ['hmac 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['opaque wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['opaque Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdISUpL'],
  ])('hides the secret in %j', (input, secret) => {
    const out = redactString(input);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it.each([
    'calling signoz_get_service_overview_latency_metrics_v2 on backend signoz',
    '/usr/lib/node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    'session 3f2b8c1e-5d4a-4e7b-9c2d-1a0b9c8d7e6f opened',
    'listening on http://127.0.0.1:7420/mcp at 2026-07-28T12:00:00.000Z',
    'ECONNREFUSED 127.0.0.1:9',
    'tokens used: 1234',
    'prompt getTinyImageWithAnnotationsAndResourceLinks',
    'short',
  ])('leaves ordinary text alone: %j', (input) => {
    expect(redactString(input)).toBe(input);
  });

  it('keeps the words around a secret', () => {
    expect(redactString('upstream said: Authorization: Bearer abcdefghijkl (401)')).toBe('upstream said: Authorization: [REDACTED] [REDACTED] (401)');
    expect(redactString('password=hunter22 and more')).toBe(`password=${REDACTED} and more`);
  });

  it('stays fast on long hostile input', () => {
    const input = `${'a'.repeat(200_000)}token`;
    const started = performance.now();
    redactString(input);
    redactString('x-'.repeat(50_000) + 'password');
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('redact', () => {
  it('hides values under sensitive keys at any depth, and scans other strings', () => {
    const input = {
      headers: { Authorization: 'whatever', 'x-api-key': 'k', 'CF-Access-Client-Secret': 's', 'CF-Access-Client-Id': 'id.access' },
      nested: [{ password: 'p' }, { note: 'Bearer abcdefghijklmnop' }],
      apiKey: 'k2',
      refresh_token: 'r',
      maxTokens: 100,
      count: 3,
      ok: true,
      nothing: null,
    };
    const out = redact(input);
    expect(out.headers.Authorization).toBe(REDACTED);
    expect(out.headers['x-api-key']).toBe(REDACTED);
    expect(out.headers['CF-Access-Client-Secret']).toBe(REDACTED);
    expect(out.headers['CF-Access-Client-Id']).toBe('id.access');
    expect((out.nested[0] as { password: string }).password).toBe(REDACTED);
    expect((out.nested[1] as { note: string }).note).toBe(`Bearer ${REDACTED}`);
    expect(out).toMatchObject({ apiKey: REDACTED, refresh_token: REDACTED, maxTokens: 100, count: 3, ok: true, nothing: null });
    // The input is not touched.
    expect(input.headers.Authorization).toBe('whatever');
  });

  it('survives cycles and errors', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redact(a)).toEqual({ name: 'a', self: '[Circular]' });
    expect(redact(new Error('token=abcdef123'))).toEqual({ name: 'Error', message: `token=${REDACTED}` });
  });

  it('knows which keys are sensitive', () => {
    for (const k of ['token', 'accessToken', 'client_secret', 'PASSWORD', 'passwd', 'authorization', 'apikey', 'api-key', 'Cookie', 'privateKey']) expect(isSensitiveKey(k)).toBe(true);
    for (const k of ['name', 'backend', 'tools', 'maxTokens', 'requestBytes', 'sessionId']) expect(isSensitiveKey(k)).toBe(false);
  });
});

describe('redactString keeps words next to "token"', () => {
  it.each([
    'No Cloudflare Access token named "homelabb"',
    'token expired for backend homelab',
    'Digest authentication is not supported',
    'No Cloudflare Access token configured for backend "signoz"',
    // A path ending in "-token" is not a flag: the word after it stays.
    'file:/run/secrets/gatehouse/api-token does not exist here',
    'cannot read /etc/gatehouse/cf-access-token (permission denied)',
  ])('leaves %j alone', (input) => {
    expect(redactString(input)).toBe(input);
  });

  it('still hides credential-shaped values after a scheme word or a flag', () => {
    expect(redactString('Token 9f8e7d6c5b4a3210')).toBe(`Token ${REDACTED}`);
    expect(redactString('run --api-key sk123456789 --verbose')).toBe(`run --api-key ${REDACTED} --verbose`);
    expect(redactString('run --token=abc12345')).not.toContain('abc12345');
    expect(redactString('--token abc12345 at the start')).toBe(`--token ${REDACTED} at the start`);
  });
});
