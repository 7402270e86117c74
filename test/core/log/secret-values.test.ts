import { afterEach, describe, expect, it } from 'vitest';
import { REDACTED, redact, redactString } from '../../../src/core/log/redact.js';
import { clearSecretValues, knownSecretCount, registerSecretValue } from '../../../src/core/log/secret-values.js';
import { resolveValue } from '../../../src/core/secrets/resolve.js';

afterEach(() => clearSecretValues());

describe('known secret values', () => {
  it('redacts a resolved value whatever its shape, in any text', async () => {
    const v = await resolveValue('env:HARDENING_PW', { env: { HARDENING_PW: 'correct horse battery' } });
    expect(v).toBe('correct horse battery');
    expect(redactString('login failed for correct horse battery!')).toBe(`login failed for ${REDACTED}!`);
    expect(redact({ deep: [{ msg: 'x correct horse battery y' }] })).toEqual({ deep: [{ msg: `x ${REDACTED} y` }] });
  });

  it('does not register literals or short values, and stays bounded', async () => {
    await resolveValue('production');
    registerSecretValue('abc');
    expect(redactString('mode production')).toBe('mode production');
    expect(knownSecretCount()).toBe(0);
    for (let i = 0; i < 2000; i++) registerSecretValue(`value-number-${i}`);
    expect(knownSecretCount()).toBeLessThanOrEqual(512);
    expect(redactString('value-number-1999')).toBe(REDACTED);
  });

  it('registers the credential of a header value without its scheme', () => {
    registerSecretValue('Bearer opaque-lowercase-credential');
    expect(redactString('echo: opaque-lowercase-credential')).toBe(`echo: ${REDACTED}`);
  });
});
