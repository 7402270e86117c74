// Rate limits on reload and on bad input: limit changes are live settings (a backend whose only
// change is its limit is not restarted), and a Redis reference that does not resolve fails start
// with a message naming it, or fails a reload while the last good limits keep applying.
import { describe, expect, it } from 'vitest';
import { configSchema, type GatehouseConfig } from '../../../src/core/config/schema.js';
import { UserError } from '../../../src/core/errors.js';
import { EventBus } from '../../../src/core/events.js';
import { Gateway } from '../../../src/server/gateway.js';
import { planReconcile, summarize } from '../../../src/server/reconcile.js';
import { RateLimiter } from '../../../src/server/ratelimit/limiter.js';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { writeConfig } from '../helpers.js';

const cfg = (raw: Record<string, unknown>): GatehouseConfig => configSchema.parse({ version: 1, backends: {}, ...raw });
const stdio = { type: 'stdio', command: 'node', args: ['x.js'] };
const facts = { client: 'c', roles: [], backend: 'a', tool: 'a_t', native: 't' };

describe('rate limits on reload', () => {
  it('applies gateway limits, the cluster block and backend limits live, without restarting the backend', () => {
    const before = cfg({ backends: { a: stdio, b: stdio } });
    const after = cfg({
      gateway: { rateLimits: [{ rate: 1, per: 60 }], cluster: { redis: 'redis://127.0.0.1:1' } },
      backends: { a: { ...stdio, rateLimit: { rate: 5, per: '1m' }, toolRateLimits: { t: { rate: 1, per: '1s' } } }, b: { ...stdio, args: ['y.js'] } },
    });
    const summary = summarize(planReconcile(before, after));
    expect(summary).toMatchObject({ restarted: ['b'], unchanged: ['a'], restartNeeded: [] });
    expect(summary.settings).toEqual(['gateway.rateLimits', 'gateway.cluster', 'backends.a.rateLimit', 'backends.a.toolRateLimits']);
  });

  it('keeps the last good limits when a new Redis reference does not resolve', async () => {
    const limiter = new RateLimiter({ bus: new EventBus() });
    limiter.apply(await limiter.prepare(cfg({ gateway: { rateLimits: [{ rate: 1, per: '1h' }] } })));
    const bad = cfg({ gateway: { rateLimits: [{ rate: 100, per: '1h' }], cluster: { redis: 'env:GATEHOUSE_TEST_NO_SUCH_VAR' } } });
    const e = await limiter.prepare(bad).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UserError);
    expect((e as UserError).message).toBe('Environment variable GATEHOUSE_TEST_NO_SUCH_VAR is not set (referenced as "env:GATEHOUSE_TEST_NO_SUCH_VAR").');
    expect(await limiter.check(facts)).toEqual({ ok: true });
    expect(await limiter.check(facts)).toMatchObject({ ok: false, kind: 'limited' });
    expect(limiter.storeKind).toBe('memory');
    await limiter.close();
  });

  it('refuses a reference that resolves to something other than a Redis URL, without showing its value', async () => {
    process.env.GATEHOUSE_TEST_NOT_REDIS = 'http://user:hunter2-secret@10.0.0.1';
    try {
      const limiter = new RateLimiter({ bus: new EventBus() });
      const e = (await limiter.prepare(cfg({ gateway: { rateLimits: [{ rate: 1, per: 1 }], cluster: { redis: 'env:GATEHOUSE_TEST_NOT_REDIS' } } })).catch((err: unknown) => err)) as UserError;
      expect(e).toBeInstanceOf(UserError);
      expect(e.message).toBe('gateway.cluster.redis is not a Redis URL (env:GATEHOUSE_TEST_NOT_REDIS resolved to something else).');
      expect(e.hint).toMatch(/redis:\/\/host:port/);
      expect(`${e.message} ${e.hint}`).not.toContain('hunter2');
    } finally {
      delete process.env.GATEHOUSE_TEST_NOT_REDIS;
    }
  });

  it('a gateway whose Redis reference does not resolve does not start, and says which variable is missing', async () => {
    const gateway = new Gateway({
      config: cfg({ gateway: { rateLimits: [{ rate: 1, per: 1 }], cluster: { redis: 'env:GATEHOUSE_TEST_NO_SUCH_VAR' } } }),
      host: '127.0.0.1',
      port: 0,
    });
    await expect(gateway.start()).rejects.toThrow(/Environment variable GATEHOUSE_TEST_NO_SUCH_VAR is not set/);
    expect(gateway.url).toBeUndefined();
    await gateway.stop('test', 100);
  });

  it('`gatehouse serve` with such a reference exits non-zero with the fix', async () => {
    const dir = makeTempDir('gatehouse-ratelimit-serve-');
    const file = writeConfig(dir, {}, { rateLimits: [{ rate: 1, per: 1 }], cluster: { redis: 'env:GATEHOUSE_TEST_NO_SUCH_VAR' } } as never);
    const r = await runCli(['serve', '--config', file, '--port', '0', '--no-tui'], { configDir: dir, env: { GATEHOUSE_TEST_NO_SUCH_VAR: undefined } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Environment variable GATEHOUSE_TEST_NO_SUCH_VAR is not set');
    expect(r.stderr).toMatch(/Export GATEHOUSE_TEST_NO_SUCH_VAR/);
  });
});

describe('config validate warnings for rate-limit sharing', () => {
  it('warns about a password in the Redis URL and about redisFailure without Redis', async () => {
    const { lintConfig } = await import('../../../src/core/config/lint.js');
    const withPassword = lintConfig(cfg({ gateway: { cluster: { redis: 'redis://:hunter2@10.0.0.5:6379', secret: 'env:CLUSTER_KEY' } } }));
    expect(withPassword).toEqual([{ path: ['gateway', 'cluster', 'redis'], message: expect.stringMatching(/carries a password.*secret:NAME/) }]);
    expect(withPassword[0]!.message).not.toContain('hunter2');
    expect(lintConfig(cfg({ gateway: { cluster: { redis: 'env:REDIS_URL', redisFailure: 'closed', secret: 'env:CLUSTER_KEY' } } }))).toEqual([]);
    // Redis without the cluster key: sessions cannot move between replicas (issue 12).
    expect(lintConfig(cfg({ gateway: { cluster: { redis: 'env:REDIS_URL' } } }))).toEqual([{ path: ['gateway', 'cluster'], message: expect.stringMatching(/without gateway\.cluster\.secret: 2025 sessions stay on the replica/) }]);
    expect(lintConfig(cfg({ gateway: { cluster: { redisFailure: 'closed' } } }))).toEqual([{ path: ['gateway', 'cluster', 'redisFailure'], message: expect.stringMatching(/no effect without gateway\.cluster\.redis/) }]);
  });
});
