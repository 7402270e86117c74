// The ratelimit step alone: which limits apply to a call, the refusal's shape and event, and that
// it costs nothing without limits. Buckets are in process with an injected clock.
import { describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { configSchema, durationSeconds } from '../../../src/core/config/schema.js';
import type { Identity } from '../../../src/core/identity.js';
import { CallDenied } from '../../../src/server/pipeline/errors.js';
import { RATE_LIMITED, rateLimitStep } from '../../../src/server/pipeline/ratelimit.js';
import { RateLimiter } from '../../../src/server/ratelimit/limiter.js';
import { LimitSet } from '../../../src/server/ratelimit/rules.js';
import { MemoryUpstream, catalogOf, makeCall, recordingBus, recordingNext, stdioConfig, tool } from './support.js';

const gh = new MemoryUpstream('gh', stdioConfig(), { tools: [tool('search'), tool('create')] });
const docs = new MemoryUpstream('docs', stdioConfig(), { tools: [tool('read')] });
const catalog = catalogOf(gh, docs);

function who(client: string, roles: string[] = []): Identity {
  return { client, roles, via: 'bearer', subject: client };
}

async function setup(raw: Record<string, unknown>) {
  const config = configSchema.parse({ version: 1, backends: { gh: stdioConfig(), docs: stdioConfig() }, ...raw }) as GatehouseConfig;
  const { bus, events } = recordingBus();
  const c = { t: 0 };
  const limiter = new RateLimiter({ bus, now: () => c.t });
  limiter.apply(await limiter.prepare(config));
  const step = rateLimitStep({ limiter, catalog, bus });
  const next = recordingNext({ content: [] });
  const call = (backend: MemoryUpstream, native: string, identity = who('alice'), method: 'tools/call' | 'prompts/get' = 'tools/call') =>
    step.handle(makeCall({ method, params: { name: native }, route: { upstream: backend }, identity, exposedName: `${backend.name}_${native}` }), next);
  return { limiter, step, next, events, call, clock: c };
}

async function refusal(p: Promise<unknown>): Promise<CallDenied> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CallDenied);
  return e as CallDenied;
}

describe('durations', () => {
  it('reads seconds and units', () => {
    expect([durationSeconds(60), durationSeconds('500ms'), durationSeconds('60s'), durationSeconds('5m'), durationSeconds('1.5h'), durationSeconds('1d')]).toEqual([60, 0.5, 60, 300, 5_400, 86_400]);
  });

  it('refuses other spellings at config load, naming the fix', () => {
    const r = configSchema.safeParse({ version: 1, gateway: { rateLimits: [{ rate: 1, per: '1 minute' }] }, backends: {} });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/60s, 5m, 1h/);
    for (const per of ['0s', '0', 0, '31d', 40 * 86_400]) {
      const r0 = configSchema.safeParse({ version: 1, backends: { a: { type: 'stdio', command: 'x', rateLimit: { rate: 1, per } } } });
      expect(r0.success, `per: ${per}`).toBe(false);
    }
    const noPer = configSchema.safeParse({ version: 1, gateway: { rateLimits: [{ rate: 1 }] }, backends: {} });
    expect(noPer.success).toBe(false);
    const badRedis = configSchema.safeParse({ version: 1, gateway: { cluster: { redis: 'http://x' } }, backends: {} });
    expect(JSON.stringify(badRedis.error?.issues)).toMatch(/redis:\/\/host:port/);
  });
});

