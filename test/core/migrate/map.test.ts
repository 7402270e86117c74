import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  buildMap,
  compileRewriter,
  formatMap,
  loadedFromMap,
  oldNameFor,
  oldSchemePattern,
  parseMap,
  summarizeMap,
  type MigrationMap,
} from '../../../src/core/migrate/index.js';
import { UserError } from '../../../src/core/errors.js';

const natives = [
  'search_knowledge',
  'search',
  'monolith_agent_notify',
  'get_status',
  'Get-Status',
  'ListDocuments',
  'zürich_weather',
  'purge__cache',
  'search_knowledge', // duplicates are ignored
];

const cf = (): MigrationMap =>
  buildMap({
    natives,
    from: { kind: 'contextforge', gatewayName: 'Monolith', separator: '-' },
    to: { prefix: 'monolith', separator: '_' },
    serverRenames: { 'context-forge': 'monolith' },
    knownOld: ['monolith-search', 'mcp__context-forge__monolith-get-status', 'monolith-reindex', 'monolith_search_knowledge', ' '],
    source: 'tools.json',
    knownOldSource: 'seen.txt',
  });

describe('buildMap from Context Forge', () => {
  it('maps old to new, sorted by old name', () => {
    const map = cf();
    expect(map.entries.map((e) => [e.old, e.new, e.native, e.status])).toEqual([
      ['monolith-get-status', 'monolith_Get-Status', 'Get-Status', 'ambiguous'],
      ['monolith-get-status', 'monolith_get_status', 'get_status', 'ambiguous'],
      ['monolith-listdocuments', 'monolith_ListDocuments', 'ListDocuments', 'renamed'],
      ['monolith-monolith-agent-notify', 'monolith_monolith_agent_notify', 'monolith_agent_notify', 'renamed'],
      ['monolith-purge-cache', 'monolith_purge__cache', 'purge__cache', 'renamed'],
      ['monolith-search', 'monolith_search', 'search', 'renamed'],
      ['monolith-search-knowledge', 'monolith_search_knowledge', 'search_knowledge', 'renamed'],
      ['monolith-zurich-weather', 'monolith_zurich_weather', 'zürich_weather', 'renamed'],
    ]);
  });

  it('marks both sides of a collision ambiguous and keeps them out of the rewrite', () => {
    const map = cf();
    const amb = map.entries.filter((e) => e.status === 'ambiguous');
    expect(amb.map((e) => e.collidesWith)).toEqual([['get_status'], ['Get-Status']]);
    const loaded = loadedFromMap(map);
    expect(loaded.names.has('monolith-get-status')).toBe(false);
    expect([...loaded.ambiguous]).toEqual(['monolith-get-status']);
  });

  it('notes double prefixes and slug changes beyond _ → -', () => {
    const notes = Object.fromEntries(cf().entries.map((e) => [e.native, e.notes]));
    expect(notes.monolith_agent_notify).toEqual(['double-prefix']);
    expect(notes.search_knowledge).toEqual([]);
    expect(notes.ListDocuments).toEqual(['slug-case']);
    expect(notes['Get-Status']).toEqual(['slug-case']);
    expect(notes['zürich_weather']).toEqual(['sanitized', 'slug-unicode']);
    expect(notes.purge__cache).toEqual(['slug-punctuation']);
  });

  it('classifies known old names, accepting qualified forms', () => {
    expect(cf().knownOld).toEqual({
      explained: ['monolith-search'],
      ambiguous: ['monolith-get-status'],
      alreadyNew: ['monolith_search_knowledge'],
      unexplained: ['monolith-reindex'],
    });
  });

  it('summarises', () => {
    expect(summarizeMap(cf())).toEqual({
      natives: 8,
      renamed: 6,
      unchanged: 0,
      ambiguous: 2,
      doublePrefix: 1,
      slugChanged: 4,
      chains: 0,
      knownOldUnexplained: 1,
    });
  });

  it('does not depend on input order', () => {
    const reversed = buildMap({
      natives: [...natives].reverse(),
      from: { kind: 'contextforge', gatewayName: 'Monolith', separator: '-' },
      to: { prefix: 'monolith', separator: '_' },
      serverRenames: { 'context-forge': 'monolith' },
      knownOld: ['monolith-reindex', 'monolith_search_knowledge', 'mcp__context-forge__monolith-get-status', 'monolith-search'],
      source: 'tools.json',
      knownOldSource: 'seen.txt',
    });
    for (const format of ['yaml', 'json', 'csv'] as const) expect(formatMap(reversed, format)).toBe(formatMap(cf(), format));
  });

  it('reports unchanged names when old and new schemes agree', () => {
    const map = buildMap({
      natives: ['search_knowledge', 'Odd Name'],
      from: { kind: 'contextforge', gatewayName: 'monolith', separator: '_' },
      to: { prefix: 'monolith', separator: '_' },
    });
    expect(map.entries.map((e) => [e.old, e.new, e.status])).toEqual([
      ['monolith_odd_name', 'monolith_Odd_Name', 'renamed'],
      ['monolith_search_knowledge', 'monolith_search_knowledge', 'unchanged'],
    ]);
    expect(loadedFromMap(map).names.size).toBe(1);
  });

  it('flags chains', () => {
    // old "x-a" → new "x-a-b"?  Build a case where a new name is another entry's old name.
    const map = buildMap({
      natives: ['a', 'x-a'],
      from: { kind: 'gatehouse', prefix: 'x', separator: '-' },
      to: { prefix: '', separator: '_' },
    });
    // old: x-a (native a), x-x-a (native x-a); new: a, x-a → "x-a" is both a new and an old name
    const byNative = Object.fromEntries(map.entries.map((e) => [e.native, e]));
    expect(byNative['x-a']!.new).toBe('x-a');
    expect(byNative['x-a']!.notes).toContain('chain');
    expect(summarizeMap(map).chains).toBe(1);
  });
});

