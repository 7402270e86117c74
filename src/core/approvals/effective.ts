import type { BackendConfig } from '../config/schema.js';
import { loadTemplate } from '../templates/index.js';
import type { Constraints } from './constraints.js';

type Fragment = Record<string, unknown>;
type ToolConstraints = Record<string, Constraints>;

const memo = new WeakMap<BackendConfig, ToolConstraints | undefined>();

/**
 * The constraints a backend's tools are held to: its template's defaults (replicas 0-5 for the
 * Kubernetes scale tool), narrowed by the operator's `constraints`. The operator can only narrow:
 * where both constrain one argument, both hold. Memoised per config object (a reload brings a new one).
 */
export function effectiveConstraints(config: BackendConfig): ToolConstraints | undefined {
  if (memo.has(config)) return memo.get(config);
  let out = config.constraints as ToolConstraints | undefined;
  const defaults = templateConstraints(config);
  if (defaults) {
    out = { ...defaults };
    for (const [tool, args] of Object.entries(config.constraints ?? {})) out[tool] = narrowTool(defaults[tool] ?? {}, args as Constraints);
  }
  memo.set(config, out);
  return out;
}

function templateConstraints(config: BackendConfig): ToolConstraints | undefined {
  if (config.type !== 'rest' || !config.template) return undefined;
  try {
    return loadTemplate(config.template).constraints as ToolConstraints | undefined;
  } catch {
    // The backend reports a template that does not load; its tools are not served at all.
    return undefined;
  }
}

function narrowTool(base: Constraints, extra: Constraints): Constraints {
  const out: Constraints = { ...base };
  for (const [arg, fragment] of Object.entries(extra)) out[arg] = base[arg] ? narrow(base[arg], fragment) : fragment;
  return out;
}

const LOWER = new Set(['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties']);
const UPPER = new Set(['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties']);

/**
 * One fragment that only accepts what both accept. Bounds take the tighter value and enums their
 * intersection, so the listed schema shows the real limits; any other keyword that differs is kept
 * from both through allOf.
 */
export function narrow(a: Fragment, b: Fragment): Fragment {
  const out: Fragment = { ...a };
  const both: Fragment[] = [];
  for (const [k, v] of Object.entries(b)) {
    const mine = a[k];
    if (mine === undefined) out[k] = v;
    else if (LOWER.has(k) && typeof mine === 'number' && typeof v === 'number') out[k] = Math.min(mine, v);
    else if (UPPER.has(k) && typeof mine === 'number' && typeof v === 'number') out[k] = Math.max(mine, v);
    else if (k === 'enum' && Array.isArray(mine) && Array.isArray(v)) out[k] = mine.filter((x) => v.some((y) => JSON.stringify(y) === JSON.stringify(x)));
    else if (JSON.stringify(mine) !== JSON.stringify(v)) both.push({ [k]: v });
  }
  if (both.length) out.allOf = [...((out.allOf as Fragment[] | undefined) ?? []), ...both];
  return out;
}
