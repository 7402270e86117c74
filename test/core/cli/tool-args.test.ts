import { describe, expect, it } from 'vitest';
import { buildArguments } from '../../../src/core/cli/tool-args.js';
import { judge } from '../../../src/core/admin/status-report.js';

const schema = { type: 'object', properties: { n: { type: 'integer' }, x: { type: 'number' }, on: { type: 'boolean' }, tags: { type: 'array' }, opts: { type: 'object' }, s: { type: 'string' }, either: { type: ['string', 'number'] } } };

describe('call arguments', () => {
  it('types --arg values by the input schema, over --json-args', () => {
    expect(buildArguments(['n=3', 'x=1.5', 'on=true', 'tags=["a","b"]', 'opts={"k":1}', 's=007', 'either=12', 'free=a=b'], '{"n":1,"keep":"yes"}', schema)).toEqual({
      n: 3,
      x: 1.5,
      on: true,
      tags: ['a', 'b'],
      opts: { k: 1 },
      s: '007',
      either: '12',
      free: 'a=b',
      keep: 'yes',
    });
  });

  it('refuses what the schema cannot take, and malformed input, as usage errors', () => {
    expect(() => buildArguments(['n=1.5'], undefined, schema)).toThrow(/expects an integer/);
    expect(() => buildArguments(['on=yes'], undefined, schema)).toThrow(/expects true or false/);
    expect(() => buildArguments(['tags=[oops'], undefined, schema)).toThrow(/expects JSON/);
    expect(() => buildArguments(['novalue'], undefined, schema)).toThrow(/is not key=value/);
    expect(() => buildArguments([], '[1,2]', schema)).toThrow(/must be a JSON object/);
    expect(() => buildArguments([], '{bad', schema)).toThrow(/not valid JSON/);
    try {
      buildArguments(['n=x'], undefined, schema);
    } catch (e) {
      expect((e as { exit: number }).exit).toBe(2);
    }
  });
});

describe('status verdict', () => {
  it('healthy when every enabled backend is ready; disabled ones do not count; a failed one or an unapplied config degrades', () => {
    const b = (name: string, state: string, reason?: string) => ({ name, type: 'stdio', state, reason, tools: 0, toolNames: [], resources: 0, prompts: 0 }) as never;
    expect(judge({ backends: [b('a', 'ready'), b('off', 'disabled')], config: { ok: true } })).toEqual({ health: 'healthy', problems: [] });
    expect(judge({ backends: [b('a', 'ready'), b('x', 'failed', 'spawn ENOENT')], config: { ok: true } })).toEqual({ health: 'degraded', problems: ['backend x is failed: spawn ENOENT'] });
    expect(judge({ backends: [b('a', 'starting')], config: { ok: true } }).health).toBe('degraded');
    expect(judge({ backends: [], config: { ok: false, error: { source: 'g.yaml', message: 'g.yaml:3:1: bad' } } }).problems).toEqual(['the config file on disk was not applied: g.yaml:3:1: bad']);
  });
});
