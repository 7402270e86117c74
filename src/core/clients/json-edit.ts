/**
 * Minimal, formatting-preserving edits of JSON (and JSONC) files: the file is scanned into a tree
 * of positions, and only the bytes of one member are inserted or replaced. Everything else
 * (other entries, key order, indentation, comments, line endings) stays as it was.
 */

export interface JsonNode {
  kind: 'object' | 'array' | 'string' | 'number' | 'literal';
  start: number;
  end: number;
  members?: JsonMember[];
  items?: JsonNode[];
}

export interface JsonMember {
  key: string;
  keyStart: number;
  value: JsonNode;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export function parseJsonTree(text: string): JsonNode {
  let i = 0;
  const n = text.length;

  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i);
  };

  function skip(): void {
    while (i < n) {
      const c = text[i]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\uFEFF') i++;
      else if (c === '/' && text[i + 1] === '/') {
        while (i < n && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) fail('unterminated comment');
        i = close + 2;
      } else break;
    }
  }

  function str(): JsonNode {
    const start = i;
    i++;
    while (i < n) {
      const c = text[i]!;
      if (c === '\\') i += 2;
      else if (c === '"') {
        i++;
        return { kind: 'string', start, end: i };
      } else if (c === '\n') fail('newline in string');
      else i++;
    }
    return fail('unterminated string');
  }

  function value(): JsonNode {
    skip();
    if (i >= n) fail('unexpected end of input');
    const c = text[i]!;
    if (c === '{') return obj();
    if (c === '[') return arr();
    if (c === '"') return str();
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) fail(`unexpected character ${JSON.stringify(c)}`);
    const start = i;
    i += m![0].length;
    return { kind: /^[-\d]/.test(m![0]) ? 'number' : 'literal', start, end: i };
  }

  function obj(): JsonNode {
    const start = i;
    i++;
    const members: JsonMember[] = [];
    skip();
    if (text[i] === '}') {
      i++;
      return { kind: 'object', start, end: i, members };
    }
    for (;;) {
      skip();
      if (text[i] === '}') {
        i++;
        break; // trailing comma (JSONC)
      }
      if (text[i] !== '"') fail('expected a quoted key');
      const k = str();
      const key = JSON.parse(text.slice(k.start, k.end)) as string;
      skip();
      if (text[i] !== ':') fail('expected ":"');
      i++;
      const v = value();
      members.push({ key, keyStart: k.start, value: v });
      skip();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        break;
      }
      fail('expected "," or "}"');
    }
    return { kind: 'object', start, end: i, members };
  }

  function arr(): JsonNode {
    const start = i;
    i++;
    const items: JsonNode[] = [];
    for (;;) {
      skip();
      if (text[i] === ']') {
        i++;
        break;
      }
      items.push(value());
      skip();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        break;
      }
      fail('expected "," or "]"');
    }
    return { kind: 'array', start, end: i, items };
  }

  const root = value();
  skip();
  if (i < n) fail('unexpected content after the JSON value');
  return root;
}

