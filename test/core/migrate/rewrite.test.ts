import { describe, expect, it } from 'vitest';
import { checkText, compileRewriter, rewriteText, type RewriteRules } from '../../../src/core/migrate/index.js';

const rules: RewriteRules = {
  names: {
    'monolith-search': 'monolith_search',
    'monolith-search-knowledge': 'monolith_search_knowledge',
    'monolith-agent-notify': 'monolith_agent_notify',
  },
  serverRenames: { 'context-forge': 'monolith' },
  ambiguous: ['monolith-get-status'],
};

const rw = (text: string, extra: Partial<Parameters<typeof rewriteText>[2]> = {}) => rewriteText(text, rules, extra).text;

describe('whole-name matching', () => {
  it('rewrites exact names and leaves near misses alone', () => {
    expect(rw('use monolith-search now')).toBe('use monolith_search now');
    expect(rw('monolith-search-knowledge')).toBe('monolith_search_knowledge');
    expect(rw('xmonolith-search')).toBe('xmonolith-search');
    expect(rw('monolith-searchx')).toBe('monolith-searchx');
    expect(rw('monolith-search-knowledge-v2')).toBe('monolith-search-knowledge-v2');
    expect(rw('monolith-search_old')).toBe('monolith-search_old');
    expect(rw('pre-monolith-search')).toBe('pre-monolith-search');
    expect(rw('https://monolith-search.internal.example.com/health')).toBe('https://monolith-search.internal.example.com/health');
    expect(rw('monolith-search.yaml')).toBe('monolith-search.yaml');
    expect(rw('émonolith-search')).toBe('émonolith-search');
  });

  it('treats a trailing full stop as punctuation', () => {
    expect(rw('Call monolith-search.')).toBe('Call monolith_search.');
    expect(rw('Call monolith-search... then wait')).toBe('Call monolith_search... then wait');
    expect(rw('Call monolith-search. Then monolith-search-knowledge.')).toBe('Call monolith_search. Then monolith_search_knowledge.');
  });

  it('finds names between common delimiters', () => {
    const input = '`monolith-search`, "monolith-search", (monolith-search), [monolith-search]: \'monolith-search\' a|monolith-search|b /monolith-search';
    expect(rw(input)).toBe(input.replaceAll('monolith-search', 'monolith_search'));
  });

  it('handles markdown underscore emphasis', () => {
    expect(rw('_monolith-search_ and __monolith-search__')).toBe('_monolith_search_ and __monolith_search__');
  });

  it('works with dotted names (Context Forge separator ".")', () => {
    const text = rewriteText('call monolith.search. not monolith.search.knowledge or monolith.searchy', {
      names: { 'monolith.search': 'monolith_search' },
    }).text;
    expect(text).toBe('call monolith_search. not monolith.search.knowledge or monolith.searchy');
  });
});

describe('Claude Code qualified names', () => {
  it('renames tool and server in mcp__server__tool', () => {
    expect(rw('"mcp__context-forge__monolith-search-knowledge"')).toBe('"mcp__monolith__monolith_search_knowledge"');
  });

  it('renames the server even when the tool is not in the map', () => {
    expect(rw('mcp__context-forge__other-tool')).toBe('mcp__monolith__other-tool');
  });

  it('renames wildcards and bare server references', () => {
    expect(rw('"mcp__context-forge__*"')).toBe('"mcp__monolith__*"');
    expect(rw('"mcp__context-forge"')).toBe('"mcp__monolith"');
    expect(rw('matcher: mcp__context-forge__.*')).toBe('matcher: mcp__monolith__.*');
  });

  it('rewrites hook matcher alternatives', () => {
    expect(rw('"mcp__context-forge__monolith-search|mcp__context-forge__monolith-agent-notify|Bash"')).toBe(
      '"mcp__monolith__monolith_search|mcp__monolith__monolith_agent_notify|Bash"',
    );
  });

  it('leaves other servers alone but still maps their tool names', () => {
    expect(rw('mcp__github__create_issue')).toBe('mcp__github__create_issue');
    expect(rw('mcp__other__monolith-search')).toBe('mcp__other__monolith_search');
  });
});

