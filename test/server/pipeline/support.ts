// Shared pieces for the pipeline step tests. The steps are tested alone with a recording `next`;
// the upstream here is an in-memory stand-in (a real backend cannot be made to answer on cue inside
// one step's test). The real path, with real backends and clients of both eras, is covered by the
// era matrix and proxying tests, and by deep-arguments.test.ts in this folder.
import type { BackendConfig } from '../../../src/core/config/schema.js';
import { EventBus, type GatewayEvent } from '../../../src/core/events.js';
import { Catalog } from '../../../src/server/catalog.js';
import { newCall, type CallContext, type Handler, type RelaySinks, type Result } from '../../../src/server/pipeline/index.js';
import type { CallContext as UpstreamCallContext, ReverseRequest, Upstream, UpstreamCatalog, UpstreamEvent } from '../../../src/server/upstream/types.js';

export type UpstreamHandler = (method: string, params: Record<string, unknown>, ctx: UpstreamCallContext) => Promise<Result>;

export class MemoryUpstream implements Upstream {
  readonly state = 'ready' as const;
  readonly info = {};
  readonly requests: Array<{ method: string; params: Record<string, unknown>; ctx: UpstreamCallContext }> = [];

  constructor(
    readonly name: string,
    readonly config: BackendConfig,
    private readonly listed: Partial<UpstreamCatalog>,
    public handler: UpstreamHandler = async () => ({ content: [] }),
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  catalog(): UpstreamCatalog {
    return { tools: [], resources: [], resourceTemplates: [], prompts: [], ...this.listed };
  }
  async refresh(): Promise<void> {}
  request(method: string, params: Record<string, unknown>, ctx: UpstreamCallContext): Promise<Result> {
    this.requests.push({ method, params, ctx });
    return this.handler(method, params, ctx);
  }
  on(_listener: (event: UpstreamEvent) => void): () => void {
    return () => undefined;
  }
}

export const stdioConfig = (extra: Partial<BackendConfig> = {}): BackendConfig => ({ type: 'stdio', command: '/opt/tools/bin/mcp-thing', args: ['--api-key-file', '/home/me/.keys/thing'], ...extra }) as BackendConfig;

export const tool = (name: string) => ({ name, description: `${name} tool`, inputSchema: { type: 'object' as const } });

export function catalogOf(...upstreams: Upstream[]): Catalog {
  const c = new Catalog(() => upstreams, { mode: 'always', separator: '_' });
  c.rebuild();
  return c;
}

/** Sinks that record what the pipeline sent back to the client, in order. */
export class RecordingSinks implements RelaySinks {
  readonly sent: Array<{ kind: 'notify' | 'log' | 'request'; message: unknown }> = [];
  answer: (r: ReverseRequest) => Promise<Result> = async () => ({});
  async notify(n: { method: string; params?: Record<string, unknown> }): Promise<void> {
    this.sent.push({ kind: 'notify', message: n });
  }
  async log(m: { level: string; data: unknown; logger?: string }): Promise<void> {
    this.sent.push({ kind: 'log', message: m });
  }
  request(r: ReverseRequest): Promise<Result> {
    this.sent.push({ kind: 'request', message: r });
    return this.answer(r);
  }
}

export function makeCall(fields: Partial<CallContext> & Pick<CallContext, 'method' | 'params'>): CallContext {
  return newCall({
    era: 'legacy',
    transport: 'streamable-http',
    sessionKey: 'stateless',
    signal: new AbortController().signal,
    sinks: new RecordingSinks(),
    ...fields,
  });
}

/** A `next` that records the context it was given and answers with `result`. */
export function recordingNext(result: Result = { ok: true }): Handler & { calls: CallContext[] } {
  const calls: CallContext[] = [];
  const next = (async (call: CallContext) => {
    calls.push(call);
    return result;
  }) as Handler & { calls: CallContext[] };
  next.calls = calls;
  return next;
}

export function recordingBus(): { bus: EventBus; events: GatewayEvent[] } {
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.onAny((e) => events.push(e));
  return { bus, events };
}
