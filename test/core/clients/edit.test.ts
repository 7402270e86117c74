import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/core/clients/diff.js';
import { EntryConflictError, JsonSyntaxError, parseJsonTree, nodeValue, upsertJsonMember } from '../../../src/core/clients/json-edit.js';
import { parseDottedKey, renderTomlTable, upsertTomlTable } from '../../../src/core/clients/toml-edit.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/client-configs/${name}`, import.meta.url), 'utf8');
const ENTRY = { type: 'http', url: 'http://127.0.0.1:7420/mcp' };

describe('upsertJsonMember', () => {
  it('creates a document from nothing', () => {
    const r = upsertJsonMember('', ['mcpServers'], 'gatehouse', ENTRY);
    expect(r.action).toBe('created');
    expect(r.text).toBe('{\n  "mcpServers": {\n    "gatehouse": {\n      "type": "http",\n      "url": "http://127.0.0.1:7420/mcp"\n    }\n  }\n}\n');
  });

  it('adds next to existing entries with the file\'s own indentation, touching nothing else', () => {
    const before = fixture('claude-project.mcp.json');
    const r = upsertJsonMember(before, ['mcpServers'], 'gatehouse', ENTRY);
    expect(r.action).toBe('added');
    expect(r.text).toBe(
      before.replace(
        '        }\n    }\n}',
        '        },\n        "gatehouse": {\n            "type": "http",\n            "url": "http://127.0.0.1:7420/mcp"\n        }\n    }\n}',
      ),
    );
    expect(JSON.parse(r.text).mcpServers.github).toEqual(JSON.parse(before).mcpServers.github);
  });

  it('only touches the top-level mcpServers, not a project\'s', () => {
    const before = fixture('claude-user.claude.json');
    const r = upsertJsonMember(before, ['mcpServers'], 'gatehouse', ENTRY);
    const after = JSON.parse(r.text);
    expect(Object.keys(after.mcpServers)).toEqual(['filesystem', 'gatehouse']);
    expect(after.projects['/home/me/src/app'].mcpServers).toEqual({ 'local-only': { command: 'node', args: ['server.js'] } });
    // Every original line survives in order.
    const kept = r.text.split('\n');
    let i = 0;
    for (const line of before.split('\n')) {
      const at = kept.indexOf(line, i);
      expect(at, line).toBeGreaterThanOrEqual(i);
      i = at + 1;
    }
  });

  it('adds the mcpServers key when missing, with tabs', () => {
    const r = upsertJsonMember(fixture('claude-user-no-servers.claude.json'), ['mcpServers'], 'gatehouse', ENTRY);
    expect(r.text).toBe('{\n\t"theme": "dark",\n\t"telemetry": false,\n\t"mcpServers": {\n\t\t"gatehouse": {\n\t\t\t"type": "http",\n\t\t\t"url": "http://127.0.0.1:7420/mcp"\n\t\t}\n\t}\n}\n');
  });

  it('keeps CRLF line endings', () => {
    const before = fixture('cursor-tabs-crlf.mcp.json');
    const r = upsertJsonMember(before, ['mcpServers'], 'gatehouse', { url: 'http://127.0.0.1:7420/mcp' });
    expect(r.text.replace(/\r\n/g, '')).not.toContain('\n');
    expect(r.text).toContain('\t\t},\r\n\t\t"gatehouse": {\r\n\t\t\t"url": "http://127.0.0.1:7420/mcp"\r\n\t\t}\r\n\t}');
  });

  it('fills an empty object and keeps comments and a trailing comma (JSONC)', () => {
    const before = fixture('cursor-jsonc-empty.mcp.json');
    const r = upsertJsonMember(before, ['mcpServers'], 'gatehouse', { url: 'http://x/mcp' });
    expect(r.text).toBe('// Cursor accepts comments here\n{\n  "mcpServers": {\n    "gatehouse": {\n      "url": "http://x/mcp"\n    }\n  }, // none yet\n}\n');
    expect(nodeValue(r.text, parseJsonTree(r.text))).toEqual({ mcpServers: { gatehouse: { url: 'http://x/mcp' } } });
  });

  it('keeps a one-line object on one line', () => {
    const r = upsertJsonMember('{"mcpServers": {"a": {"url": "http://a"}}}', ['mcpServers'], 'b', { url: 'http://b' });
    expect(r.text).toBe('{"mcpServers": {"a": {"url": "http://a"}, "b": {"url":"http://b"}}}');
  });

  it('is idempotent, refuses a different same-named entry, replaces it with force', () => {
    const once = upsertJsonMember(fixture('claude-project.mcp.json'), ['mcpServers'], 'gatehouse', ENTRY).text;
    expect(upsertJsonMember(once, ['mcpServers'], 'gatehouse', { url: ENTRY.url, type: 'http' })).toEqual({ text: once, action: 'unchanged' });
    const other = { ...ENTRY, url: 'http://127.0.0.1:9999/mcp' };
    expect(() => upsertJsonMember(once, ['mcpServers'], 'gatehouse', other)).toThrow(EntryConflictError);
    const forced = upsertJsonMember(once, ['mcpServers'], 'gatehouse', other, { force: true });
    expect(forced.action).toBe('replaced');
    expect(forced.text).toBe(once.replace('7420', '9999'));
  });

  it('reports syntax errors with an offset and refuses non-objects', () => {
    expect(() => upsertJsonMember('{"mcpServers": {', ['mcpServers'], 'x', {})).toThrow(JsonSyntaxError);
    expect(() => upsertJsonMember('[]', ['mcpServers'], 'x', {})).toThrow(/top level is not a JSON object/);
    expect(() => upsertJsonMember('{"mcpServers": []}', ['mcpServers'], 'x', {})).toThrow(/"mcpServers" is not an object/);
    try {
      upsertJsonMember('{\n  "a": 1,\n  "b": oops\n}', ['mcpServers'], 'x', {});
    } catch (e) {
      expect((e as JsonSyntaxError).offset).toBe(19);
    }
  });

  it('understands escaped keys', () => {
    const r = upsertJsonMember('{"mcpServers": {"g\\u0061tehouse": {"url": "u"}}}', ['mcpServers'], 'gatehouse', { url: 'u' });
    expect(r.action).toBe('unchanged');
  });
});

