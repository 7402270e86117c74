import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, stringify, type Document } from 'yaml';
import type { z } from 'zod';
import { UserError, ExitCode } from '../errors.js';
import { configSchema, type GatehouseConfig } from './schema.js';
import { MAX_CONFIG_BYTES, formatBytes, readBoundedFile } from './read-file.js';

/** More backends than any real gateway runs; a bound so a pasted or generated file cannot make every command crawl. */
export const MAX_BACKENDS = 500;
/** YAML aliases expanded per document; an alias bomb (billion laughs) stops here with a clean error. */
export const MAX_YAML_ALIASES = 100;

/** Where a config path sits in the source text (1-based), when the source is a document we parsed. */
export type IssueLocator = (path: ReadonlyArray<PropertyKey>) => { line: number; col: number } | undefined;

export interface ConfigIssue {
  /** Path inside the config, e.g. ["backends", "github", "url"]. */
  path: string[];
  /** What is wrong and how to fix it, in one line. */
  message: string;
  code: string;
  line?: number;
  col?: number;
}

/** Turns schema issues into one message that names the file, the path inside it and the fix. */
export function formatIssues(source: string, issues: z.core.$ZodIssue[], locate?: IssueLocator, data?: unknown): string {
  return formatConfigIssues(source, describeIssues(issues, locate, data));
}

export function formatConfigIssues(source: string, issues: ConfigIssue[]): string {
  const lines = issues.slice(0, 12).map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    const pos = issue.line ? `:${issue.line}:${issue.col ?? 1}` : '';
    return `  ${source}${pos}: ${where}: ${issue.message}`;
  });
  if (issues.length > 12) lines.push(`  … and ${issues.length - 12} more`);
  return lines.join('\n');
}

/**
 * One entry per problem. An unknown key is reported at the key itself (not at its parent), so the
 * path and line point to what must be removed or renamed.
 */
export function describeIssues(issues: z.core.$ZodIssue[], locate?: IssueLocator, data?: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(data, issue.path);
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const guess = allowed ? closest(key, allowed) : undefined;
        const fix = guess ? `did you mean "${guess}"?` : allowed ? `allowed here: ${allowed.join(', ')}` : 'remove it or check the spelling';
        out.push({ path: keyPath, code: issue.code, message: `unknown key "${key}" (${fix})`, ...locate?.(keyPath) });
      }
      continue;
    }
    out.push({ path, code: issue.code, message: describeIssue(issue, valueAt(data, issue.path)), ...locate?.(issue.path) });
  }
  return out;
}

type Found = { present: false } | { present: true; value: unknown };

/** zod does not keep the input in its issues, so look the value up in the data we validated. */
function valueAt(data: unknown, path: ReadonlyArray<PropertyKey>): Found {
  let cur: unknown = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, seg)) return { present: false };
    cur = (cur as Record<PropertyKey, unknown>)[seg];
  }
  return { present: true, value: cur };
}

function describeIssue(issue: z.core.$ZodIssue, found: Found): string {
  switch (issue.code) {
    case 'invalid_union': {
      const u = issue as z.core.$ZodIssueInvalidUnion & { discriminator?: string; options?: unknown[] };
      if (u.discriminator) return `"${u.discriminator}" must be one of ${(u.options ?? []).map(String).join(', ')}`;
      return issue.message;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      if (!found.present || found.value === undefined) return `required: add it (${describeExpected(issue.expected)} expected)`;
      if (found.value === null) return `is empty: give it a value (${describeExpected(issue.expected)} expected)`;
      return `${describeExpected(issue.expected)} expected, got ${describeInput(found.value)}${issue.expected === 'string' ? ' (quote the value)' : ''}`;
    case 'invalid_format':
      if (issue.format === 'url') return 'not a valid http(s) URL (write it like https://host.example/mcp)';
      return issue.message;
    case 'invalid_key': {
      const inner = issue.issues[0];
      return `invalid name: ${inner ? inner.message : issue.message}`;
    }
    case 'too_small':
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}${issue.origin === 'string' || issue.origin === 'array' ? ' in length' : ''}`;
    case 'too_big':
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}${issue.origin === 'string' || issue.origin === 'array' ? ' in length' : ''}`;
    default:
      return issue.message;
  }
}

function describeExpected(expected: string): string {
  return expected === 'object' ? 'a mapping' : expected === 'array' ? 'a list' : `a ${expected}`;
}

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `a ${typeof input} (${JSON.stringify(input)})`;
}

