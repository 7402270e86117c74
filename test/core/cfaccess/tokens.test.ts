import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cfAccessHeaders, checkTokenShape, listTokens, maskClientId, normalizeTeam, redactHeaders, removeToken, saveToken } from '../../../src/core/cfaccess/index.js';
import { UserError } from '../../../src/core/errors.js';
import { SecretManager } from '../../../src/core/secrets/manager.js';
import { resolveValue, type SecretStore } from '../../../src/core/secrets/resolve.js';

const ID = '0123456789abcdef0123456789abcdef.access';
const SECRET = 'a'.repeat(64);
const dirs: string[] = [];
function manager(): SecretManager {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-tokens-'));
  dirs.push(dir);
  return new SecretManager({ dir, env: { GATEHOUSE_SECRET_STORE: 'file' } });
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('token shapes', () => {
  it('accepts Cloudflare shapes and warns on others', () => {
    expect(checkTokenShape({ clientId: ID, clientSecret: SECRET })).toEqual([]);
    expect(checkTokenShape({ clientId: 'abc', clientSecret: SECRET })[0]).toMatch(/does not end in "\.access"/);
    expect(checkTokenShape({ clientId: ID, clientSecret: 'short' })[0]).toMatch(/not 64 hex characters \(it has 5 characters\)/);
    expect(checkTokenShape({ clientId: SECRET, clientSecret: ID })).toEqual([expect.stringMatching(/look swapped/)]);
  });

  it('normalises team domains', () => {
    expect(normalizeTeam('myteam')).toBe('myteam.cloudflareaccess.com');
    expect(normalizeTeam('https://MyTeam.cloudflareaccess.com/cdn-cgi/access/certs')).toBe('myteam.cloudflareaccess.com');
    expect(() => normalizeTeam('not a team')).toThrow(UserError);
  });

  it('masks client ids', () => {
    expect(maskClientId(ID)).toBe('012345….access');
    expect(maskClientId('abc')).toBe('…');
  });
});

describe('stored tokens and cfAccessHeaders', () => {
  it('saves, reads back as headers, rotates in place, removes', async () => {
    const m = manager();
    await saveToken(m, 'homelab', { clientId: ` ${ID}\n`, clientSecret: `${SECRET}\n` }, { mode: 'add', team: 'myteam' });
    expect(await cfAccessHeaders('homelab', m)).toEqual({ 'CF-Access-Client-Id': ID, 'CF-Access-Client-Secret': SECRET });
    await expect(saveToken(m, 'homelab', { clientId: ID, clientSecret: SECRET }, { mode: 'add' })).rejects.toMatchObject({ code: 'token_exists' });

    const first = (await listTokens(m))[0]!;
    await new Promise((r) => setTimeout(r, 5));
    const NEW = 'b'.repeat(64);
    await saveToken(m, 'homelab', { clientId: ID.replace('0123', '9999'), clientSecret: NEW }, { mode: 'rotate' });
    const [after] = await listTokens(m);
    expect(after).toMatchObject({ name: 'homelab', store: 'file', team: 'myteam.cloudflareaccess.com', clientIdHint: '999945….access', createdAt: first.createdAt });
    expect(after!.updatedAt > first.updatedAt).toBe(true);
    expect((await cfAccessHeaders('homelab', m))['CF-Access-Client-Secret']).toBe(NEW);

    // The index never holds the values; the file store is 0600.
    const index = readFileSync(m.indexPath, 'utf8');
    expect(index).not.toContain(NEW);
    expect(index).not.toContain(ID.replace('0123', '9999'));
    expect(statSync(join(m.dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(statSync(m.indexPath).mode & 0o777).toBe(0o600);

    await removeToken(m, 'homelab');
    await expect(cfAccessHeaders('homelab', m)).rejects.toMatchObject({ code: 'cf_access_token_missing' });
    await expect(removeToken(m, 'homelab')).rejects.toMatchObject({ code: 'token_unknown' });
    await expect(saveToken(m, 'nope', { clientId: ID, clientSecret: SECRET }, { mode: 'rotate' })).rejects.toMatchObject({ code: 'token_unknown' });
  });

  it('reads env:PREFIX tokens from the environment, and names what is missing', async () => {
    expect(await cfAccessHeaders('env:HOMELAB', undefined, { HOMELAB_CLIENT_ID: ID, HOMELAB_CLIENT_SECRET: SECRET })).toEqual({ 'CF-Access-Client-Id': ID, 'CF-Access-Client-Secret': SECRET });
    const err = await cfAccessHeaders('env:HOMELAB', undefined, { HOMELAB_CLIENT_ID: ID }).catch((e: UserError) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe('Cloudflare Access token "env:HOMELAB" needs HOMELAB_CLIENT_SECRET in the environment.');
  });

  it('works with any SecretStore, and says when the stored value is damaged without echoing it', async () => {
    const values = new Map([['cf-access/x', 'not json secretvalue']]);
    const store: SecretStore = { kind: 'file', get: async (n) => values.get(n), set: async () => {}, remove: async () => true, list: async () => [] };
    const err = (await cfAccessHeaders('x', store).catch((e) => e)) as UserError;
    expect(err.code).toBe('cf_access_token_invalid');
    expect(JSON.stringify(err.toJSON())).not.toContain('secretvalue');
  });

  it('secret: references cannot read a token', async () => {
    const m = manager();
    await saveToken(m, 'homelab', { clientId: ID, clientSecret: SECRET }, { mode: 'add' });
    await expect(resolveValue('secret:cf-access/homelab', { store: m })).rejects.toMatchObject({ code: 'secret_ref_reserved' });
  });

  it('redactHeaders hides credentials', () => {
    expect(redactHeaders({ 'CF-Access-Client-Secret': SECRET, 'CF-Access-Client-Id': ID, Authorization: 'Bearer x', accept: 'a' })).toEqual({
      'CF-Access-Client-Secret': '[redacted]',
      'CF-Access-Client-Id': '[redacted]',
      Authorization: '[redacted]',
      accept: 'a',
    });
  });
});
