import type { LoadedMap } from './map-file.js';
import { oldSchemePattern } from './map.js';

/** Kinds of text files the walker recognises; structure-aware edits (server keys) depend on it. */
export type FileFormat = 'yaml' | 'json' | 'jsonc' | 'markdown' | 'toml' | 'text';

type NameTable = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** What to rewrite and what to look for. A LoadedMap fits as is. */
export interface RewriteRules {
  /** old → new tool or prompt names. */
  names: NameTable;
  /** old → new MCP server names (Claude Code's `mcp__<server>__…`, `.mcp.json` keys). */
  serverRenames?: NameTable;
  /** Old names that must not be rewritten but still count as stale in `check`. */
  ambiguous?: Iterable<string>;
  /** Already-migrated names; never reported as suspects. */
  newNames?: Iterable<string>;
  /** Matches names made by the old scheme (see oldSchemePattern); unmapped matches become `check` warnings. */
  suspect?: RegExp;
}

export type EditKind =
  /** A bare tool name. */
  | 'name'
  /** `mcp__<server>__<tool>` with a renamed tool (and maybe server). */
  | 'qualified'
  /** `mcp__<server>__…` or `mcp__<server>` where only the server is renamed (wildcards too). */
  | 'server'
  /** A server's key in `mcpServers` (JSON) or `[mcp_servers.<name>]` (TOML), or an entry of enabled/disabledMcpjsonServers. */
  | 'server-key';

/** One change, located in the original text (1-based line, 1-based column in code points). */
export interface Replacement {
  line: number;
  column: number;
  /** UTF-16 offset in the original text. */
  offset: number;
  old: string;
  new: string;
  kind: EditKind;
}

export interface RewriteResult {
  text: string;
  replacements: Replacement[];
}

export type FindingKind =
  /** An old name the map rewrites: apply has not run here. */
  | 'stale'
  /** An old name the map cannot rewrite because several tools produced it. */
  | 'ambiguous'
  /** Looks like the old scheme but is in neither side of the map, or is a bare old server name. */
  | 'suspect';

export interface Finding {
  line: number;
  column: number;
  offset: number;
  /** The text as found. */
  text: string;
  kind: FindingKind;
  /** For stale findings: what apply would write. */
  replacement?: string;
}

export interface CheckResult {
  /** Stale and ambiguous old names: `check` fails on any. */
  findings: Finding[];
  /** Suspect names: `check` warns. */
  warnings: Finding[];
}

export interface TextOptions {
  format?: FileFormat;
  /** The file's name, for format-specific rules such as VS Code's `mcp.json` `servers` key. */
  fileName?: string;
}

/** A rewriter compiled once per map and reused for every file. */
export interface Rewriter {
  rewrite(text: string, options?: TextOptions): RewriteResult;
  check(text: string, options?: TextOptions): CheckResult;
  /** Old names whose new name is itself an old name; rewriting them is not idempotent. */
  readonly chains: string[];
}

interface Hit {
  offset: number;
  length: number;
  kind: EditKind | 'ambiguous' | 'suspect';
  replacement?: string;
  /** Structural hits win over token hits when they overlap. */
  priority: number;
}

// Names are made of [A-Za-z0-9_.-]. Letters and digits of any script also extend a token, so a
// name glued to a word in another script is not a whole-name match.
const TOKEN = /[\p{L}\p{N}\p{M}_.-]+/gu;
const SERVER_LIST_KEYS = new Set(['enabledMcpjsonServers', 'disabledMcpjsonServers']);
const SERVER_MAP_KEYS = new Set(['mcpServers', 'mcp_servers']);
const TOML_SERVER_HEADER = /^([ \t]*\[\[?[ \t]*mcp_servers[ \t]*\.[ \t]*)(?:"([^"\n]*)"|'([^'\n]*)'|([A-Za-z0-9_-]+))/gm;

function toMap(table: NameTable | undefined): ReadonlyMap<string, string> {
  if (!table) return new Map();
  return table instanceof Map ? table : new Map(Object.entries(table));
}

function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(i + 1);
}