/** The keys the schema allows at `path`, following the data to pick a backend type. */
export function allowedKeysAt(data: unknown, path: ReadonlyArray<PropertyKey>): string[] | undefined {
  let schema: unknown = configSchema;
  let value: unknown = data;
  const unwrap = (s: unknown): unknown => {
    let cur = s as { _zod?: { def: Record<string, unknown> } };
    for (let i = 0; i < 10 && cur?._zod; i++) {
      const def = cur._zod.def;
      if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault') cur = def.innerType as typeof cur;
      else if (def.type === 'union' && Array.isArray(def.options) && (def as { discriminator?: string }).discriminator) {
        const disc = (def as { discriminator: string }).discriminator;
        const want = value && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
        const match = (def.options as Array<{ _zod: { def: { shape?: Record<string, { _zod: { def: { values?: unknown[] } } }> } } }>).find((o) =>
          o._zod.def.shape?.[disc]?._zod.def.values?.includes(want),
        );
        if (!match) return undefined;
        cur = match as typeof cur;
      } else break;
    }
    return cur;
  };
  for (const seg of [...path, null]) {
    const s = unwrap(schema) as { _zod?: { def: Record<string, unknown> } } | undefined;
    if (!s?._zod) return undefined;
    const def = s._zod.def;
    if (seg === null) return def.type === 'object' ? Object.keys(def.shape as object) : undefined;
    if (def.type === 'object') schema = (def.shape as Record<string, unknown>)[String(seg)];
    else if (def.type === 'record') schema = def.valueType;
    else if (def.type === 'array') schema = def.element;
    else return undefined;
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[String(seg)] : undefined;
  }
  return undefined;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return bestDist <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Validates an already-parsed object as Gatehouse config. Throws a UserError naming `source`. */
export function validateConfig(data: unknown, source: string, locate?: IssueLocator): GatehouseConfig {
  const result = configSchema.safeParse(data ?? {});
  if (!result.success) {
    const issues = describeIssues(result.error.issues, locate, data);
    throw new UserError(`Invalid configuration in ${source}:\n${formatConfigIssues(source, issues)}`, {
      code: 'config_invalid',
      hint: `Fix the keys above in ${source}, then run \`gatehouse config validate ${source}\`.`,
      exit: ExitCode.failure,
      details: { source, issues },
    });
  }
  return result.data;
}

/** Finds the 1-based line and column of a path in a parsed YAML (or JSON) document. */
export function yamlLocator(doc: Document, lineCounter: LineCounter): IssueLocator {
  return (path) => {
    let node: unknown = doc.contents;
    let offset: number | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (!pair) break;
        offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)] as { range?: [number, number, number] } | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset);
  };
}

export interface ParsedConfigText {
  config: GatehouseConfig;
  /** The document as written, comments included; see yaml.ts to update it in place. */
  doc: Document;
  /** The plain data before defaults were applied. */
  data: unknown;
}

/** Parses YAML (or JSON, which is YAML) text with positions, then validates it. */
export function parseConfigDocument(text: string, source: string): ParsedConfigText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    const duplicate = first.code === 'DUPLICATE_KEY';
    throw new UserError(`Cannot parse ${source}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${first.message.split('\n')[0]}`, {
      code: 'config_parse',
      hint: duplicate ? 'A key appears twice in the same mapping; keep one of them.' : 'Fix the YAML syntax at that position (indentation and quoting are the usual causes).',
      details: { source, line: pos?.line, col: pos?.col },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) ?? {};
  } catch (e) {
    if (!(e instanceof ReferenceError) && !/alias/i.test((e as Error).message)) throw e;
    throw new UserError(`Cannot load ${source}: its YAML aliases expand too far (${(e as Error).message.split('\n')[0]}).`, {
      code: 'config_aliases',
      hint: `Use fewer YAML aliases (*name), or write the repeated values out; at most ${MAX_YAML_ALIASES} alias expansions are allowed.`,
      details: { source },
    });
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`Invalid configuration in ${source}: the top level must be a mapping (version, gateway, backends), not ${describeInput(data)}.`, {
      code: 'config_invalid',
      hint: `Start ${source} with \`version: 1\` and a \`backends:\` mapping; \`gatehouse config export\` prints an example.`,
      details: { source, issues: [{ path: [], code: 'invalid_type', message: 'the top level must be a mapping' }] },
    });
  }
  const backends = (data as { backends?: unknown }).backends;
  if (backends && typeof backends === 'object' && Object.keys(backends).length > MAX_BACKENDS) {
    throw new UserError(`${source} lists ${Object.keys(backends).length} backends, over the limit of ${MAX_BACKENDS}.`, {
      code: 'config_too_many_backends',
      hint: 'Check that it is the right file; split a generated list across gateways.',
      details: { source, backends: Object.keys(backends).length, max: MAX_BACKENDS },
    });
  }
  return { config: validateConfig(data, source, yamlLocator(doc, lineCounter)), doc, data };
}

export function parseConfigText(text: string, source: string): GatehouseConfig {
  return parseConfigDocument(text, source).config;
}

/** Reads a config file to parse: bounded in size, and never blocking on a FIFO or failing raw on a directory. */
export async function readConfigText(path: string): Promise<string> {
  const text = await readBoundedFile(path, { what: 'config file', sizeHint: `Config files are limited to ${formatBytes(MAX_CONFIG_BYTES)}.` });
  if (text === undefined) {
    throw new UserError(`Cannot read config file ${path}: no such file`, {
      code: 'config_missing',
      hint: 'Check the path, or create one with `gatehouse config export --output gatehouse.yaml`.',
    });
  }
  return text;
}

export async function loadConfigFile(path: string): Promise<GatehouseConfig> {
  return parseConfigText(await readConfigText(path), path);
}

export function configToYaml(config: GatehouseConfig): string {
  return stringify(config, { lineWidth: 0 });
}
