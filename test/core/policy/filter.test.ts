import { describe, expect, it } from 'vitest';
import { backendFilters, itemPredicate } from '../../../src/core/policy/filter.js';

describe('backend item filters', () => {
  it('keeps what include names and says which setting removed the rest', () => {
    const p = itemPredicate('toolFilter', { include: ['get_*', 'list_*'] })!;
    expect(p('get_app')).toBeUndefined();
    expect(p('sync_app')).toBe('toolFilter.include (matches none of "get_*", "list_*")');
  });

  it('exclude wins over include and names the glob that matched', () => {
    const p = itemPredicate('toolFilter', { include: ['*'], exclude: ['*sync*', 'delete_*'] })!;
    expect(p('get_app')).toBeUndefined();
    expect(p('app_sync')).toBe('toolFilter.exclude "*sync*"');
    expect(p('delete_app')).toBe('toolFilter.exclude "delete_*"');
  });

  it('readOnly keeps only tools annotated readOnlyHint: true', () => {
    const p = itemPredicate('toolFilter', { readOnly: true })!;
    expect(p('get', { annotations: { readOnlyHint: true } })).toBeUndefined();
    expect(p('sync', { annotations: { readOnlyHint: false } })).toBe('toolFilter.readOnly (not annotated readOnlyHint: true)');
    expect(p('unknown', {})).toBe('toolFilter.readOnly (not annotated readOnlyHint: true)');
    // A truthy string is not the annotation: only the boolean true counts.
    expect(p('odd', { annotations: { readOnlyHint: 'yes' } })).toBeDefined();
  });

  it('an empty include list removes everything; no settings is no filter', () => {
    expect(itemPredicate('promptFilter', { include: [] })!('x')).toBe('promptFilter.include (matches none of an empty list)');
    expect(itemPredicate('promptFilter', {})).toBeUndefined();
    expect(itemPredicate('promptFilter', undefined)).toBeUndefined();
    expect(itemPredicate('toolFilter', { readOnly: false })).toBeUndefined();
  });

  it('compiles a backend block into per-kind predicates (resources by URI)', () => {
    const f = backendFilters({ resourceFilter: { exclude: ['secret://*'] } })!;
    expect(f.tool).toBeUndefined();
    expect(f.resource!('secret://db')).toBe('resourceFilter.exclude "secret://*"');
    expect(f.resource!('file:///ok')).toBeUndefined();
    expect(backendFilters({})).toBeUndefined();
  });
});
