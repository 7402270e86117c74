import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/core/errors.js';
import { EnvSecretStore } from '../../../src/core/secrets/env-store.js';
import { FileSecretStore } from '../../../src/core/secrets/file-store.js';
import { classifyKeychainError, keychainFailureOf } from '../../../src/core/secrets/keychain.js';
import { SecretManager } from '../../../src/core/secrets/manager.js';
import { resolveRecord, resolveValue, type SecretStore } from '../../../src/core/secrets/resolve.js';
import { readSecretFromStream } from '../../../src/core/secrets/stdin.js';
import { Readable } from 'node:stream';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gatehouse-secrets-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An in-memory keychain that can be switched to fail like a locked Secret Service. */
function fakeKeychain() {
  const values = new Map<string, string>();
  let failure: string | undefined;
  const check = () => {
    if (failure) throw classifyKeychainError(new Error(failure));
  };
  const store: SecretStore = {
    kind: 'keychain',
    get: async (n) => (check(), values.get(n)),
    set: async (n, v) => {
      check();
      values.set(n, v);
    },
    remove: async (n) => (check(), values.delete(n)),
    list: async () => [...values.keys()].map((name) => ({ name })),
  };
  return { store, values, fail: (m: string | undefined) => (failure = m) };
}

describe('SecretManager', () => {
  it('routes by the index, records no values, and moves a secret between stores', async () => {
    const dir = tempDir();
    const kc = fakeKeychain();
    const m = new SecretManager({ dir, env: {}, keychain: kc.store });
    expect(await m.defaultStore()).toBe('keychain');
    const first = await m.put('a', 'value-a');
    expect(first).toMatchObject({ replaced: false, warnings: [], info: { name: 'a', store: 'keychain', kind: 'secret' } });
    expect(kc.values.get('a')).toBe('value-a');
    expect(await m.get('a')).toBe('value-a');
    expect(await m.get('missing')).toBeUndefined();

    const moved = await m.put('a', 'value-a2', { store: 'file' });
    expect(moved.replaced).toBe(true);
    expect(moved.info.createdAt).toBe(first.info.createdAt);
    expect(kc.values.has('a')).toBe(false);
    expect(await m.get('a')).toBe('value-a2');
    expect(readFileSync(m.indexPath, 'utf8')).not.toContain('value-a');
    expect(statSync(m.indexPath).mode & 0o777).toBe(0o600);
    expect(await m.list()).toEqual([expect.objectContaining({ name: 'a', store: 'file' })]);
    expect(await m.remove('a')).toBe(true);
    expect(await m.remove('a')).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a keychain failure leaves the index and the other store untouched', async () => {
    const dir = tempDir();
    const kc = fakeKeychain();
    const m = new SecretManager({ dir, env: {}, keychain: kc.store });
    await m.put('kept', 'v1', { store: 'file' });
    await m.put('kc', 'v2');
    const index = readFileSync(m.indexPath, 'utf8');
    kc.fail('Couldn\'t access platform storage: Secret Service: unlock prompt was dismissed');
    await expect(m.put('new', 'v3')).rejects.toMatchObject({ code: 'keychain_unavailable', details: { reason: 'locked' } });
    await expect(m.remove('kc')).rejects.toMatchObject({ code: 'keychain_unavailable' });
    await expect(m.put('kept', 'v4', { store: 'keychain' })).rejects.toMatchObject({ code: 'keychain_unavailable' });
    expect(readFileSync(m.indexPath, 'utf8')).toBe(index);
    expect(await m.get('kept')).toBe('v1');
  });

  it('moving away from an unreachable keychain warns that the old copy stays', async () => {
    const kc = fakeKeychain();
    const m = new SecretManager({ dir: tempDir(), env: {}, keychain: kc.store });
    await m.put('x', 'v1');
    kc.fail('Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead');
    const r = await m.put('x', 'v2', { store: 'file' });
    expect(r.warnings).toEqual([expect.stringMatching(/^The old copy of "x" in the keychain store could not be removed \(The OS keychain is unreachable: there is no D-Bus session bus/)]);
    expect(await m.get('x')).toBe('v2');
  });

  it('takes the default store from GATEHOUSE_SECRET_STORE or the index, and rejects unknown ones', async () => {
    const dir = tempDir();
    expect(await new SecretManager({ dir, env: { GATEHOUSE_SECRET_STORE: 'file' } }).defaultStore()).toBe('file');
    const m = new SecretManager({ dir, env: {} });
    await m.setDefaultStore('file');
    expect(await m.defaultStore()).toBe('file');
    await expect(new SecretManager({ dir, env: { GATEHOUSE_SECRET_STORE: 'vault' } }).defaultStore()).rejects.toMatchObject({ code: 'secret_store_unknown', exit: 2 });
  });

  it('refuses empty values and reports a damaged index without values', async () => {
    const m = new SecretManager({ dir: tempDir(), env: { GATEHOUSE_SECRET_STORE: 'file' } });
    await expect(m.put('x', '')).rejects.toMatchObject({ code: 'secret_empty' });
    writeFileSync(m.indexPath, '{"entries": ');
    await expect(m.list()).rejects.toMatchObject({ code: 'secret_index_invalid' });
  });

  it('is what resolveValue uses for secret: references', async () => {
    const m = new SecretManager({ dir: tempDir(), env: { GATEHOUSE_SECRET_STORE: 'file' } });
    await m.put('tok', 'abc');
    expect(await resolveRecord({ Authorization: 'secret:tok', X: 'env:GH_X', Y: 'plain' }, { store: m, env: { GH_X: 'x' } })).toEqual({ Authorization: 'abc', X: 'x', Y: 'plain' });
    const err = (await resolveValue('secret:nope', { store: m }).catch((e) => e)) as UserError;
    expect(err.message).toBe('Secret "nope" is not stored (referenced as "secret:nope").');
  });
});

describe('FileSecretStore', () => {
  it('writes one 0600 JSON file atomically and never quotes content in errors', async () => {
    const dir = tempDir();
    const f = new FileSecretStore(dir);
    await f.set('a', 'hunter2');
    expect(statSync(f.path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(f.path, 'utf8')).secrets.a.value).toBe('hunter2');
    expect((await f.list()).map((e) => e.name)).toEqual(['a']);
    writeFileSync(f.path, '{"secrets": {"a": {"value": "hunter2"');
    const err = (await f.get('a').catch((e) => e)) as UserError;
    expect(err.code).toBe('secret_file_invalid');
    expect(JSON.stringify(err.toJSON())).not.toContain('hunter2');
  });
});

describe('EnvSecretStore', () => {
  it('reads and refuses to write', async () => {
    const e = new EnvSecretStore({ A: '1' });
    expect(await e.get('A')).toBe('1');
    await expect(e.set('A')).rejects.toMatchObject({ code: 'secret_store_read_only' });
  });
});

describe('keychain error classification', () => {
  it.each([
    ['Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead', 'no-bus'],
    ['Platform failure: DBus error: Failed to connect to socket /tmp/x: No such file or directory', 'no-bus'],
    ['Platform failure: DBus error: The name org.freedesktop.secrets was not provided by any .service files', 'no-provider'],
    ["Couldn't access platform storage: Secret Service: unlock prompt was dismissed", 'locked'],
    ['zbus error: org.freedesktop.Secret.Error.IsLocked: Cannot get secret of a locked object', 'locked'],
    ["Couldn't access platform storage: Secret Service: no result found", 'no-collection'],
    ['something else entirely', 'unknown'],
  ])('%s → %s', (message, reason) => {
    expect(keychainFailureOf(message)).toBe(reason);
    const err = classifyKeychainError(new Error(message));
    expect(err).toBeInstanceOf(UserError);
    expect(err.exit).toBe(1);
    expect(err.hint).toContain('--store file');
    expect(err.hint).toContain('env:NAME');
  });
});

describe('readSecretFromStream', () => {
  it('drops one trailing newline only', async () => {
    expect(await readSecretFromStream(Readable.from(['ab', 'c\r\n']))).toBe('abc');
    expect(await readSecretFromStream(Readable.from(['abc\n\n']))).toBe('abc\n');
    await expect(readSecretFromStream(Readable.from([Buffer.alloc(20)]), 10)).rejects.toThrow(/larger than 10 bytes/);
  });
});
