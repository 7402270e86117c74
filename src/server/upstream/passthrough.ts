import type { StandardSchemaV1 } from '@modelcontextprotocol/client';

/**
 * A result schema that accepts what the backend sent, unchanged. The gateway relays results;
 * validating (and stripping) them is the end client's job, and skipping the second parse keeps the
 * relay path cheap.
 */
export const passthroughSchema: StandardSchemaV1<unknown, Record<string, unknown>> = {
  '~standard': {
    version: 1,
    vendor: 'gatehouse',
    validate: (value: unknown) =>
      value !== null && typeof value === 'object'
        ? { value: value as Record<string, unknown> }
        : { issues: [{ message: 'result must be an object' }] },
  },
};
