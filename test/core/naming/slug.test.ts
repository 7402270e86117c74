import { describe, expect, it } from 'vitest';
import {
  CONTEXT_FORGE_SEPARATORS,
  contextForgeName,
  contextForgeSlug,
  contextForgeSlugChanges,
  isContextForgeSeparator,
} from '../../../src/core/naming/index.js';

// Expected values were produced by Context Forge's algorithm (mcpgateway/utils/create_slug.py)
// run under CPython's own `re` and `unicodedata`, for each separator [-, --, _, .].
const CASES: Array<[string, [string, string, string, string]]> = [
  // Context Forge's own doctests
  ['Hello World', ['hello-world', 'hello--world', 'hello_world', 'hello.world']],
  ['Test-Case_123', ['test-case-123', 'test--case--123', 'test_case_123', 'test.case.123']],
  ['Café & Restaurant', ['cafe-restaurant', 'cafe--restaurant', 'cafe_restaurant', 'cafe.restaurant']],
  ['user@example.com', ['user-example-com', 'user--example--com', 'user_example_com', 'user.example.com']],
  ["Don't Stop", ['dont-stop', 'dont--stop', 'dont_stop', 'dont.stop']],
  ['', ['', '', '', '']],
  ['   ', ['', '', '', '']],
  ['---test---', ['test', 'test', 'test', 'test']],
  ['Multiple   Spaces', ['multiple-spaces', 'multiple--spaces', 'multiple_spaces', 'multiple.spaces']],
  ['Naïve résumé', ['naive-resume', 'naive--resume', 'naive_resume', 'naive.resume']],
  ['Zürich', ['zurich', 'zurich', 'zurich', 'zurich']],
  // punctuation runs and ends
  ['a__b', ['a-b', 'a--b', 'a_b', 'a.b']],
  ['a..b', ['a-b', 'a--b', 'a_b', 'a.b']],
  ['a--b', ['a-b', 'a--b', 'a_b', 'a.b']],
  ['__a__', ['a', 'a', 'a', 'a']],
  ['A.B-C_D', ['a-b-c-d', 'a--b--c--d', 'a_b_c_d', 'a.b.c.d']],
  ['tab\tsep', ['tab-sep', 'tab--sep', 'tab_sep', 'tab.sep']],
  ["a'b'c", ['ab-c', 'ab--c', 'ab_c', 'ab.c']],
  // only the ASCII apostrophe joins a contraction
  ['don’t', ['don-t', 'don--t', 'don_t', 'don.t']],
  // Unicode: the three-entry table, NFKD, and everything else dropped
  ['Straße', ['strasse', 'strasse', 'strasse', 'strasse']],
  ['ÆØÅ', ['aeoa', 'aeoa', 'aeoa', 'aeoa']],
  ['Łódź', ['odz', 'odz', 'odz', 'odz']],
  ['œuvre', ['uvre', 'uvre', 'uvre', 'uvre']],
  ['Ｆｕｌｌ', ['full', 'full', 'full', 'full']],
  ['x²', ['x2', 'x2', 'x2', 'x2']],
  ['½ cup', ['12-cup', '12--cup', '12_cup', '12.cup']],
  ['ﬁle', ['file', 'file', 'file', 'file']],
  ['ℌello', ['Hello', 'Hello', 'Hello', 'Hello']],
  ['🙂 smile', ['smile', 'smile', 'smile', 'smile']],
  // combining marks are not word characters in Python, so a decomposed accent splits the word
  ['e\u0301te\u0301', ['e-te', 'e--te', 'e_te', 'e.te']],
  ['İstanbul', ['i-stanbul', 'i--stanbul', 'i_stanbul', 'i.stanbul']],
  // trimming happens before non-ASCII is dropped, so separators can survive at the ends
  ['中文 tool', ['-tool', '--tool', '_tool', '.tool']],
  ['tool 中文', ['tool-', 'tool--', 'tool_', 'tool.']],
  ['tool_中_x', ['tool--x', 'tool----x', 'tool__x', 'tool..x']],
  ['ΣΑΣ', ['', '', '', '']],
];

describe('contextForgeSlug', () => {
  for (const [input, expected] of CASES) {
    it(`slugs ${JSON.stringify(input)}`, () => {
      expect(CONTEXT_FORGE_SEPARATORS.map((sep) => contextForgeSlug(input, sep))).toEqual(expected);
    });
  }

  it('defaults to "-"', () => {
    expect(contextForgeSlug('Search Knowledge')).toBe('search-knowledge');
  });

  it('is idempotent for names that are already ASCII slugs', () => {
    for (const sep of CONTEXT_FORGE_SEPARATORS) {
      const once = contextForgeSlug('Monolith Search_Knowledge!', sep);
      expect(contextForgeSlug(once, sep)).toBe(once);
    }
  });
});

describe('contextForgeName', () => {
  it('joins the gateway slug and tool slug with the separator', () => {
    expect(contextForgeName('Monolith', 'search_knowledge')).toBe('monolith-search-knowledge');
    expect(contextForgeName('Monolith', 'search_knowledge', '--')).toBe('monolith--search--knowledge');
    expect(contextForgeName('Monolith', 'search_knowledge', '_')).toBe('monolith_search_knowledge');
    expect(contextForgeName('Monolith', 'search_knowledge', '.')).toBe('monolith.search.knowledge');
  });

  it('slugs the gateway name with the same separator', () => {
    expect(contextForgeName('Context Forge EU', 'Get Status', '--')).toBe('context--forge--eu--get--status');
  });

  it('produces double prefixes when a native name repeats the gateway name', () => {
    expect(contextForgeName('monolith', 'monolith_agent_notify')).toBe('monolith-monolith-agent-notify');
  });

  it('lets two native names collide', () => {
    expect(contextForgeName('monolith', 'search_knowledge')).toBe(contextForgeName('monolith', 'Search-Knowledge'));
    expect(contextForgeName('monolith', 'a.b')).toBe(contextForgeName('monolith', 'a__b'));
  });

  it('uses the bare tool slug without a gateway', () => {
    expect(contextForgeName('', 'Do Thing')).toBe('do-thing');
  });
});

describe('contextForgeSlugChanges', () => {
  it('is empty when only _ or - become the separator', () => {
    expect(contextForgeSlugChanges('search_knowledge')).toEqual([]);
    expect(contextForgeSlugChanges('search-knowledge', '_')).toEqual([]);
    expect(contextForgeSlugChanges('search_knowledge', '.')).toEqual([]);
  });

  it('names case, unicode and punctuation changes', () => {
    expect(contextForgeSlugChanges('SearchKnowledge')).toEqual(['case']);
    expect(contextForgeSlugChanges('zürich')).toEqual(['unicode']);
    expect(contextForgeSlugChanges('a__b')).toEqual(['punctuation']);
    expect(contextForgeSlugChanges('_private')).toEqual(['punctuation']);
    expect(contextForgeSlugChanges('get.status')).toEqual(['punctuation']);
    expect(contextForgeSlugChanges('Zürich Status!')).toEqual(['case', 'unicode', 'punctuation']);
  });
});

describe('isContextForgeSeparator', () => {
  it('accepts exactly what Context Forge accepts', () => {
    for (const sep of ['-', '--', '_', '.']) expect(isContextForgeSeparator(sep)).toBe(true);
    for (const sep of ['', '---', '__', '/', ':', ' ']) expect(isContextForgeSeparator(sep)).toBe(false);
  });
});
