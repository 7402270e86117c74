import { ExitCode, UserError } from '../errors.js';

type Schema = { type?: unknown; properties?: Record<string, { type?: unknown }>; required?: unknown };

/**
 * The arguments of `gatehouse call`: `--json-args` first, then each `--arg key=value` over it.
 * A value is typed by the tool's inputSchema (number, integer, boolean, object, array are parsed;
 * everything else stays a string), so `--arg count=3` sends 3, not "3".
 */
export function buildArguments(pairs: readonly string[], jsonArgs: string | undefined, schema?: Schema): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  if (jsonArgs !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(jsonArgs);
    } catch (e) {
      throw new UserError(`--json-args is not valid JSON: ${(e as Error).message}.`, { code: 'args_invalid', exit: ExitCode.usage, hint: `Quote it for the shell, e.g. --json-args '{"text":"hi"}'.` });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UserError('--json-args must be a JSON object of argument names to values.', { code: 'args_invalid', exit: ExitCode.usage, hint: `For example --json-args '{"text":"hi"}'.` });
    }
    out = { ...(parsed as Record<string, unknown>) };
  }
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UserError(`--arg "${pair}" is not key=value.`, { code: 'args_invalid', exit: ExitCode.usage, hint: 'Write each argument as --arg name=value (repeat --arg for more).' });
    const key = pair.slice(0, eq);
    out[key] = typed(key, pair.slice(eq + 1), schema?.properties?.[key]?.type);
  }
  return out;
}

function typed(key: string, raw: string, type: unknown): unknown {
  const types = Array.isArray(type) ? type : [type];
  const fail = (what: string): never => {
    throw new UserError(`--arg ${key}=${raw}: the tool expects ${what}.`, { code: 'args_invalid', exit: ExitCode.usage, hint: `Pass ${key} as ${what}, or use --json-args for exact JSON.` });
  };
  if (types.includes('string')) return raw;
  if (types.includes('integer') || types.includes('number')) {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || (types.includes('integer') && !types.includes('number') && !Number.isInteger(n))) return fail(types.includes('number') ? 'a number' : 'an integer');
    return n;
  }
  if (types.includes('boolean')) {
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return fail('true or false');
  }
  if (types.includes('object') || types.includes('array')) {
    try {
      return JSON.parse(raw);
    } catch {
      return fail(`JSON (${types.includes('object') ? 'an object' : 'an array'})`);
    }
  }
  return raw;
}
