import { EntryConflictError, type UpsertAction } from './json-edit.js';

/**
 * Textual edits of a TOML file at table granularity: a `[table.key]` block (with its
 * `[table.key.sub]` tables) is appended or replaced, and every other byte stays as it was.
 */

export function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** A TOML basic string; JSON's escapes are a subset TOML accepts. */
export function tomlString(s: string): string {
  return JSON.stringify(s);
}

export function tomlValue(v: unknown): string {
  if (typeof v === 'string') return tomlString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`).join(', ')} }`;
  throw new Error(`cannot write ${String(v)} as TOML`);
}

/** `[a.b]` for a table whose values are scalars, arrays or small inline tables. */
export function renderTomlTable(path: string[], values: Record<string, unknown>): string {
  const lines = [`[${path.map(tomlKey).join('.')}]`];
  for (const [k, v] of Object.entries(values)) if (v !== undefined) lines.push(`${tomlKey(k)} = ${tomlValue(v)}`);
  return `${lines.join('\n')}\n`;
}

/** Splits a dotted header key, honouring quoted parts: `mcp_servers."my.server"` → [mcp_servers, my.server]. */
export function parseDottedKey(s: string): string[] | undefined {
  const parts: string[] = [];
  let i = 0;
  const t = s.trim();
  while (i < t.length) {
    while (t[i] === ' ' || t[i] === '\t') i++;
    if (t[i] === '"') {
      let j = i + 1;
      while (j < t.length && t[j] !== '"') j += t[j] === '\\' ? 2 : 1;
      try {
        parts.push(JSON.parse(t.slice(i, j + 1)) as string);
      } catch {
        return undefined;
      }
      i = j + 1;
    } else if (t[i] === "'") {
      const j = t.indexOf("'", i + 1);
      if (j < 0) return undefined;
      parts.push(t.slice(i + 1, j));
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(t.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
    while (t[i] === ' ' || t[i] === '\t') i++;
    if (i < t.length) {
      if (t[i] !== '.') return undefined;
      i++;
    }
  }
  return parts;
}

interface Header {
  line: number;
  path: string[];
  array: boolean;
}

function headers(lines: string[]): Header[] {
  const out: Header[] = [];
  let inMultiline: string | undefined;
  lines.forEach((raw, line) => {
    // Skip the inside of multi-line strings, where a "[" line is data, not a header.
    const quotes: string[] = raw.match(/"""|'''/g) ?? [];
    if (inMultiline) {
      if (quotes.includes(inMultiline)) inMultiline = undefined;
      return;
    }
    if (quotes.length % 2 === 1) {
      inMultiline = quotes[0];
      return;
    }
    const m = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/.exec(raw);
    if (!m) return;
    const path = parseDottedKey(m[2]!);
    if (path) out.push({ line, path, array: m[1] === '[[' });
  });
  return out;
}

const startsWith = (path: string[], prefix: string[]) => prefix.every((p, i) => path[i] === p);

/** Whitespace and comments outside strings dropped; the header reduced to its key path. */
function normalizeBlock(s: string): string {
  const out: string[] = [];
  for (const raw of s.split(/\r?\n/)) {
    const header = /^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$/.exec(raw);
    if (header) {
      out.push(`[${JSON.stringify(parseDottedKey(header[1]!) ?? header[1])}]`);
      continue;
    }
    let line = '';
    let quote: string | undefined;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (quote) {
        line += c;
        if (c === '\\' && quote === '"') line += raw[++i] ?? '';
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") {
        quote = c;
        line += c;
      } else if (c === '#') break;
      else if (c !== ' ' && c !== '\t') line += c;
    }
    if (line) out.push(line);
  }
  return out.join('\n');
}

/**
 * Puts `table` (rendered by renderTomlTable for `path`) into the document: appended when absent,
 * left alone when identical, replaced (with its sub-tables) only with `force`.
 */
export function upsertTomlTable(text: string, path: string[], table: string, opts: { force?: boolean } = {}): { text: string; action: UpsertAction } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = table.replace(/\n/g, eol);
  if (text.trim() === '') return { text: body, action: 'created' };
  const lines = text.split(/\r?\n/);
  const hs = headers(lines);
  const idx = hs.findIndex((h) => !h.array && h.path.length === path.length && startsWith(h.path, path));
  if (idx < 0) {
    const inline = definedInline(lines, hs, path);
    if (inline !== undefined) throw new EntryConflictError(path.at(-1)!, lines[inline], inline + 1);
    const sep = text.endsWith('\n') ? (text.endsWith(`${eol}${eol}`) ? '' : eol) : `${eol}${eol}`;
    return { text: `${text}${sep}${body}`, action: 'added' };
  }
  // The block runs to the next header that is not one of its own sub-tables.
  let endHeader = idx + 1;
  while (endHeader < hs.length && hs[endHeader]!.path.length > path.length && startsWith(hs[endHeader]!.path, path)) endHeader++;
  const startLine = hs[idx]!.line;
  let endLine = endHeader < hs.length ? hs[endHeader]!.line : lines.length;
  // Leave the blank lines and comments that precede the next table where they are.
  while (endLine > startLine + 1 && /^\s*(#.*)?$/.test(lines[endLine - 1]!)) endLine--;
  const existing = lines.slice(startLine, endLine).join('\n');
  if (normalizeBlock(existing) === normalizeBlock(table)) return { text, action: 'unchanged' };
  if (!opts.force) throw new EntryConflictError(path.at(-1)!, existing);
  const before = lines.slice(0, startLine);
  const after = lines.slice(endLine);
  const replaced = [...before, ...table.replace(/\n$/, '').split('\n'), ...after].join(eol);
  return { text: replaced, action: 'replaced' };
}

/** The line where `path` is defined as a key inside its parent table (`name = { … }`), if it is. */
function definedInline(lines: string[], hs: Header[], path: string[]): number | undefined {
  const parent = path.slice(0, -1);
  const key = path.at(-1)!;
  for (let h = 0; h < hs.length; h++) {
    const header = hs[h]!;
    if (header.array) continue;
    const rel = header.path.length <= parent.length && startsWith(parent, header.path) ? parent.slice(header.path.length) : undefined;
    if (!rel) continue;
    const end = h + 1 < hs.length ? hs[h + 1]!.line : lines.length;
    for (let l = header.line + 1; l < end; l++) {
      const m = /^\s*([^=#\[]+?)\s*=/.exec(lines[l]!);
      const k = m && parseDottedKey(m[1]!);
      if (k && k.length >= rel.length + 1 && startsWith(k, [...rel, key])) return l;
    }
  }
  // Top-level dotted keys before any header.
  const firstHeader = hs.length ? hs[0]!.line : lines.length;
  for (let l = 0; l < firstHeader; l++) {
    const m = /^\s*([^=#\[]+?)\s*=/.exec(lines[l]!);
    const k = m && parseDottedKey(m[1]!);
    if (k && k.length >= path.length && startsWith(k, path)) return l;
  }
  return undefined;
}
