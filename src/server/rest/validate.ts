import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Violation } from './template.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on .default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => Ajv2020;

let shared: Ajv2020 | undefined;

/**
 * One ajv for all REST tools. Draft 2020-12 is what MCP tool schemas use; unknown keywords (example,
 * x-*) are tolerated because real schemas carry them, and OpenAPI's numeric formats are known.
 */
export function ajv(): Ajv2020 {
  if (shared) return shared;
  const a = new Ajv2020({ allErrors: true, strict: false, useDefaults: true, coerceTypes: false, logger: false, validateSchema: false });
  addFormats(a);
  const int = (min: bigint, max: bigint) => ({ type: 'number' as const, validate: (n: number) => Number.isInteger(n) && BigInt(n) >= min && BigInt(n) <= max });
  a.addFormat('int32', int(-(2n ** 31n), 2n ** 31n - 1n));
  a.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  a.addFormat('float', { type: 'number', validate: () => true });
  a.addFormat('double', { type: 'number', validate: () => true });
  for (const f of ['byte', 'binary', 'password', 'unixtime', 'duration-string']) a.addFormat(f, true);
  shared = a;
  return a;
}

/** Compiles a schema; `$schema` is dropped so draft-07 documents compile under the 2020 vocabulary. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const { $schema: _ignored, $id: _id, ...rest } = schema;
  return ajv().compile(rest);
}

/** Turns ajv errors into one violation per problem, named by argument path. */
export function violationsFrom(errors: ErrorObject[] | null | undefined, root = 'arguments'): Violation[] {
  const out: Violation[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const at = e.instancePath ? e.instancePath.slice(1).split('/').map(unescapePointer).join('.') : '';
    let argument = at || root;
    let message = e.message ?? 'is invalid';
    switch (e.keyword) {
      case 'required': {
        const p = (e.params as { missingProperty: string }).missingProperty;
        argument = at ? `${at}.${p}` : p;
        message = 'is required';
        break;
      }
      case 'additionalProperties': {
        const p = (e.params as { additionalProperty: string }).additionalProperty;
        argument = at ? `${at}.${p}` : p;
        message = 'is not a known argument of this tool';
        break;
      }
      case 'enum':
        message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'type':
        message = `must be ${(e.params as { type: string | string[] }).type}`;
        break;
      case 'if':
        continue;
      default:
        break;
    }
    const key = `${argument}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ argument, message });
  }
  return out;
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}
