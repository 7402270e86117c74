// The forward step and the held-call era bridge, against an in-memory upstream that plays a
// backend's part on cue (progress, logs, a sampling request mid-call). The same paths run against
// real backends and real clients of both eras in test/server/era-matrix-*.test.ts.
import { ProtocolError, SERVER_INFO_META_KEY } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { HeldCalls } from '../../../src/server/era/held-call.js';
import { forwardStep } from '../../../src/server/pipeline/forward.js';
import { declaredCapabilityGuard } from '../../../src/server/pipeline/policy.js';
import type { CallContext, Result } from '../../../src/server/pipeline/index.js';
import { MemoryUpstream, RecordingSinks, makeCall, recordingNext, stdioConfig } from './support.js';

const held = new HeldCalls();
afterEach(() => held.dispose());

function routed(upstream: MemoryUpstream, fields: Partial<CallContext> = {}): CallContext & { sinks: RecordingSinks } {
  const call = makeCall({
    method: 'tools/call',
    params: { name: 'ask', arguments: {} },
    callId: 'c1',
    identity: { client: 'cursor', roles: [], via: 'none' },
    route: { upstream },
    timeoutMs: 5_000,
    ...fields,
  });
  call.reverseGuards.push(declaredCapabilityGuard);
  return call as CallContext & { sinks: RecordingSinks };
}

const step = forwardStep({ held });
const forward = (call: CallContext) => step.handle(call, recordingNext());

describe('forward step, 2025 client', () => {
  it('relays progress and logs before the result, and forwards the client _meta without its progress token', async () => {
    const u = new MemoryUpstream('alpha', stdioConfig(), {}, async (_m, _p, ctx) => {
      void ctx.onProgress?.({ progress: 1, total: 2 });
      void ctx.onNotification?.({ method: 'notifications/message', params: { level: 'info', data: 'working' } });
      void ctx.onProgress?.({ progress: 2, total: 2 });
      return { content: [{ type: 'text', text: 'done' }], _meta: { [SERVER_INFO_META_KEY]: { name: 'alpha' }, keep: 1 } };
    });
    const call = routed(u, { meta: { progressToken: 'p1', traceparent: '00-abc' } });
    const result = await forward(call);
    expect(call.sinks.sent).toEqual([
      { kind: 'notify', message: { method: 'notifications/progress', params: { progressToken: 'p1', progress: 1, total: 2 } } },
      { kind: 'log', message: { level: 'info', data: 'working' } },
      { kind: 'notify', message: { method: 'notifications/progress', params: { progressToken: 'p1', progress: 2, total: 2 } } },
    ]);
    // The backend's own identity is dropped from the result; the rest of its _meta stays.
    expect(result).toEqual({ content: [{ type: 'text', text: 'done' }], _meta: { keep: 1 } });
    const sent = u.requests[0]!;
    expect(sent.params).toEqual({ name: 'ask', arguments: {} });
    expect(sent.ctx).toMatchObject({ callId: 'c1', client: 'cursor', sessionKey: 'stateless', timeoutMs: 5_000, meta: { traceparent: '00-abc' }, logLevel: 'debug' });
  });

  it('asks the client directly for what it declared, and refuses the backend what it did not', async () => {
    const u = new MemoryUpstream('alpha', stdioConfig(), {}, async (_m, _p, ctx) => {
      const sampled = await ctx.onReverseRequest!({ method: 'sampling/createMessage', params: { messages: [] } });
      const roots = await ctx.onReverseRequest!({ method: 'roots/list' });
      const elicited = await ctx.onReverseRequest!({ method: 'elicitation/create', params: {} }).catch((e: ProtocolError) => ({ refused: e.message, code: e.code }));
      return { sampled, roots, elicited };
    });
    const call = routed(u, { clientCapabilities: { sampling: {} } });
    call.sinks.answer = async () => ({ role: 'assistant', content: { type: 'text', text: 'hi' } });
    const result = await forward(call);
    expect(result).toEqual({
      sampled: { role: 'assistant', content: { type: 'text', text: 'hi' } },
      roots: { roots: [] },
      elicited: { refused: 'The client of this call does not support elicitation (elicitation/create).', code: -32601 },
    });
    expect(call.sinks.sent).toEqual([{ kind: 'request', message: { method: 'sampling/createMessage', params: { messages: [] } } }]);
    expect(call.decisions.map((d) => `${d.step}:${d.verdict}`)).toEqual(['policy:allow', 'policy:deny']);
  });

  it('hands in-flight work to the tracker for draining', async () => {
    const tracked: Promise<unknown>[] = [];
    const tracking = forwardStep({ held, track: (p) => (tracked.push(p), p) });
    const u = new MemoryUpstream('alpha', stdioConfig(), {}, async () => ({ content: [] }));
    await tracking.handle(routed(u), recordingNext());
    expect(tracked).toHaveLength(1);
  });
});

