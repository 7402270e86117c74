// file: references: a secret read from a mounted file (a Kubernetes Secret volume), trimmed of one
// trailing newline, redacted like every resolved value, and noticed by a reload when it changes.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { clearFileRefs, fileRefPaths, fileRefsChanged } from '../../../src/core/secrets/file-ref.js';
import { isSecretRef, resolveRecord, resolveValue } from '../../../src/core/secrets/resolve.js';
import { redactString } from '../../../src/core/log/redact.js';
import { clearSecretValues } from '../../../src/core/log/secret-values.js';
import { planReconcile } from '../../../src/server/reconcile.js';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-file-ref-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  clearFileRefs();
  clearSecretValues();
});

const put = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('file: references', () => {
  it('are references, not literals', () => {
    expect(isSecretRef('file:/var/run/secrets/gatehouse/signoz-api-key')).toBe(true);
    expect(isSecretRef('file:')).toBe(false);
  });

  it('read the file and drop exactly one trailing newline (LF or CRLF)', async () => {
    expect(await resolveValue(`file:${put('lf', 'tok-lf-123456\n')}`)).toBe('tok-lf-123456');
    expect(await resolveValue(`file:${put('crlf', 'tok-crlf-123456\r\n')}`)).toBe('tok-crlf-123456');
    expect(await resolveValue(`file:${put('two', 'tok-two-123456\n\n')}`)).toBe('tok-two-123456\n');
    expect(await resolveValue(`file:${put('none', 'tok-none-123456')}`)).toBe('tok-none-123456');
    expect(await resolveRecord({ A: `file:${join(dir, 'lf')}`, B: 'literal' })).toEqual({ A: 'tok-lf-123456', B: 'literal' });
  });

  it('register the value for redaction', async () => {
    const value = await resolveValue(`file:${put('redact', 'correct horse battery\n')}`);
    expect(redactString(`backend said: ${value}`)).not.toContain('correct horse battery');
  });

  it('name the path and the fix when the file is missing, a directory, empty or the path relative', async () => {
    const missing = join(dir, 'nope', 'token');
    await expect(resolveValue(`file:${missing}`)).rejects.toMatchObject({ code: 'secret_missing', message: expect.stringContaining(missing), hint: expect.stringContaining('Mount the secret') });
    const sub = join(dir, 'keys');
    mkdirSync(sub);
    await expect(resolveValue(`file:${sub}`)).rejects.toMatchObject({ code: 'secret_ref_invalid', message: expect.stringContaining(`"${sub}" is a directory`), hint: `A file: reference names one key's file: file:${sub}/<key>.` });
    const empty = put('empty', '\n');
    await expect(resolveValue(`file:${empty}`)).rejects.toMatchObject({ code: 'secret_missing', message: expect.stringContaining(`"${empty}" is empty`) });
    await expect(resolveValue('file:run/secrets/token')).rejects.toMatchObject({ code: 'secret_ref_invalid', message: '"file:run/secrets/token" must name an absolute path.' });
    await expect(resolveValue(`file:${put('big', 'x'.repeat(70_000))}`)).rejects.toMatchObject({ code: 'secret_ref_invalid', message: expect.stringContaining('larger than 64 KiB') });
  });

  it('report a change only for files read before whose content changed', async () => {
    const p = put('rotating', 'first-token-value\n');
    const backend = { type: 'rest', baseUrl: 'http://127.0.0.1:1', tools: [], auth: { type: 'bearer', token: `file:${p}` } };
    expect([...fileRefPaths(backend)]).toEqual([p]);
    expect(fileRefsChanged(backend)).toBe(false); // never read: nothing was built from it
    await resolveValue(`file:${p}`);
    expect(fileRefsChanged(backend)).toBe(false);
    writeFileSync(p, 'first-token-value'); // the same value without its newline
    expect(fileRefsChanged(backend)).toBe(false);
    writeFileSync(p, 'second-token-value\n');
    expect(fileRefsChanged(backend)).toBe(true);
    await resolveValue(`file:${p}`);
    expect(fileRefsChanged(backend)).toBe(false);
    rmSync(p);
    expect(fileRefsChanged(backend)).toBe(true); // resolving again says why it is gone
  });

  it('make a reload restart the backend whose file changed, and only that one', async () => {
    const a = put('a-token', 'alpha-token-1\n');
    const b = put('b-token', 'bravo-token-1\n');
    const rest = (token: string) => ({ type: 'rest' as const, baseUrl: 'http://127.0.0.1:1', tools: [{ name: 't', method: 'GET' as const, path: '/' }], auth: { type: 'bearer' as const, token } });
    const config = { version: 1, backends: { a: rest(`file:${a}`), b: rest(`file:${b}`) } } as GatehouseConfig;
    await resolveValue(`file:${a}`);
    await resolveValue(`file:${b}`);
    expect(planReconcile(config, config)).toMatchObject({ restart: [], unchanged: ['a', 'b'] });
    writeFileSync(b, 'bravo-token-2\n');
    const plan = planReconcile(config, config);
    expect(plan.restart.map(([n]) => n)).toEqual(['b']);
    expect(plan.unchanged).toEqual(['a']);
  });
});
