import { templatePlaceholders, type RestToolConfig } from '../config/schema.js';

type JsonSchema = Record<string, unknown>;

/** When the whole template is one placeholder, the argument keeps its type (arrays repeat, objects stay objects). */
export function wholePlaceholder(template: string): string | undefined {
  const m = /^\{([A-Za-z0-9_.$@:[\]-]+)\}$/.exec(template);
  return m?.[1];
}

/** Every placeholder a tool uses: those in the path, and the others with how they are used. */
export function toolPlaceholders(tool: { path: string; query?: Record<string, unknown>; headers?: Record<string, string>; body?: unknown }): {
  path: string[];
  other: Map<string, 'whole' | 'text'>;
} {
  const other = new Map<string, 'whole' | 'text'>();
  const note = (template: string) => {
    const whole = wholePlaceholder(template);
    if (whole !== undefined) {
      if (!other.has(whole)) other.set(whole, 'whole');
      return;
    }
    for (const n of templatePlaceholders(template)) other.set(n, 'text');
  };
  for (const v of Object.values(tool.query ?? {})) if (typeof v === 'string') note(v);
  for (const v of Object.values(tool.headers ?? {})) note(v);
  const walk = (node: unknown) => {
    if (typeof node === 'string') note(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(tool.body);
  return { path: templatePlaceholders(tool.path), other };
}

function hasTypeConstraint(s: unknown): boolean {
  if (!s || typeof s !== 'object') return false;
  return ['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref'].some((k) => k in (s as JsonSchema));
}

/**
 * The schema clients see and arguments are checked against. Path parameters are required strings
 * unless typed otherwise; placeholders the tool uses but does not declare become optional (strings
 * when interpolated into text); unknown arguments are refused unless the schema says otherwise.
 */
export function effectiveInputSchema(tool: RestToolConfig): { type: 'object'; [k: string]: unknown } {
  const declared = structuredClone(tool.inputSchema ?? {}) as JsonSchema;
  const properties = { ...((declared.properties as Record<string, JsonSchema> | undefined) ?? {}) };
  const required = new Set<string>(Array.isArray(declared.required) ? (declared.required as string[]) : []);
  const { path, other } = toolPlaceholders(tool);
  for (const name of path) {
    const p = properties[name];
    if (!hasTypeConstraint(p)) properties[name] = { ...(p ?? {}), type: 'string', minLength: 1, ...(p?.description ? {} : { description: 'URL path parameter' }) };
    required.add(name);
  }
  for (const [name, how] of other) {
    if (properties[name]) continue;
    properties[name] = how === 'whole' ? {} : { type: 'string' };
  }
  const { $schema: _s, ...rest } = declared;
  return {
    ...rest,
    type: 'object',
    properties,
    ...(required.size ? { required: [...required] } : {}),
    ...('additionalProperties' in declared ? {} : { additionalProperties: false }),
  };
}

/** A flat list of a tool's arguments, for `templates show` and `backends show`. */
export function effectiveArguments(tool: RestToolConfig): Array<{ name: string; required: boolean; type?: string; description?: string }> {
  const s = effectiveInputSchema(tool);
  const req = new Set((s.required as string[] | undefined) ?? []);
  return Object.entries((s.properties as Record<string, JsonSchema>) ?? {}).map(([name, p]) => ({
    name,
    required: req.has(name),
    ...(typeof p.type === 'string' ? { type: p.type } : Array.isArray(p.type) ? { type: p.type.join('|') } : {}),
    ...(typeof p.description === 'string' ? { description: p.description } : {}),
  }));
}
