// Which store `gateway.approvals.store` opens, and how a bad one fails: a postgres:// URL, or a
// secret:/env:/file: reference to one (a real PostgreSQL started here), else a SQLite file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/core/config/schema.js';
import { redactString } from '../../../src/core/log/redact.js';
import { openPlanStore } from '../../../src/server/approvals/open-store.js';
import { PgPlanStore } from '../../../src/server/approvals/pg-store.js';
import { SqlitePlanStore } from '../../../src/server/approvals/sqlite-store.js';
import { Approvals, storeLocation } from '../../../src/server/approvals/service.js';
import { makeTempDir } from '../../helpers/cli.js';
import { startPostgres, type TestPostgres } from '../../helpers/postgres.js';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

const now = new Date();

describe('openPlanStore', () => {
  it('opens PostgreSQL from a file: reference (a mounted secret) and registers the URL and its password for redaction', async () => {
    const dir = makeTempDir();
    const url = (await pg.createDatabase('from_file')).replace('gh@', 'gh:mounted-pw-7731@');
    writeFileSync(join(dir, 'pg-url'), `${url}\n`);
    const s = await openPlanStore('file:pg-url', { baseDir: dir, now });
    try {
      expect(s).toBeInstanceOf(PgPlanStore);
      expect(await (s as PgPlanStore).schemaVersion()).toBe(1);
      expect(redactString(`connecting to ${url}`)).not.toContain('mounted-pw-7731');
      expect(redactString('the password is mounted-pw-7731')).not.toContain('mounted-pw-7731');
    } finally {
      await s.close();
    }
  });

  it('opens PostgreSQL from an env: reference, and a SQLite file for anything else', async () => {
    process.env.GH_OPEN_STORE_URL = await pg.createDatabase('from_env');
    const s = await openPlanStore('env:GH_OPEN_STORE_URL', { now });
    await s.close();
    expect(s).toBeInstanceOf(PgPlanStore);
    delete process.env.GH_OPEN_STORE_URL;
    const file = join(makeTempDir(), 'plans.db');
    const q = await openPlanStore(storeLocation(file, undefined, undefined), { now });
    await q.close();
    expect(q).toBeInstanceOf(SqlitePlanStore);
    expect(storeLocation('secret:pg-url', '/state', '/cfg')).toBe('secret:pg-url');
    expect(storeLocation('plans.db', '/state', '/cfg')).toBe('/cfg/plans.db');
  });

  it('refuses, naming the fix, a reference that is not set, that does not hold a postgres:// URL, or a server that is not there', async () => {
    await expect(openPlanStore('env:GH_NOT_SET_ANYWHERE', { now })).rejects.toThrow(/Environment variable GH_NOT_SET_ANYWHERE is not set/);
    const dir = makeTempDir();
    writeFileSync(join(dir, 'wrong'), 'mysql://x@y/z');
    await expect(openPlanStore('file:wrong', { baseDir: dir, now })).rejects.toThrow(/does not resolve to a postgres:\/\/ URL/);
    await expect(openPlanStore('file:missing', { baseDir: dir, now })).rejects.toThrow(/cannot be read \(ENOENT\)/);
    await expect(openPlanStore(`postgres://gh@127.0.0.1:${pg.port}/absent_db`, { now })).rejects.toThrow(/Cannot open the PostgreSQL plan store at postgres:\/\/gh@127\.0\.0\.1:\d+\/absent_db: .*absent_db/);
  });

  it('a guarded call against a store that cannot open fails with that reason, and a later call retries the store', async () => {
    const a = new Approvals({ storeFile: 'env:GH_LATE_URL', now: () => new Date() });
    const input = { backend: 'k8s', tool: 'scale', exposedName: 'k8s_scale', arguments: { replicas: 1 } };
    await expect(a.createPlan(input)).rejects.toMatchObject({ kind: 'store', message: expect.stringMatching(/GH_LATE_URL is not set/) });
    process.env.GH_LATE_URL = await pg.createDatabase('late');
    try {
      const p = await a.createPlan(input);
      expect((await a.get(p.id))!.state).toBe('pending');
    } finally {
      delete process.env.GH_LATE_URL;
      await a.close();
    }
  });
});

describe('gateway.approvals.store in the config', () => {
  it('refuses a postgres:// URL with a literal password, and accepts references and password-less URLs', () => {
    const parse = (store: string) => configSchema.safeParse({ version: 1, gateway: { approvals: { store } }, backends: {} });
    const bad = parse('postgres://gatehouse:hunter22@db:5432/plans');
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toMatch(/must not be written in the config; store it and reference it/);
    for (const ok of ['secret:plans-db', 'env:PLANS_URL', 'file:/run/secrets/plans', 'postgres://gatehouse@db/plans', './approvals.db']) expect(parse(ok).success, ok).toBe(true);
  });
});