describe('buildMap between Gatehouse policies', () => {
  it('maps prefix and separator changes, noting double prefixes', () => {
    const map = buildMap({
      natives: ['search', 'gh_search', 'issue.create'],
      from: { kind: 'gatehouse', prefix: 'gh', separator: '_' },
      to: { prefix: 'github', separator: '-' },
    });
    expect(map.entries.map((e) => [e.old, e.new, e.notes])).toEqual([
      ['gh_gh_search', 'github-gh_search', ['double-prefix']],
      ['gh_issue_create', 'github-issue_create', ['sanitized']],
      ['gh_search', 'github-search', []],
    ]);
    expect(oldNameFor('search', { kind: 'gatehouse', prefix: '', separator: '_' })).toBe('search');
  });
});

describe('oldSchemePattern', () => {
  it('matches Context Forge-looking names for the gateway', () => {
    const re = oldSchemePattern({ kind: 'contextforge', gatewayName: 'Monolith', separator: '-' })!;
    expect(re.test('monolith-anything-here')).toBe(true);
    expect(re.test('monolith-search.internal')).toBe(false);
    expect(re.test('monolith_search')).toBe(false);
    expect(re.test('other-search')).toBe(false);
    const dotted = oldSchemePattern({ kind: 'contextforge', gatewayName: 'Monolith', separator: '.' })!;
    expect(dotted.test('monolith.search')).toBe(true);
    expect(dotted.test('monolithxsearch')).toBe(false);
    expect(oldSchemePattern({ kind: 'gatehouse', prefix: '', separator: '_' })).toBeUndefined();
  });
});