describe('ratelimit step', () => {
  it('refuses the call past the burst with -32029, the limit, its rate and retryAfterSeconds, and emits ratelimit.limited', async () => {
    const { call, events, next } = await setup({ gateway: { rateLimits: [{ match: { client: 'alice' }, rate: 60, per: '60s', burst: 2 }] } });
    await call(gh, 'search');
    await call(gh, 'search');
    const e = await refusal(call(gh, 'search'));
    expect(e.code).toBe(RATE_LIMITED);
    expect(e.message).toBe('Rate limit reached: gateway.rateLimits[0] {client=alice}: 60 per 60s, burst 2. Retry in 1 s.');
    expect(e.data).toEqual({ step: 'ratelimit', limit: 'gateway.rateLimits[0] {client=alice}: 60 per 60s, burst 2', source: 'gateway.rateLimits[0]', rate: 60, perSeconds: 60, burst: 2, retryAfterSeconds: 1 });
    expect(events.filter((x) => x.type === 'ratelimit.limited')).toEqual([expect.objectContaining({ backend: 'gh', tool: 'gh_search', limit: 'gateway.rateLimits[0] {client=alice}: 60 per 60s, burst 2' })]);
    expect(next.calls).toHaveLength(2);
    // Another client is not limited by alice's rule.
    await call(gh, 'search', who('bob'));
    expect(next.calls).toHaveLength(3);
  });

  it('refills with time: retryAfterSeconds is when the next token is there', async () => {
    const { call, clock } = await setup({ gateway: { rateLimits: [{ rate: 1, per: '10s', burst: 1 }] } });
    await call(gh, 'search');
    expect((await refusal(call(gh, 'search'))).data).toMatchObject({ retryAfterSeconds: 10 });
    clock.t += 7_500;
    expect((await refusal(call(gh, 'search'))).data).toMatchObject({ retryAfterSeconds: 3 });
    clock.t += 2_500;
    await expect(call(gh, 'search')).resolves.toEqual({ content: [] });
  });

  it('gives every client its own bucket when the match is a glob', async () => {
    const { call } = await setup({ gateway: { rateLimits: [{ match: { client: '*' }, rate: 1, per: 3600 }] } });
    await call(gh, 'search', who('alice'));
    await call(gh, 'search', who('bob'));
    const e = await refusal(call(gh, 'create', who('alice')));
    expect(e.message).toBe('Rate limit reached: gateway.rateLimits[0] {client=*}: 1 per 3600s, burst 1 for client "alice". Retry in 3600 s.');
  });

  it('matches roles, exposed tool names with globs and backends; a literal match is one shared bucket', async () => {
    const { call } = await setup({
      gateway: {
        rateLimits: [
          { match: { role: 'ops' }, rate: 2, per: '1h' },
          { match: { tool: 'gh_cre*' }, rate: 1, per: '1h' },
          { match: { backend: 'docs', client: 'bob' }, rate: 1, per: '1h' },
        ],
      },
    });
    // role ops: shared by every ops client (2 in all), nobody else.
    await call(docs, 'read', who('carol', ['ops']));
    await call(docs, 'read', who('dave', ['ops', 'dev']));
    expect((await refusal(call(docs, 'read', who('erin', ['ops'])))).data).toMatchObject({ source: 'gateway.rateLimits[0]' });
    await call(docs, 'read', who('frank', ['dev']));
    // tool glob: each matching tool has its own bucket; gh_search does not match.
    await call(gh, 'create', who('frank'));
    expect((await refusal(call(gh, 'create', who('gina')))).message).toMatch(/for tool "gh_create"/);
    await call(gh, 'search', who('gina'));
    await call(gh, 'search', who('gina'));
    // backend + client: both must match.
    await call(docs, 'read', who('bob'));
    expect((await refusal(call(docs, 'read', who('bob')))).data).toMatchObject({ source: 'gateway.rateLimits[2]' });
  });

  it('applies a backend limit and a per-tool limit, shared by all clients; every matching limit spends a token', async () => {
    const { call } = await setup({
      backends: {
        gh: stdioConfig({ rateLimit: { rate: 3, per: '1m' }, toolRateLimits: { create: { rate: 1, per: '1m' } } } as never),
        docs: stdioConfig(),
      },
    });
    await call(gh, 'create', who('alice'));
    const toolHit = await refusal(call(gh, 'create', who('bob')));
    expect(toolHit.data).toMatchObject({ source: 'backends.gh.toolRateLimits.create', retryAfterSeconds: 60 });
    expect(toolHit.message).toBe('Rate limit reached: backends.gh.toolRateLimits.create: 1 per 1m, burst 1. Retry in 60 s.');
    // The refused create spent nothing: the backend bucket holds 2 of 3.
    await call(gh, 'search', who('bob'));
    await call(gh, 'search', who('carol'));
    expect((await refusal(call(gh, 'search', who('dave')))).data).toMatchObject({ source: 'backends.gh.rateLimit' });
    // Other backends are not limited.
    for (let i = 0; i < 5; i++) await call(docs, 'read');
  });

  it('names the first empty limit in order: gateway rules, then the backend, then the tool', async () => {
    const { call } = await setup({
      gateway: { rateLimits: [{ rate: 1, per: '1m' }] },
      backends: { gh: stdioConfig({ rateLimit: { rate: 1, per: '1m' } } as never), docs: stdioConfig() },
    });
    await call(gh, 'search');
    expect((await refusal(call(gh, 'search'))).data).toMatchObject({ source: 'gateway.rateLimits[0]' });
  });

  it('limits tool calls only, and passes everything through without limits', async () => {
    const { call, next } = await setup({ gateway: { rateLimits: [{ rate: 1, per: '1h' }] } });
    await call(gh, 'search');
    await call(gh, 'search', who('alice'), 'prompts/get');
    await call(gh, 'search', who('alice'), 'prompts/get');
    expect(next.calls).toHaveLength(3);
    const none = await setup({});
    expect(none.limiter.active).toBe(false);
    for (let i = 0; i < 100; i++) await none.call(gh, 'search');
    expect(none.next.calls).toHaveLength(100);
  });

  it('keeps buckets across a reload of the same rule, and starts a changed rule afresh', async () => {
    const { limiter, call } = await setup({ gateway: { rateLimits: [{ rate: 1, per: '1h' }] } });
    await call(gh, 'search');
    await refusal(call(gh, 'search'));
    const same = configSchema.parse({ version: 1, gateway: { rateLimits: [{ rate: 1, per: '1h' }] }, backends: {} });
    limiter.apply(await limiter.prepare(same));
    await refusal(call(gh, 'search'));
    const changed = configSchema.parse({ version: 1, gateway: { rateLimits: [{ rate: 2, per: '1h' }] }, backends: {} });
    limiter.apply(await limiter.prepare(changed));
    await call(gh, 'search');
    await call(gh, 'search');
    await refusal(call(gh, 'search'));
    limiter.apply(await limiter.prepare(configSchema.parse({ version: 1, backends: {} })));
    await call(gh, 'search');
  });

  it('bounds bucket keys for long client names', () => {
    const set = new LimitSet(configSchema.parse({ version: 1, gateway: { rateLimits: [{ match: { client: '*' }, rate: 1, per: 1 }] }, backends: {} }));
    const [a] = set.applicable({ client: 'x'.repeat(5_000), roles: [], backend: 'gh', tool: 'gh_search', native: 'search' });
    expect(a!.spec.key.length).toBeLessThan(300);
  });
});
