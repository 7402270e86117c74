import type { ValidateFunction } from 'ajv';
import { READ_METHODS, type RestToolConfig } from '../../core/config/schema.js';
import type { UpstreamTool } from '../upstream/types.js';
import { toolPlaceholders } from './template.js';
import { compileSchema } from './validate.js';

export type JsonSchema = Record<string, unknown>;

/** A tool reads when its method is GET/HEAD, or it is a POST the operator marked readOnly. */
export function isReadTool(tool: Pick<RestToolConfig, 'method' | 'readOnly'>): boolean {
  const method = tool.method ?? 'GET';
  return READ_METHODS.has(method) || (method === 'POST' && tool.readOnly === true);
}

function hasTypeConstraint(s: unknown): boolean {
  if (!s || typeof s !== 'object') return false;
  const o = s as JsonSchema;
  return ['type', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref'].some((k) => k in o);
}

/**
 * The schema clients see and arguments are checked against. Path parameters are required strings
 * unless typed otherwise; placeholders the tool uses but does not declare become optional strings;
 * unknown arguments are refused unless the schema says otherwise.
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

export function toolAnnotations(tool: RestToolConfig): Record<string, unknown> {
  const given = { ...(tool.annotations ?? {}) } as Record<string, unknown>;
  if (isReadTool(tool)) return { ...given, readOnlyHint: true, destructiveHint: false };
  return { ...given, readOnlyHint: false, destructiveHint: true };
}

export interface CompiledRestTool {
  config: RestToolConfig;
  listing: UpstreamTool;
  validateInput: ValidateFunction;
  validateOutput?: ValidateFunction;
}

/** Compiles one tool's validators. Throws (with the ajv message) when a schema is not valid JSON Schema. */
export function compileRestTool(tool: RestToolConfig): CompiledRestTool {
  const inputSchema = effectiveInputSchema(tool);
  const listing: UpstreamTool = {
    name: tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    inputSchema,
    ...(tool.outputSchema ? { outputSchema: tool.outputSchema as UpstreamTool['outputSchema'] } : {}),
    annotations: toolAnnotations(tool),
    _meta: { 'gatehouse/rest': { method: tool.method ?? 'GET', path: tool.path } },
  };
  return {
    config: tool,
    listing,
    validateInput: compileSchema(inputSchema),
    ...(tool.outputSchema ? { validateOutput: compileSchema(tool.outputSchema) } : {}),
  };
}