describe('map files', () => {
  it('writes YAML with a header recording rules and inputs', () => {
    const yaml = formatMap(cf(), 'yaml');
    expect(yaml.split('\n').slice(0, 2)).toEqual([
      '# Gatehouse tool-name migration map (generated; review, then commit).',
      '# Regenerate: gatehouse migrate map --from contextforge --gateway-name Monolith --separator - --to-prefix monolith --to-separator _ --server-rename context-forge=monolith --tools tools.json --known-old seen.txt',
    ]);
    const doc = YAML.parse(yaml);
    expect(doc.rules).toEqual({
      from: { kind: 'contextforge', gatewayName: 'Monolith', separator: '-' },
      to: { prefix: 'monolith', separator: '_' },
    });
    expect(doc.inputs.natives).toBe(8);
    expect(doc.inputs.nativesSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.serverRenames).toEqual({ 'context-forge': 'monolith' });
  });

  it('records the caller’s command line when given', () => {
    const map = buildMap({ natives: ['a'], from: { kind: 'gatehouse', prefix: 'p', separator: '_' }, to: { prefix: 'q', separator: '_' }, command: 'gatehouse migrate map --backend q' });
    expect(formatMap(map, 'csv')).toContain('# Regenerate: gatehouse migrate map --backend q\n');
  });

  it('round-trips through YAML, JSON and CSV', () => {
    const expected = loadedFromMap(cf());
    for (const format of ['yaml', 'json', 'csv'] as const) {
      const loaded = parseMap(formatMap(cf(), format), { fileName: `map.${format}` });
      expect([...loaded.names].sort()).toEqual([...expected.names].sort());
      expect([...loaded.ambiguous]).toEqual([...expected.ambiguous]);
      expect([...loaded.serverRenames]).toEqual([['context-forge', 'monolith']]);
      expect([...loaded.newNames].sort()).toEqual([...expected.newNames].sort());
      // format detection from content alone
      expect(parseMap(formatMap(cf(), format)).names.size).toBe(expected.names.size);
    }
    expect(parseMap(formatMap(cf(), 'yaml')).rules?.from).toEqual({ kind: 'contextforge', gatewayName: 'Monolith', separator: '-' });
  });

  it('quotes CSV fields that need it', () => {
    const map = buildMap({ natives: ['a,b', 'q"x'], from: { kind: 'gatehouse', prefix: '', separator: '_' }, to: { prefix: 'p', separator: '_' } });
    const csv = formatMap(map, 'csv');
    expect(csv).toContain('"a,b"');
    expect(csv).toContain('"q""x"');
    expect(parseMap(csv, { format: 'csv' }).names.size).toBe(2);
  });

  it('accepts hand-written maps', () => {
    expect([...parseMap('map:\n  old-a: new_a\nserverRenames:\n  cf: mono\n').names]).toEqual([['old-a', 'new_a']]);
    expect([...parseMap('{"mappings": {"old-a": "new_a"}}').names]).toEqual([['old-a', 'new_a']]);
    expect([...parseMap('old-a: new_a\nold-b: new_b\n').names]).toHaveLength(2);
    expect(parseMap('\uFEFF{"old-a": "new_a"}').names.get('old-a')).toBe('new_a');
  });

  it('rejects malformed maps with a UserError naming the file', () => {
    const cases = ['entries: nope', 'entries:\n  - old: a\n', 'map:\n  a: 3\n', '[1, 2]', '{', 'entries:\n  - {old: a, new: b, status: maybe}\n'];
    for (const text of cases) {
      const err = (() => {
        try {
          parseMap(text, { fileName: 'm.yaml' });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(err, text).toBeInstanceOf(UserError);
      expect((err as UserError).message.startsWith('m.yaml: ')).toBe(true);
      expect((err as UserError).code).toBe('MIGRATE_MAP_INVALID');
    }
    expect(() => parseMap('entries:\n  - {old: a, new: b}\n  - {old: a, new: c}\n')).toThrow(/maps to both/);
  });

  it('drives check warnings from the rules in the file', () => {
    const loaded = parseMap(formatMap(cf(), 'yaml'));
    const result = compileRewriter(loaded).check('monolith-reindex monolith-search monolith_search');
    expect(result.findings.map((f) => f.text)).toEqual(['monolith-search']);
    expect(result.warnings.map((f) => f.text)).toEqual(['monolith-reindex']);
  });
});
