import { describe, expect, it } from 'vitest';
import { restToolSchema } from '../../src/core/config/schema.js';
import { backendFilters, type FilteredItem } from '../../src/core/policy/filter.js';
import { applyFilters } from '../../src/server/catalog-filter.js';
import { compileRestTool } from '../../src/server/rest/tools.js';

describe('readOnly on a REST backend', () => {
  it('keeps GET/HEAD tools and POST tools marked readOnly, drops writes even when they claim readOnlyHint', () => {
    const tools = [
      { name: 'get_status', method: 'GET', path: '/status' },
      { name: 'head_ping', method: 'HEAD', path: '/ping' },
      { name: 'query_range', method: 'POST', path: '/query', readOnly: true },
      { name: 'scale', method: 'POST', path: '/scale' },
      // The operator's annotation cannot make a write read-only.
      { name: 'replace', method: 'PUT', path: '/x', annotations: { readOnlyHint: true } },
    ].map((t) => compileRestTool(restToolSchema.parse(t)).listing);
    const removed = new Map<string, FilteredItem[]>();
    const out = applyFilters({ tools, prompts: [], resources: [], resourceTemplates: [] }, backendFilters({ toolFilter: { readOnly: true } }), 'api', removed);
    expect(out.tools.map((t) => t.name)).toEqual(['get_status', 'head_ping', 'query_range']);
    expect(removed.get('api')!.map((r) => r.name)).toEqual(['scale', 'replace']);
  });
});
