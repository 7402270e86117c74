import { describe, expect, it } from 'vitest';
import { compileGlob, globMatcher } from '../../../src/core/policy/glob.js';

describe('name globs', () => {
  it('* matches any run (none included), ? exactly one character, the rest literally', () => {
    const m = globMatcher(['argocd_get*', 'sig?oz_*']);
    expect(m('argocd_get')).toBe(true);
    expect(m('argocd_get_app')).toBe(true);
    expect(m('argocd_sync')).toBe(false);
    expect(m('signoz_query')).toBe(true);
    expect(m('sigNNoz_query')).toBe(false);
  });

  it('matches the whole name, never a part of it', () => {
    expect(globMatcher(['get'])('get_app')).toBe(false);
    expect(globMatcher(['get'])('forget')).toBe(false);
    expect(globMatcher(['*get'])('forget')).toBe(true);
  });

  it('treats regular-expression characters and URI punctuation as literal', () => {
    expect(globMatcher(['a.b'])('axb')).toBe(false);
    expect(globMatcher(['a.b'])('a.b')).toBe(true);
    expect(globMatcher(['file:///logs/*'])('file:///logs/app.log')).toBe(true);
    expect(globMatcher(['(x)+[y]|{z}$^\\'])('(x)+[y]|{z}$^\\')).toBe(true);
    expect(compileGlob('a|b').test('a')).toBe(false);
  });

  it('undefined globs match everything, an empty list nothing', () => {
    expect(globMatcher(undefined)('anything')).toBe(true);
    expect(globMatcher([])('anything')).toBe(false);
  });

  it('* crosses separators and newlines alike', () => {
    expect(globMatcher(['a*z'])('a/b\nc_z')).toBe(true);
  });
});