describe('server keys', () => {
  it('renames mcpServers keys in JSON with comments, keeping layout', () => {
    const input = [
      '{',
      '  // the gateway',
      '  "mcpServers": {',
      '    "context-forge": { "type": "http", "url": "https://cf.example.com/mcp" }, /* old */',
      '    "github": {}',
      '  },',
      '  "enabledMcpjsonServers": ["context-forge", "github"],',
      '  "context-forge": "not a server key"',
      '}',
    ].join('\n');
    const out = rewriteText(input, rules, { format: 'jsonc' });
    expect(out.text).toBe(
      input
        .replace('"context-forge": {', '"monolith": {')
        .replace('["context-forge"', '["monolith"'),
    );
    expect(out.replacements.map((r) => [r.line, r.column, r.kind])).toEqual([
      [4, 6, 'server-key'],
      [7, 30, 'server-key'],
    ]);
  });

  it('does not rename keys in plain text or YAML', () => {
    expect(rw('"mcpServers": {"context-forge": {}}')).toBe('"mcpServers": {"context-forge": {}}');
  });

  it('renames VS Code mcp.json servers keys only in files named mcp.json', () => {
    const input = '{"servers": {"context-forge": {}}}';
    expect(rw(input, { format: 'json', fileName: '.vscode/mcp.json' })).toBe('{"servers": {"monolith": {}}}');
    expect(rw(input, { format: 'json', fileName: 'other.json' })).toBe(input);
  });

  it('renames TOML mcp_servers tables', () => {
    const input = '[mcp_servers.context-forge]\nurl = "x"\n\n[mcp_servers."context-forge".env]\nA = "1"\n[mcp_servers.github]\n';
    expect(rw(input, { format: 'toml' })).toBe(
      '[mcp_servers.monolith]\nurl = "x"\n\n[mcp_servers."monolith".env]\nA = "1"\n[mcp_servers.github]\n',
    );
  });
});

describe('layout, locations and idempotence', () => {
  it('keeps CRLF, indentation and tabs', () => {
    const input = 'tools:\r\n\t- monolith-search\r\n    - monolith-agent-notify\r\n';
    expect(rw(input)).toBe('tools:\r\n\t- monolith_search\r\n    - monolith_agent_notify\r\n');
  });

  it('reports 1-based line and code-point columns', () => {
    const out = rewriteText('a\n🙂 monolith-search\r\n  mcp__context-forge__monolith-search', rules);
    expect(out.replacements).toEqual([
      { line: 2, column: 3, offset: 5, old: 'monolith-search', new: 'monolith_search', kind: 'name' },
      {
        line: 3,
        column: 3,
        offset: 24,
        old: 'mcp__context-forge__monolith-search',
        new: 'mcp__monolith__monolith_search',
        kind: 'qualified',
      },
    ]);
  });

  it('is idempotent', () => {
    const input = 'monolith-search mcp__context-forge__* mcp__context-forge__monolith-search-knowledge.';
    const once = rewriteText(input, rules, { format: 'json' });
    const twice = rewriteText(once.text, rules, { format: 'json' });
    expect(once.replacements.length).toBe(3);
    expect(twice.replacements).toEqual([]);
    expect(twice.text).toBe(once.text);
  });

  it('never rewrites ambiguous names', () => {
    expect(rw('monolith-get-status')).toBe('monolith-get-status');
  });

  it('reports chains, which would not be idempotent', () => {
    expect(compileRewriter({ names: { a: 'b', b: 'c' } }).chains).toEqual(['a']);
  });
});

describe('check', () => {
  const checkRules: RewriteRules = { ...rules, suspect: /^monolith-[a-z0-9]+(?:-[a-z0-9]+)*$/, newNames: ['monolith_search'] };

  it('lists stale and ambiguous names as findings, lookalikes as warnings', () => {
    const text = [
      'use monolith-search and monolith_search',
      'ambiguous: monolith-get-status, mcp__context-forge__monolith-get-status',
      'unknown: monolith-reindex-all and mcp__monolith__monolith-other',
      'host: monolith-search.internal.example.com',
    ].join('\n');
    const result = checkText(text, checkRules);
    expect(result.findings.map((f) => [f.line, f.column, f.kind, f.text, f.replacement])).toEqual([
      [1, 5, 'stale', 'monolith-search', 'monolith_search'],
      [2, 12, 'ambiguous', 'monolith-get-status', undefined],
      [2, 33, 'stale', 'mcp__context-forge__monolith-get-status', 'mcp__monolith__monolith-get-status'],
      [2, 53, 'ambiguous', 'monolith-get-status', undefined],
    ]);
    expect(result.warnings.map((w) => [w.line, w.column, w.text])).toEqual([
      [3, 10, 'monolith-reindex-all'],
      [3, 50, 'monolith-other'],
    ]);
  });

  it('is clean after apply', () => {
    const text = 'monolith-search mcp__context-forge__monolith-search-knowledge';
    const applied = rewriteText(text, checkRules).text;
    expect(checkText(applied, checkRules)).toEqual({ findings: [], warnings: [] });
  });
});
