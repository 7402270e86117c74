import { describe, expect, it } from 'vitest';
import {
  EXPOSED_NAME_PATTERN,
  isValidExposedName,
  planNames,
  sanitizeName,
  shortenName,
  type NamingWarning,
} from '../../../src/core/naming/index.js';

const kinds = (warnings: NamingWarning[]) => warnings.map((w) => w.kind);

describe('planNames modes', () => {
  const inputs = [
    { backend: 'github', names: ['search', 'create_issue'] },
    { backend: 'jira', names: ['search', 'create_ticket'] },
  ];

  it('always prefixes with the backend name and "_" by default', () => {
    const plan = planNames(inputs, 'always');
    expect(plan.entries.map((e) => e.exposed)).toEqual([
      'github_search',
      'github_create_issue',
      'jira_search',
      'jira_create_ticket',
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('defaults to always', () => {
    expect(planNames(inputs).entries[0]!.exposed).toBe('github_search');
  });

  it('conditional prefixes only names that collide across backends', () => {
    const plan = planNames(inputs, 'conditional');
    expect(plan.entries.map((e) => e.exposed)).toEqual(['github_search', 'create_issue', 'jira_search', 'create_ticket']);
    expect(plan.warnings).toEqual([]);
  });

  it('never prefixes, and resolves collisions by backend order with a warning', () => {
    const plan = planNames(inputs, 'never');
    const search = plan.entries.filter((e) => e.original === 'search');
    expect(search[0]).toEqual({ backend: 'github', original: 'search', exposed: 'search' });
    expect(search[1]).toEqual({ backend: 'jira', original: 'search', exposed: 'jira_search' });
    expect(kinds(plan.warnings)).toEqual(['collision']);
    const w = plan.warnings[0]!;
    expect(w.kind === 'collision' && w.winner.backend).toBe('github');
    expect(w.kind === 'collision' && w.losers).toEqual([{ backend: 'jira', original: 'search', exposed: 'jira_search' }]);
  });

  it('honours custom prefixes and separators', () => {
    const plan = planNames([{ backend: 'monolith-prod', prefix: 'mono', separator: '-', names: ['search'] }]);
    expect(plan.entries[0]!.exposed).toBe('mono-search');
    expect(planNames([{ backend: 'b', prefix: '', separator: '', names: ['x'] }]).entries[0]!.exposed).toBe('x');
  });

  it('keeps input order and removes duplicates with a warning', () => {
    const plan = planNames([{ backend: 'a', names: ['z', 'y', 'z'] }]);
    expect(plan.entries.map((e) => e.original)).toEqual(['z', 'y']);
    expect(kinds(plan.warnings)).toEqual(['duplicate']);
  });
});

describe('lookups', () => {
  it('resolves exposed names back to backend and original, and forward', () => {
    const plan = planNames([
      { backend: 'a', names: ['x.y', 'plain'] },
      { backend: 'b', names: ['plain'] },
    ], 'conditional');
    expect(plan.resolve('x_y')).toEqual({ backend: 'a', original: 'x.y' });
    expect(plan.resolve('b_plain')).toEqual({ backend: 'b', original: 'plain' });
    expect(plan.resolve('plain')).toBeUndefined();
    expect(plan.exposedName('a', 'plain')).toBe('a_plain');
    expect(plan.exposedName('c', 'plain')).toBeUndefined();
    expect(plan.byExposed.size).toBe(3);
  });
});

describe('validity, sanitizing and shortening', () => {
  it('sanitizes invalid characters deterministically', () => {
    expect(sanitizeName('files.read')).toBe('files_read');
    expect(sanitizeName('get status/now')).toBe('get_status_now');
    expect(sanitizeName('café')).toBe('cafe');
    expect(sanitizeName('a:::b')).toBe('a_b');
    const plan = planNames([{ backend: 'fs', names: ['files.read'] }]);
    expect(plan.entries[0]!.exposed).toBe('fs_files_read');
    expect(kinds(plan.warnings)).toEqual(['sanitized']);
  });

  it('gives names with nothing usable a stable placeholder', () => {
    const a = planNames([{ backend: 'x', prefix: '', separator: '', names: ['???'] }]);
    expect(a.entries[0]!.exposed).toBe('_');
    const b = planNames([{ backend: 'x', prefix: '', separator: '', names: [''] }]);
    expect(b.entries[0]!.exposed).toMatch(/^unnamed_[0-9a-f]{8}$/);
  });

  it('shortens names over 64 characters with a hash suffix and a warning', () => {
    const long = 'describe_the_cluster_resource_utilisation_over_the_last_seven_days_by_namespace';
    const plan = planNames([{ backend: 'kubernetes', names: [long, `${long}_v2`] }]);
    const [a, b] = plan.entries.map((e) => e.exposed);
    for (const name of [a!, b!]) {
      expect(name).toMatch(EXPOSED_NAME_PATTERN);
      expect(name.length).toBeLessThanOrEqual(64);
      expect(name.startsWith('kubernetes_describe_the_cluster')).toBe(true);
    }
    expect(a).not.toBe(b);
    expect(kinds(plan.warnings)).toEqual(['shortened', 'shortened']);
    // deterministic across runs and independent of other names
    expect(planNames([{ backend: 'kubernetes', names: [long] }]).entries[0]!.exposed).toBe(a);
    expect(shortenName('x'.repeat(70))).toBe(shortenName('x'.repeat(70)));
    expect(shortenName('short')).toBe('short');
  });

  it('always produces valid, unique names', () => {
    const names = ['a', 'a.', 'a_', 'a-', 'ä', 'a b', 'A', '', '🙂', 'x'.repeat(100), `${'x'.repeat(100)}!`];
    const plan = planNames([
      { backend: 'one', names },
      { backend: 'two', names },
      { backend: 'one_a', prefix: 'one', names },
    ], 'never');
    const exposed = plan.entries.map((e) => e.exposed);
    expect(new Set(exposed).size).toBe(exposed.length);
    for (const name of exposed) expect(isValidExposedName(name)).toBe(true);
    expect(plan.entries).toHaveLength(names.length * 3);
  });
});

describe('collisions', () => {
  it('prefers the name that needed no sanitizing', () => {
    const plan = planNames([{ backend: 'x', names: ['a.b', 'a_b'] }], 'never');
    expect(plan.exposedName('x', 'a_b')).toBe('a_b');
    expect(plan.exposedName('x', 'a.b')).toBe('x_a_b');
  });

  it('reports prefix-composition collisions in always mode and stays stable under reordering', () => {
    const plan = planNames([
      { backend: 'a', names: ['b_c'] },
      { backend: 'a_b', names: ['c'] },
    ]);
    expect(plan.exposedName('a', 'b_c')).toBe('a_b_c');
    expect(plan.exposedName('a_b', 'c')).toMatch(/^a_b_c_[0-9a-f]{6}$/);
    const collision = plan.warnings.find((w) => w.kind === 'collision');
    expect(collision?.message).toContain('a_b_c');

    const reordered = planNames([
      { backend: 'a', names: ['x', 'b_c'] },
      { backend: 'a_b', names: ['c'] },
    ]);
    expect(reordered.exposedName('a_b', 'c')).toBe(plan.exposedName('a_b', 'c'));
  });

  it('does not give a loser a name another entry already wanted', () => {
    const plan = planNames([
      { backend: 'gh', names: ['search'] },
      { backend: 'jira', names: ['search', 'jira_search'] },
    ], 'never');
    const exposed = plan.entries.map((e) => e.exposed);
    expect(new Set(exposed).size).toBe(3);
    expect(plan.exposedName('jira', 'jira_search')).toBe('jira_search');
    expect(plan.exposedName('jira', 'search')).toMatch(/^search_[0-9a-f]{6}$/);
  });

  it('handles large catalogs in linear time', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `tool_${i}`);
    const started = performance.now();
    const plan = planNames([
      { backend: 'a', names },
      { backend: 'b', names },
    ], 'conditional');
    expect(plan.entries).toHaveLength(40_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