export function nodeValue(text: string, node: JsonNode): unknown {
  switch (node.kind) {
    case 'object':
      return Object.fromEntries(node.members!.map((m) => [m.key, nodeValue(text, m.value)]));
    case 'array':
      return node.items!.map((it) => nodeValue(text, it));
    default:
      return JSON.parse(text.slice(node.start, node.end));
  }
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function indentOfLine(text: string, offset: number): string {
  const s = lineStart(text, offset);
  return /^[ \t]*/.exec(text.slice(s))![0];
}

function sameLine(text: string, a: number, b: number): boolean {
  return !text.slice(Math.min(a, b), Math.max(a, b)).includes('\n');
}

/** The file's indent unit, guessed from the first nested line; two spaces when there is none. */
export function detectIndentUnit(text: string): string {
  for (const line of text.split('\n')) {
    const m = /^([ \t]+)\S/.exec(line);
    if (m) return m[1]!.startsWith('\t') ? '\t' : m[1]!;
  }
  return '  ';
}

function serialize(value: unknown, unit: string, indent: string, eol: string): string {
  return JSON.stringify(value, null, unit).replace(/\n/g, `${eol}${indent}`);
}

export type UpsertAction = 'created' | 'added' | 'replaced' | 'unchanged';

export class EntryConflictError extends Error {
  constructor(
    readonly key: string,
    readonly existing: unknown,
    /** Set when the entry is written in a form this editor does not rewrite (TOML inline table). */
    readonly inlineLine?: number,
  ) {
    super(inlineLine === undefined ? `an entry named "${key}" already exists with different settings` : `"${key}" is defined inline on line ${inlineLine}`);
  }
}

/**
 * Sets `path.concat(key)` to `value` in a JSON document, touching only the bytes of that member
 * (or of the smallest missing parent). Refuses to replace a different existing value unless
 * `force`.
 */
export function upsertJsonMember(text: string, path: string[], key: string, value: unknown, opts: { force?: boolean } = {}): { text: string; action: UpsertAction } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  if (text.trim() === '') {
    let doc: unknown = { [key]: value };
    for (const seg of [...path].reverse()) doc = { [seg]: doc };
    return { text: `${JSON.stringify(doc, null, 2).replace(/\n/g, eol)}${eol}`, action: 'created' };
  }
  const unit = detectIndentUnit(text);
  const root = parseJsonTree(text);
  if (root.kind !== 'object') throw new JsonSyntaxError('the top level is not a JSON object', root.start);

  let node = root;
  for (let depth = 0; depth < path.length; depth++) {
    const seg = path[depth]!;
    const m = node.members!.find((x) => x.key === seg);
    if (!m) {
      let rest: unknown = { [key]: value };
      for (const s of path.slice(depth + 1).reverse()) rest = { [s]: rest };
      return { text: insertMember(text, node, seg, rest, unit, eol), action: 'added' };
    }
    if (m.value.kind !== 'object') throw new JsonSyntaxError(`"${path.slice(0, depth + 1).join('.')}" is not an object`, m.value.start);
    node = m.value;
  }
  const existing = node.members!.filter((x) => x.key === key).at(-1);
  if (!existing) return { text: insertMember(text, node, key, value, unit, eol), action: 'added' };
  const current = nodeValue(text, existing.value);
  if (deepEqual(current, value)) return { text, action: 'unchanged' };
  if (!opts.force) throw new EntryConflictError(key, current);
  const indent = indentOfLine(text, existing.keyStart);
  // Inside a one-line object the replacement stays on one line too.
  const replacement = sameLine(text, node.start, node.end) ? JSON.stringify(value) : serialize(value, unit, indent, eol);
  return { text: text.slice(0, existing.value.start) + replacement + text.slice(existing.value.end), action: 'replaced' };
}

function insertMember(text: string, obj: JsonNode, key: string, value: unknown, unit: string, eol: string): string {
  const members = obj.members!;
  const objIndent = indentOfLine(text, obj.start);
  if (members.length === 0) {
    const indent = objIndent + unit;
    const inner = `${eol}${indent}${JSON.stringify(key)}: ${serialize(value, unit, indent, eol)}${eol}${objIndent}`;
    return text.slice(0, obj.start + 1) + inner + text.slice(obj.end - 1);
  }
  const last = members.at(-1)!;
  const first = members[0]!;
  if (sameLine(text, obj.start, first.keyStart)) {
    // A compact object: keep it on one line.
    return `${text.slice(0, last.value.end)}, ${JSON.stringify(key)}: ${JSON.stringify(value)}${text.slice(last.value.end)}`;
  }
  const indent = indentOfLine(text, last.keyStart);
  return `${text.slice(0, last.value.end)},${eol}${indent}${JSON.stringify(key)}: ${serialize(value, unit, indent, eol)}${text.slice(last.value.end)}`;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
