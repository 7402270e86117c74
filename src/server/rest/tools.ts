import type { ValidateFunction } from 'ajv';
import { READ_METHODS, type RestToolConfig } from '../../core/config/schema.js';
import type { UpstreamTool } from '../upstream/types.js';
import { effectiveInputSchema } from '../../core/templates/input-schema.js';
import { compileSchema } from './validate.js';

/** A tool reads when its method is GET/HEAD, or it is a POST the operator marked readOnly. */
export function isReadTool(tool: Pick<RestToolConfig, 'method' | 'readOnly'>): boolean {
  const method = tool.method ?? 'GET';
  return READ_METHODS.has(method) || (method === 'POST' && tool.readOnly === true);
}

export { effectiveInputSchema };

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