/** Finds server keys in JSON or JSONC without parsing, so comments and layout stay untouched. */
function jsonServerHits(text: string, renames: ReadonlyMap<string, string>, vscodeMcpJson: boolean): Hit[] {
  interface Frame {
    kind: 'obj' | 'arr';
    key: string | undefined;
    expectKey: boolean;
    lastKey: string | undefined;
  }
  const hits: Hit[] = [];
  const stack: Frame[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      i = nl === -1 ? n : nl;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? n : close + 2;
      continue;
    }
    if (c === '"') {
      const start = i + 1;
      i++;
      while (i < n && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      const raw = text.slice(start, i);
      i++;
      const top = stack[stack.length - 1];
      // Escaped names cannot be server names worth renaming; skipping them keeps offsets simple.
      const replacement = raw.includes('\\') ? undefined : renames.get(raw);
      if (top?.kind === 'obj' && top.expectKey) {
        top.lastKey = raw;
        top.expectKey = false;
        const inServers =
          (top.key !== undefined && SERVER_MAP_KEYS.has(top.key)) || (vscodeMcpJson && top.key === 'servers' && stack.length === 2);
        if (inServers && replacement !== undefined) hits.push({ offset: start, length: raw.length, kind: 'server-key', replacement, priority: 1 });
      } else if (top?.kind === 'arr' && top.key !== undefined && SERVER_LIST_KEYS.has(top.key) && replacement !== undefined) {
        hits.push({ offset: start, length: raw.length, kind: 'server-key', replacement, priority: 1 });
      }
      continue;
    }
    if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      stack.push({ kind: c === '{' ? 'obj' : 'arr', key: top?.kind === 'obj' ? top.lastKey : undefined, expectKey: c === '{', lastKey: undefined });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.kind === 'obj') top.expectKey = true;
    }
    i++;
  }
  return hits;
}

function tomlServerHits(text: string, renames: ReadonlyMap<string, string>): Hit[] {
  const hits: Hit[] = [];
  TOML_SERVER_HEADER.lastIndex = 0;
  for (let m = TOML_SERVER_HEADER.exec(text); m; m = TOML_SERVER_HEADER.exec(text)) {
    const name = m[2] ?? m[3] ?? m[4]!;
    const replacement = renames.get(name);
    if (replacement === undefined) continue;
    const quoted = m[2] !== undefined || m[3] !== undefined;
    hits.push({ offset: m.index + m[1]!.length + (quoted ? 1 : 0), length: name.length, kind: 'server-key', replacement, priority: 1 });
  }
  return hits;
}

/** Maps UTF-16 offsets to 1-based line and code-point column. */
function locator(text: string): (offset: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    let column = 1;
    for (let i = starts[lo]!; i < offset; i++) {
      const code = text.charCodeAt(i);
      if (code < 0xdc00 || code > 0xdfff) column++;
    }
    return { line: lo + 1, column };
  };
}