describe('upsertTomlTable', () => {
  const table = renderTomlTable(['mcp_servers', 'gatehouse'], { command: 'gatehouse', args: ['connect', 'https://mcp.example.dev/mcp', '--token', 'homelab'] });

  it('renders a table', () => {
    expect(table).toBe('[mcp_servers.gatehouse]\ncommand = "gatehouse"\nargs = ["connect", "https://mcp.example.dev/mcp", "--token", "homelab"]\n');
    expect(renderTomlTable(['mcp_servers', 'my.server'], { url: 'u' })).toBe('[mcp_servers."my.server"]\nurl = "u"\n');
  });

  it('appends, keeps everything else, is idempotent', () => {
    const before = fixture('codex-config.toml');
    const r = upsertTomlTable(before, ['mcp_servers', 'gatehouse'], table);
    expect(r).toEqual({ text: `${before}\n${table}`, action: 'added' });
    expect(upsertTomlTable(r.text, ['mcp_servers', 'gatehouse'], table)).toEqual({ text: r.text, action: 'unchanged' });
    expect(upsertTomlTable('', ['mcp_servers', 'gatehouse'], table)).toEqual({ text: table, action: 'created' });
  });

  it('replaces a table with its sub-tables only with force, leaving what follows', () => {
    const before = fixture('codex-config.toml');
    const docs = renderTomlTable(['mcp_servers', 'docs'], { url: 'http://127.0.0.1:7420/mcp' });
    expect(() => upsertTomlTable(before, ['mcp_servers', 'docs'], docs)).toThrow(EntryConflictError);
    const r = upsertTomlTable(before, ['mcp_servers', 'docs'], docs, { force: true });
    expect(r.action).toBe('replaced');
    expect(r.text).toBe(before.replace('command = "npx"\nargs = ["-y", "mcp-server-docs"]\n\n[mcp_servers.docs.env]\nDOCS_ROOT = "/srv/docs"\n', 'url = "http://127.0.0.1:7420/mcp"\n'));
  });

  it('treats a quoted header and spacing differences as the same table', () => {
    const text = `[ mcp_servers."gatehouse" ]\ncommand="gatehouse"\nargs = [ "connect", "https://mcp.example.dev/mcp", "--token", "homelab" ]\n`;
    expect(upsertTomlTable(text, ['mcp_servers', 'gatehouse'], table)).toEqual({ text, action: 'unchanged' });
  });

  it('will not guess at an inline definition', () => {
    expect(() => upsertTomlTable(fixture('codex-inline.toml'), ['mcp_servers', 'gatehouse'], table)).toThrow(/defined inline on line 2/);
    expect(() => upsertTomlTable('mcp_servers.gatehouse.command = "x"\n', ['mcp_servers', 'gatehouse'], table)).toThrow(EntryConflictError);
  });

  it('parses dotted keys', () => {
    expect(parseDottedKey(`a."b.c".'d'`)).toEqual(['a', 'b.c', 'd']);
    expect(parseDottedKey('a b')).toBeUndefined();
  });
});

describe('unifiedDiff', () => {
  it('shows one hunk with context, and new files against /dev/null', () => {
    const a = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n';
    const b = 'l1\nl2\nl3\nl4\nX\nl6\nl7\nl8\n';
    expect(unifiedDiff(a, b, '.mcp.json')).toBe('--- .mcp.json\n+++ .mcp.json\n@@ -2,7 +2,7 @@\n l2\n l3\n l4\n-l5\n+X\n l6\n l7\n l8\n');
    expect(unifiedDiff('', 'a\nb\n', 'f')).toBe('--- /dev/null\n+++ f\n@@ -0,0 +1,2 @@\n+a\n+b\n');
    expect(unifiedDiff(a, a, 'f')).toBe('');
  });

  it('splits distant changes into separate hunks', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
    const b = a.replace('l1\n', 'X\n').replace('l18', 'Y');
    const d = unifiedDiff(a, b, 'f');
    expect(d.match(/^@@/gm)).toHaveLength(2);
    expect(d).toContain('@@ -1,5 +1,5 @@');
    expect(d).toContain('@@ -16,5 +16,5 @@');
  });
});
