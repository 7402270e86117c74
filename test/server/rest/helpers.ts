import type { RestBackendConfig } from '../../../src/core/config/schema.js';
import { createRestUpstream, type RestUpstream, type RestUpstreamDeps } from '../../../src/server/upstream/rest.js';
import type { CallContext } from '../../../src/server/upstream/types.js';

let seq = 0;

export function ctx(overrides: Partial<CallContext> = {}): CallContext {
  return { callId: `t${++seq}`, sessionKey: 's', client: 'test', signal: new AbortController().signal, timeoutMs: 10_000, ...overrides };
}

export interface ToolCallResult {
  content: Array<{ type: string; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export async function call(up: RestUpstream, name: string, args: Record<string, unknown> = {}, c: Partial<CallContext> = {}): Promise<ToolCallResult> {
  return (await up.request('tools/call', { name, arguments: args }, ctx(c))) as unknown as ToolCallResult;
}

/** Parses a successful result's JSON text, failing the test with the text when it is an error. */
export function json<T = unknown>(r: ToolCallResult): T {
  if (r.isError) throw new Error(`tool error: ${r.content[0]?.text}`);
  return JSON.parse(r.content[0]!.text) as T;
}

export async function started(name: string, config: RestBackendConfig, deps: RestUpstreamDeps = {}): Promise<RestUpstream> {
  const up = createRestUpstream(name, config, deps);
  await up.start();
  if (up.state !== 'ready') throw new Error(`backend ${name} is ${up.state}: ${up.lastError}`);
  return up;
}
