import { describe, expect, it } from 'vitest';
import { CallDenied } from '../../../src/server/pipeline/index.js';
import { MAX_ARGUMENT_DEPTH, exceedsDepth, limitsStep } from '../../../src/server/pipeline/limits.js';
import { makeCall, recordingNext } from './support.js';

function nested(levels: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

describe('exceedsDepth', () => {
  it('counts objects and arrays, and stops at the limit', () => {
    expect(exceedsDepth('x', 0)).toBe(false);
    expect(exceedsDepth({}, 0)).toBe(true);
    expect(exceedsDepth(nested(64), 64)).toBe(false);
    expect(exceedsDepth(nested(65), 64)).toBe(true);
    expect(exceedsDepth({ shallow: 1, deep: nested(70) }, 64)).toBe(true);
    expect(exceedsDepth([1, 2, [3, [4]]], 3)).toBe(false);
    expect(exceedsDepth([1, 2, [3, [4]]], 2)).toBe(true);
  });

  it('survives nesting that overflows JSON.stringify', () => {
    const deep = nested(20_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(exceedsDepth(deep, MAX_ARGUMENT_DEPTH)).toBe(true);
  });
});

describe('limits step', () => {
  const step = limitsStep();

  it('passes arguments nested up to the limit', async () => {
    const next = recordingNext();
    const call = makeCall({ method: 'tools/call', params: { name: 'a_echo', arguments: { x: nested(MAX_ARGUMENT_DEPTH - 1) } } });
    await expect(step.handle(call, next)).resolves.toEqual({ ok: true });
    expect(next.calls).toHaveLength(1);
  });

  it('refuses deeper arguments with -32602 naming the limit, without calling next', async () => {
    const next = recordingNext();
    const call = makeCall({ method: 'tools/call', params: { name: 'a_echo', arguments: { x: nested(5_000) } } });
    const err = await step.handle(call, next).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CallDenied);
    const denied = err as CallDenied;
    expect(denied.code).toBe(-32602);
    expect(denied.message).toMatch(/tools\/call "a_echo" are nested more than 64 levels deep/);
    expect(denied.data).toMatchObject({ step: 'limits', limit: 64 });
    expect(next.calls).toHaveLength(0);
    expect(call.decisions).toEqual([expect.objectContaining({ step: 'limits', verdict: 'deny', code: -32602, reason: denied.message })]);
  });

  it('bounds the forwarded _meta too', async () => {
    const next = recordingNext();
    const call = makeCall({ method: 'prompts/get', params: { name: 'p' }, meta: { trace: nested(100) } });
    await expect(step.handle(call, next)).rejects.toThrow(/nested more than 64 levels/);
    expect(next.calls).toHaveLength(0);
  });
});
