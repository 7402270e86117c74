import { ProtocolError } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { Pipeline, clientError, compose, type CallContext, type Step } from '../../../src/server/pipeline/index.js';
import { ErrorCodes, UpstreamError } from '../../../src/server/upstream/types.js';
import { MemoryUpstream, makeCall, stdioConfig } from './support.js';

/** A step that logs its way in and out, to show the order. */
const tracer = (name: string, log: string[]): Step => ({
  name,
  async handle(call, next) {
    log.push(`>${name}`);
    const r = await next(call);
    log.push(`<${name}`);
    return { ...r, via: [...((r.via as string[]) ?? []), name] };
  },
});

describe('Pipeline', () => {
  it('runs the steps in order and the result back through them in reverse', async () => {
    const log: string[] = [];
    const last: Step = { name: 'last', handle: async () => ({ via: [] }) };
    const p = new Pipeline([tracer('a', log), tracer('b', log), last]);
    await expect(p.handle(makeCall({ method: 'tools/call', params: {} }))).resolves.toEqual({ via: ['b', 'a'] });
    expect(log).toEqual(['>a', '>b', '<b', '<a']);
  });

  it('lets a step answer without calling next', async () => {
    const log: string[] = [];
    const answer: Step = { name: 'answer', handle: async () => ({ answered: true }) };
    const handler = compose([answer, tracer('never', log)]);
    await expect(handler(makeCall({ method: 'tools/call', params: {} }))).resolves.toEqual({ answered: true });
    expect(log).toEqual([]);
  });

  it('gives every call its own id and says when no step answered', async () => {
    const seen: string[] = [];
    const passOn: Step = { name: 'pass', handle: (call, next) => (seen.push(call.callId!), next(call)) };
    const p = new Pipeline([passOn]);
    await expect(p.handle(makeCall({ method: 'prompts/get', params: {} }))).rejects.toThrow(/No pipeline step answered prompts\/get/);
    await p.handle(makeCall({ method: 'prompts/get', params: {} })).catch(() => undefined);
    expect(seen).toEqual(['c1', 'c2']);
  });
});

describe('clientError', () => {
  const routed = (config = stdioConfig()): CallContext => makeCall({ method: 'tools/call', params: {}, route: { upstream: new MemoryUpstream('thing', config, {}) } });

  it('turns an upstream error into a JSON-RPC error naming the backend, with its data', () => {
    const e = clientError(new UpstreamError('[thing] bad', ErrorCodes.InvalidParams, 'thing', { field: 'x' }), routed()) as ProtocolError;
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe(-32602);
    expect(e.message).toBe('[thing] bad');
    expect(e.data).toEqual({ backend: 'thing', field: 'x' });
    const plain = clientError(new UpstreamError('x', ErrorCodes.InternalError, 'thing', 'raw text'), routed()) as ProtocolError;
    expect(plain.data).toEqual({ backend: 'thing', detail: 'raw text' });
  });

  it('never puts a stdio backend command line in a client error', () => {
    const line = '/opt/tools/bin/mcp-thing --api-key-file /home/me/.keys/thing';
    const quoted = clientError(new UpstreamError(`[thing] "${line}" failed: Maximum call stack size exceeded`, ErrorCodes.InternalError, 'thing'), routed()) as ProtocolError;
    expect(quoted.message).toBe('[thing] backend "thing" failed: Maximum call stack size exceeded');
    const spawn = clientError(new Error('spawn /opt/tools/bin/mcp-thing ENOENT'), routed()) as ProtocolError;
    expect(spawn.code).toBe(-32603);
    expect(spawn.message).toBe('spawn backend "thing" ENOENT');
    expect(JSON.stringify([quoted, spawn, quoted.data, spawn.data])).not.toContain('/opt/tools');
  });

  it('replaces a bare command only where it is the whole quoted command line', () => {
    const bare = routed({ type: 'stdio', command: 'node' } as never);
    const e = clientError(new UpstreamError('[thing] "node" exited; see node_modules/x', -32603, 'thing'), bare) as ProtocolError;
    expect(e.message).toBe('[thing] backend "thing" exited; see node_modules/x');
  });

  it('leaves protocol errors alone, and an HTTP backend URL in place', () => {
    const pe = new ProtocolError(-32602, 'Unknown tool');
    expect(clientError(pe, routed())).toBe(pe);
    const http = clientError(new UpstreamError('Connection refused by http://127.0.0.1:9/mcp.', -32603, 'thing'), routed({ type: 'http', url: 'http://127.0.0.1:9/mcp' } as never)) as ProtocolError;
    expect(http.message).toBe('Connection refused by http://127.0.0.1:9/mcp.');
  });
});
