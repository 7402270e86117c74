/**
 * Argument constraints: JSON Schema fragments per argument that narrow what a tool may be sent at
 * all. A constrained argument becomes required, since leaving it out would let the backend pick its
 * own default (a namespace allow-list that an absent namespace slips past is no allow-list).
 */
export type Constraints = Record<string, Record<string, unknown>>;

/** The tool's input schema as listed: each constrained property narrowed by its fragment. */
export function constrainedSchema(inputSchema: Record<string, unknown>, constraints: Constraints): Record<string, unknown> {
  const properties = { ...((inputSchema.properties as Record<string, unknown> | undefined) ?? {}) };
  for (const [arg, fragment] of Object.entries(constraints)) {
    const base = properties[arg];
    // allOf keeps the backend's own rule and adds ours; the flat copy lets simple clients see enum/maximum.
    properties[arg] = base && typeof base === 'object' ? { ...(base as Record<string, unknown>), ...fragment, allOf: [base, fragment] } : { ...fragment };
  }
  const required = [...new Set([...((inputSchema.required as string[] | undefined) ?? []), ...Object.keys(constraints)])];
  return { ...inputSchema, properties, required };
}

/** The schema the gateway checks arguments against: only its own fragments (the backend checks the rest). */
export function constraintSchema(constraints: Constraints): Record<string, unknown> {
  return { type: 'object', properties: { ...constraints }, required: Object.keys(constraints) };
}
