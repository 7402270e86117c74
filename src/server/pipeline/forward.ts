import { ProtocolError } from '@modelcontextprotocol/server';
import { HeldCall, HeldCalls, type HeldOutcome } from '../era/held-call.js';
import { adaptResult } from '../era/results.js';
import { readResultHints } from '../cache-hints.js';
import type { CallContext as UpstreamCallContext, ReverseRequest } from '../upstream/types.js';
import { hasTasksExtension } from '../tasks/routes.js';
import { clientOf } from './identity.js';
import { Relay } from './relay.js';
import type { CallContext, Handler, Result, Step } from './types.js';

export interface ForwardDeps {
  /** The era bridge's held calls (modern client, 2025 backend). */
  held: HeldCalls;
  /** Tracks in-flight calls for draining. */
  track?: <T>(p: Promise<T>) => Promise<T>;
}

/**
 * The last step: sends the request to its upstream and relays what the backend emits for it back
 * to the client. A 2025 client is asked the backend's requests directly; for a modern client they
 * become input_required rounds through the era bridge.
 */
export function forwardStep(deps: ForwardDeps): Step {
  return {
    name: 'forward',
    handle(call: CallContext, _next: Handler): Promise<Result> {
      // A read's cache hint, for the client's era: the backend's (or the default) to 2026-07-28, none to 2025.
      const run = call.method === 'resources/read' ? forward(deps.held, call).then((r) => readResultHints(r, call.era)) : forward(deps.held, call);
      return deps.track ? deps.track(run) : run;
    },
  };
}

async function forward(bridge: HeldCalls, call: CallContext): Promise<Result> {
  const upstream = call.route!.upstream;
  let progressToken: string | number | undefined;
  let meta: Record<string, unknown> | undefined;
  if (call.meta) {
    const { progressToken: token, ...rest } = call.meta;
    progressToken = token as string | number | undefined;
    // The upstream maps its own progress token; the rest of the client's _meta goes on.
    if (Object.keys(rest).length) meta = rest;
  }
  const relay = new Relay(call.sinks, progressToken);
  const client = clientOf(call);

  if (call.era === 'modern' && HeldCalls.owns(call.requestState)) {
    const out = await bridge.resume(call.requestState, client, call.inputResponses ?? {}, relay, call.signal);
    await relay.drain();
    return settled(out);
  }

  // A retry of a modern backend's own input_required carries its requestState and answers verbatim.
  let params = call.params;
  if (call.inputResponses || call.requestState !== undefined) {
    params = { ...params };
    if (call.inputResponses) params.inputResponses = call.inputResponses;
    if (call.requestState !== undefined) params.requestState = call.requestState;
  }
  const base = {
    callId: call.callId!,
    sessionKey: call.sessionKey,
    client,
    timeoutMs: call.timeoutMs!,
    meta,
    trace: call.outboundTrace,
    ...(call.paramHeaders && call.method === 'tools/call' ? { paramHeaders: call.paramHeaders } : {}),
    // Only a 2026-07-28 client can hold a task; it says so per request.
    ...(call.era === 'modern' && call.method === 'tools/call' && hasTasksExtension(call.clientCapabilities) ? { tasks: true } : {}),
    // 2025 clients filter by their logging/setLevel (the session's log sink applies it); modern clients ask per request.
    logLevel: call.era === 'legacy' ? 'debug' : call.logLevel,
  };

  if (call.era === 'legacy') {
    const ctx: UpstreamCallContext = {
      ...base,
      signal: call.signal,
      onProgress: relay.progress,
      onNotification: relay.notification,
      onReverseRequest: (r) => guarded(call, r) ?? call.sinks.request(r),
    };
    const res = await upstream.request(call.method, params, ctx);
    await relay.drain();
    return adaptResult(res);
  }

  const held = new HeldCall(client, relay);
  const ctx: UpstreamCallContext = {
    ...base,
    signal: held.abort.signal,
    onProgress: progressToken !== undefined ? held.onProgress : undefined,
    onNotification: held.onNotification,
    onReverseRequest: (r) => guarded(call, r) ?? held.enqueue(r),
  };
  const out = await bridge.begin(held, upstream.request(call.method, params, ctx), call.signal);
  await relay.drain();
  return settled(out);
}

function settled(out: HeldOutcome): Result {
  return out.done ? adaptResult(out.value) : out.result;
}

/** Runs the call's reverse guards; a decision answers or refuses the backend without the client. */
function guarded(call: CallContext, request: ReverseRequest): Promise<Result> | undefined {
  for (const guard of call.reverseGuards) {
    const d = guard(request, call);
    if (!d) continue;
    call.decisions.push(d.verdict === 'answer' ? { step: d.step, verdict: 'allow', reason: d.reason } : { step: d.step, verdict: 'deny', reason: d.reason, code: d.code });
    return d.verdict === 'answer' ? Promise.resolve(d.result) : Promise.reject(new ProtocolError(d.code, d.reason));
  }
  return undefined;
}