describe('forward step, 2026-07-28 client (held-call bridge)', () => {
  it('turns a backend sampling request into an input_required round and finishes the call on the retry', async () => {
    let backendAnswer: Result | undefined;
    const u = new MemoryUpstream('alpha', stdioConfig(), {}, async (_m, _p, ctx) => {
      void ctx.onProgress?.({ progress: 1 });
      backendAnswer = await ctx.onReverseRequest!({ method: 'sampling/createMessage', params: { maxTokens: 5 } });
      void ctx.onProgress?.({ progress: 2 });
      return { content: [{ type: 'text', text: `model said ${JSON.stringify(backendAnswer)}` }] };
    });
    const first = routed(u, { era: 'modern', meta: { progressToken: 7 }, clientCapabilities: { sampling: {} } });
    const round = await forward(first);
    expect(round.resultType).toBe('input_required');
    expect(round.inputRequests).toEqual({ gatehouse_0: { method: 'sampling/createMessage', params: { maxTokens: 5 } } });
    expect(round.requestState).toMatch(/^gatehouse-held:/);
    expect(held.size).toBe(1);
    expect(first.sinks.sent).toEqual([{ kind: 'notify', message: { method: 'notifications/progress', params: { progressToken: 7, progress: 1 } } }]);

    // Another client cannot pick up the held call.
    const stranger = routed(u, { era: 'modern', identity: { client: 'other', roles: [], via: 'none' }, requestState: round.requestState as string, inputResponses: {} });
    await expect(forward(stranger)).rejects.toThrow(/Unknown or expired requestState/);

    const retry = routed(u, { era: 'modern', meta: { progressToken: 8 }, requestState: round.requestState as string, inputResponses: { gatehouse_0: { role: 'assistant', content: { type: 'text', text: 'ok' } } } });
    const done = await forward(retry);
    expect(done).toEqual({ content: [{ type: 'text', text: 'model said {"role":"assistant","content":{"type":"text","text":"ok"}}' }] });
    // Later progress reaches the live request (the retry), under the progress token it carries.
    expect(retry.sinks.sent).toEqual([{ kind: 'notify', message: { method: 'notifications/progress', params: { progressToken: 8, progress: 2 } } }]);
    expect(first.sinks.sent).toHaveLength(1);
    expect(u.requests).toHaveLength(1);
    expect(held.size).toBe(0);
  });

  it('passes a modern backend its own requestState and answers, and re-issues its input_required', async () => {
    const u = new MemoryUpstream('alpha', stdioConfig(), {}, async (_m, params) =>
      params.requestState ? { content: [{ type: 'text', text: String((params.inputResponses as Record<string, unknown>).q) }] } : { resultType: 'input_required', inputRequests: { q: { method: 'elicitation/create', params: {} } }, requestState: 'backend-state' },
    );
    const round = await forward(routed(u, { era: 'modern' }));
    expect(round).toMatchObject({ resultType: 'input_required', requestState: 'backend-state', inputRequests: { q: { method: 'elicitation/create' } } });
    expect(held.size).toBe(0);
    const done = await forward(routed(u, { era: 'modern', requestState: 'backend-state', inputResponses: { q: 'yes' } }));
    expect(done).toEqual({ content: [{ type: 'text', text: 'yes' }] });
    expect(u.requests[1]!.params).toEqual({ name: 'ask', arguments: {}, requestState: 'backend-state', inputResponses: { q: 'yes' } });
  });

  it('aborts the backend call when the client cancels before any round', async () => {
    let backendSignal: AbortSignal | undefined;
    const u = new MemoryUpstream('alpha', stdioConfig(), {}, (_m, _p, ctx) => {
      backendSignal = ctx.signal;
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    });
    const abort = new AbortController();
    const pending = forward(routed(u, { era: 'modern', signal: abort.signal }));
    abort.abort();
    await expect(pending).rejects.toThrow();
    expect(backendSignal?.aborted).toBe(true);
  });
});