/** Compiles a map into a rewriter: one regex scan per file and constant-time lookups per token. */
export function compileRewriter(rules: RewriteRules | LoadedMap): Rewriter {
  const names = toMap(rules.names);
  const servers = toMap(rules.serverRenames);
  const ambiguous = new Set(rules.ambiguous ?? []);
  const newNames = new Set(rules.newNames ?? []);
  for (const v of names.values()) newNames.add(v);
  const from = 'rules' in rules ? rules.rules?.from : undefined;
  const suspect = ('suspect' in rules ? rules.suspect : undefined) ?? (from ? oldSchemePattern(from) : undefined);
  const chains = [...names].filter(([, v]) => names.has(v)).map(([k]) => k).sort();

  const isSuspect = (name: string): boolean =>
    suspect !== undefined && suspect.test(name) && !names.has(name) && !ambiguous.has(name) && !newNames.has(name);

  function tokenHits(token: string, at: number, out: Hit[], withChecks: boolean): void {
    let end = token.length;
    while (end > 0 && token[end - 1] === '.') end--; // a full stop ends a sentence, not a name
    if (end === 0) return;
    const t = end === token.length ? token : token.slice(0, end);

    const direct = names.get(t);
    if (direct !== undefined) {
      out.push({ offset: at, length: end, kind: 'name', replacement: direct, priority: 0 });
      return;
    }
    if (ambiguous.has(t)) {
      if (withChecks) out.push({ offset: at, length: end, kind: 'ambiguous', priority: 0 });
      return;
    }

    if (t.startsWith('mcp__')) {
      const rest = t.slice(5);
      const sepAt = rest.indexOf('__');
      if (sepAt > 0) {
        const server = rest.slice(0, sepAt);
        const tool = rest.slice(sepAt + 2);
        const newServer = servers.get(server) ?? server;
        const newTool = (tool && names.get(tool)) || tool;
        if (newServer !== server || newTool !== tool) {
          out.push({ offset: at, length: end, kind: newTool !== tool ? 'qualified' : 'server', replacement: `mcp__${newServer}__${newTool}`, priority: 0 });
        }
        if (withChecks && tool && newTool === tool) {
          const toolAt = at + 5 + sepAt + 2;
          if (ambiguous.has(tool)) out.push({ offset: toolAt, length: tool.length, kind: 'ambiguous', priority: 0 });
          else if (isSuspect(tool)) out.push({ offset: toolAt, length: tool.length, kind: 'suspect', priority: 0 });
        }
        return;
      }
      if (sepAt === -1 && rest) {
        const newServer = servers.get(rest);
        if (newServer !== undefined) out.push({ offset: at, length: end, kind: 'server', replacement: `mcp__${newServer}`, priority: 0 });
        return;
      }
    }

    // Markdown emphasis with underscores: _name_ or __name__.
    for (const k of [2, 1]) {
      const bar = k === 2 ? '__' : '_';
      if (t.length > 2 * k && t.startsWith(bar) && t.endsWith(bar)) {
        const inner = t.slice(k, -k);
        const hit = names.get(inner);
        if (hit !== undefined) {
          out.push({ offset: at + k, length: inner.length, kind: 'name', replacement: hit, priority: 0 });
          return;
        }
        if (withChecks && ambiguous.has(inner)) {
          out.push({ offset: at + k, length: inner.length, kind: 'ambiguous', priority: 0 });
          return;
        }
      }
    }

    // A bare old server name (`claude mcp call context-forge …`) is not rewritten, only pointed out.
    if (withChecks && (isSuspect(t) || servers.has(t))) out.push({ offset: at, length: end, kind: 'suspect', priority: 0 });
  }

  function collect(text: string, options: TextOptions, withChecks: boolean): Hit[] {
    const hits: Hit[] = [];
    if (servers.size > 0) {
      const format = options.format ?? 'text';
      if (format === 'json' || format === 'jsonc') {
        hits.push(...jsonServerHits(text, servers, options.fileName !== undefined && baseName(options.fileName) === 'mcp.json'));
      } else if (format === 'toml') {
        hits.push(...tomlServerHits(text, servers));
      }
    }
    if (names.size > 0 || servers.size > 0 || ambiguous.size > 0 || (withChecks && suspect)) {
      TOKEN.lastIndex = 0;
      for (let m = TOKEN.exec(text); m; m = TOKEN.exec(text)) tokenHits(m[0], m.index, hits, withChecks);
    }
    hits.sort((a, b) => a.offset - b.offset || b.priority - a.priority);
    // check reports everything it saw (a suspect is dropped where a real finding starts);
    // rewriting needs non-overlapping edits.
    if (withChecks) {
      const real = new Set(hits.filter((h) => h.kind !== 'suspect').map((h) => h.offset));
      return hits.filter((h) => h.kind !== 'suspect' || !real.has(h.offset));
    }
    const kept: Hit[] = [];
    let covered = 0;
    for (const h of hits) {
      if (h.offset < covered) continue;
      kept.push(h);
      covered = h.offset + h.length;
    }
    return kept;
  }

  return {
    chains,
    rewrite(text, options = {}) {
      const hits = collect(text, options, false).filter((h) => h.replacement !== undefined && h.replacement !== text.substr(h.offset, h.length));
      if (hits.length === 0) return { text, replacements: [] };
      const locate = locator(text);
      const parts: string[] = [];
      const replacements: Replacement[] = [];
      let last = 0;
      for (const h of hits) {
        const old = text.slice(h.offset, h.offset + h.length);
        parts.push(text.slice(last, h.offset), h.replacement!);
        last = h.offset + h.length;
        replacements.push({ ...locate(h.offset), offset: h.offset, old, new: h.replacement!, kind: h.kind as EditKind });
      }
      parts.push(text.slice(last));
      return { text: parts.join(''), replacements };
    },
    check(text, options = {}) {
      const hits = collect(text, options, true);
      const result: CheckResult = { findings: [], warnings: [] };
      if (hits.length === 0) return result;
      const locate = locator(text);
      for (const h of hits) {
        const found = text.slice(h.offset, h.offset + h.length);
        if (h.kind === 'suspect') {
          result.warnings.push({ ...locate(h.offset), offset: h.offset, text: found, kind: 'suspect' });
        } else if (h.kind === 'ambiguous') {
          result.findings.push({ ...locate(h.offset), offset: h.offset, text: found, kind: 'ambiguous' });
        } else if (h.replacement !== found) {
          result.findings.push({ ...locate(h.offset), offset: h.offset, text: found, kind: 'stale', replacement: h.replacement });
        }
      }
      return result;
    },
  };
}

/** One-off rewrite of a text; compile once with compileRewriter when handling many files. */
export function rewriteText(text: string, rules: RewriteRules | LoadedMap, options: TextOptions = {}): RewriteResult {
  return compileRewriter(rules).rewrite(text, options);
}

/** One-off check of a text; compile once with compileRewriter when handling many files. */
export function checkText(text: string, rules: RewriteRules | LoadedMap, options: TextOptions = {}): CheckResult {
  return compileRewriter(rules).check(text, options);
}
