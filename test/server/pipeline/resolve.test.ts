import { describe, expect, it } from 'vitest';
import { AliasTable } from '../../../src/server/aliases.js';
import { CallDenied } from '../../../src/server/pipeline/index.js';
import { listTools, resolveStep } from '../../../src/server/pipeline/resolve.js';
import { MemoryUpstream, catalogOf, makeCall, recordingBus, recordingNext, stdioConfig, tool } from './support.js';

const alpha = new MemoryUpstream('alpha', stdioConfig(), {
  tools: [tool('echo'), tool('sum')],
  prompts: [{ name: 'greet' }],
  resources: [{ uri: 'alpha://readme', name: 'readme' }],
  resourceTemplates: [{ uriTemplate: 'alpha://files/{path}', name: 'files' }],
});
const beta = new MemoryUpstream('beta', stdioConfig(), { tools: [tool('echo')] });
const catalog = catalogOf(alpha, beta);

async function rejection(p: Promise<unknown>): Promise<CallDenied> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CallDenied);
  return e as CallDenied;
}

describe('resolve step', () => {
  const { bus, events } = recordingBus();
  const aliases = new AliasTable([
    { alias: 'old_echo', target: 'beta_echo' },
    { alias: 'gone_echo', target: 'beta_echo', expires: '2020-01-01' },
  ]);
  const step = resolveStep({ catalog, bus, aliases: () => aliases });

  it('routes an exposed tool name to its backend and native name, keeping the client params', async () => {
    const next = recordingNext();
    const params = { name: 'beta_echo', arguments: { text: 'hi' } };
    const call = makeCall({ method: 'tools/call', params });
    await step.handle(call, next);
    expect(next.calls).toEqual([call]);
    expect(call.route?.upstream).toBe(beta);
    expect(call.exposedName).toBe('beta_echo');
    expect(call.params).toEqual({ name: 'echo', arguments: { text: 'hi' } });
    expect(params.name).toBe('beta_echo');
  });

  it('refuses an unknown tool or prompt with -32602, as a decision', async () => {
    const call = makeCall({ method: 'tools/call', params: { name: 'nope' } });
    const err = await rejection(step.handle(call, recordingNext()));
    expect(err.code).toBe(-32602);
    expect(err.message).toBe('Unknown tool: nope. The gateway lists 3 tools; call tools/list for current names (a backend may be down).');
    expect(call.decisions).toEqual([{ step: 'resolve', verdict: 'deny', code: -32602, reason: err.message }]);
    await expect(step.handle(makeCall({ method: 'prompts/get', params: { name: 'x' } }), recordingNext())).rejects.toThrow(/Unknown prompt: x\. The gateway lists 1 prompts/);
  });

  it('follows an alias, counts it per client and emits alias.used', async () => {
    const call = makeCall({ method: 'tools/call', params: { name: 'old_echo' }, identity: { client: 'cursor', roles: [], via: 'none' } });
    await step.handle(call, recordingNext());
    expect(call.route?.upstream).toBe(beta);
    expect(call.params.name).toBe('echo');
    expect(call.exposedName).toBe('old_echo');
    expect(events).toContainEqual(expect.objectContaining({ type: 'alias.used', alias: 'old_echo', target: 'beta_echo', client: 'cursor', expired: false }));
    expect(aliases.report().find((a) => a.alias === 'old_echo')?.calls).toEqual([expect.objectContaining({ client: 'cursor', count: 1 })]);
  });

  it('refuses an expired alias and names the new name', async () => {
    const call = makeCall({ method: 'tools/call', params: { name: 'gone_echo' } });
    const err = await rejection(step.handle(call, recordingNext()));
    expect(err.message).toBe('Tool "gone_echo" was renamed to "beta_echo"; the old name stopped working after 2020-01-01. Call beta_echo.');
    expect(events).toContainEqual(expect.objectContaining({ type: 'alias.used', alias: 'gone_echo', expired: true }));
  });

  it('routes resources by listed URI and by template; a missing one is ResourceNotFound', async () => {
    const listed = makeCall({ method: 'resources/read', params: { uri: 'alpha://readme' } });
    await step.handle(listed, recordingNext());
    expect(listed.route?.upstream).toBe(alpha);
    const templated = makeCall({ method: 'resources/read', params: { uri: 'alpha://files/a.txt' } });
    await step.handle(templated, recordingNext());
    expect(templated.route?.upstream).toBe(alpha);
    const err = await rejection(step.handle(makeCall({ method: 'resources/read', params: { uri: 'none://x' } }), recordingNext()));
    expect(err.code).toBe(-32002);
    expect(err.message).toMatch(/^Resource not found: none:\/\/x/);
  });

  it('routes completions by prompt or template, and answers an unknown ref with no suggestions', async () => {
    const prompt = makeCall({ method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'alpha_greet' }, argument: { name: 'who', value: 'a' } } });
    await step.handle(prompt, recordingNext());
    expect(prompt.params.ref).toEqual({ type: 'ref/prompt', name: 'greet' });
    expect(prompt.exposedName).toBe('alpha_greet');
    const template = makeCall({ method: 'completion/complete', params: { ref: { type: 'ref/resource', uri: 'alpha://files/{path}' }, argument: { name: 'path', value: '' } } });
    await step.handle(template, recordingNext());
    expect(template.route?.upstream).toBe(alpha);
    const next = recordingNext();
    const unknown = makeCall({ method: 'completion/complete', params: { ref: { type: 'ref/prompt', name: 'zzz' }, argument: { name: 'a', value: '' } } });
    await expect(step.handle(unknown, next)).resolves.toEqual({ completion: { values: [], hasMore: false } });
    expect(next.calls).toHaveLength(0);
  });
});

describe('listTools', () => {
  it('lists live aliases with a deprecation note only when the config asks', () => {
    const quiet = new AliasTable([{ alias: 'old_echo', target: 'beta_echo' }]);
    expect(listTools(catalog, quiet).map((t) => (t as { name: string }).name)).toEqual(['alpha_echo', 'alpha_sum', 'beta_echo']);
    const listed = new AliasTable(
      [
        { alias: 'old_echo', target: 'beta_echo', expires: '2999-01-01' },
        { alias: 'gone', target: 'beta_echo', expires: '2020-01-01' },
        { alias: 'dangling', target: 'nobody_here' },
      ],
      true,
    );
    const tools = listTools(catalog, listed) as Array<{ name: string; description?: string }>;
    expect(tools.map((t) => t.name)).toEqual(['alpha_echo', 'alpha_sum', 'beta_echo', 'old_echo']);
    expect(tools[3]!.description).toBe('Deprecated alias of beta_echo (until 2999-01-01); call beta_echo instead. echo tool');
  });
});
