import { describe, expect, it } from 'vitest';
import { declaredCapabilityGuard, policyStep } from '../../../src/server/pipeline/policy.js';
import { MemoryUpstream, makeCall, recordingNext, stdioConfig } from './support.js';

const upstream = (extra = {}) => new MemoryUpstream('a', stdioConfig(extra), {});

describe('policy step: timeouts', () => {
  const step = policyStep({ defaultTimeoutMs: 60_000 });

  it('uses a tool timeout (native name), else the backend timeout, else the gateway default', async () => {
    const u = upstream({ timeout: 30, toolTimeouts: { slow: 300 } });
    const slow = makeCall({ method: 'tools/call', params: { name: 'slow' }, route: { upstream: u } });
    await step.handle(slow, recordingNext());
    expect(slow.timeoutMs).toBe(300_000);
    const other = makeCall({ method: 'tools/call', params: { name: 'fast' }, route: { upstream: u } });
    await step.handle(other, recordingNext());
    expect(other.timeoutMs).toBe(30_000);
    // toolTimeouts name tools only; a prompt of the same name gets the backend's.
    const prompt = makeCall({ method: 'prompts/get', params: { name: 'slow' }, route: { upstream: u } });
    await step.handle(prompt, recordingNext());
    expect(prompt.timeoutMs).toBe(30_000);
    const plain = makeCall({ method: 'resources/read', params: { uri: 'x://1' }, route: { upstream: upstream() } });
    await step.handle(plain, recordingNext());
    expect(plain.timeoutMs).toBe(60_000);
  });

  it('records its decision and installs the capability guard', async () => {
    const call = makeCall({ method: 'tools/call', params: { name: 'x' }, route: { upstream: upstream() } });
    const next = recordingNext();
    await step.handle(call, next);
    expect(next.calls).toEqual([call]);
    expect(call.decisions).toEqual([{ step: 'policy', verdict: 'allow' }]);
    expect(call.reverseGuards).toContain(declaredCapabilityGuard);
  });
});

describe('policy: requests a backend makes to the client', () => {
  const withCaps = (clientCapabilities?: Record<string, unknown>) => makeCall({ method: 'tools/call', params: {}, clientCapabilities });

  it('answers roots/list with an empty list when the client declared no roots', () => {
    expect(declaredCapabilityGuard({ method: 'roots/list' }, withCaps({ sampling: {} }))).toMatchObject({ verdict: 'answer', result: { roots: [] } });
  });

  it('refuses sampling and elicitation the client did not declare, with a reason', () => {
    const d = declaredCapabilityGuard({ method: 'sampling/createMessage', params: {} }, withCaps({ elicitation: {} }));
    expect(d).toEqual({ step: 'policy', verdict: 'deny', code: -32601, reason: 'The client of this call does not support sampling (sampling/createMessage).' });
    expect(declaredCapabilityGuard({ method: 'elicitation/create' }, withCaps({ sampling: {} }))).toMatchObject({ verdict: 'deny', reason: expect.stringMatching(/elicitation/) });
  });

  it('passes on what the client declared, unknown methods, and calls without declared capabilities', () => {
    expect(declaredCapabilityGuard({ method: 'sampling/createMessage' }, withCaps({ sampling: {} }))).toBeUndefined();
    expect(declaredCapabilityGuard({ method: 'roots/list' }, withCaps({ roots: { listChanged: true } }))).toBeUndefined();
    expect(declaredCapabilityGuard({ method: 'x/custom' }, withCaps({}))).toBeUndefined();
    expect(declaredCapabilityGuard({ method: 'sampling/createMessage' }, withCaps(undefined))).toBeUndefined();
  });
});
