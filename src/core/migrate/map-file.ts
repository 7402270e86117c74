import YAML from 'yaml';
import { UserError } from '../errors.js';
import { isContextForgeSeparator } from '../naming/index.js';
import type { GatehouseNameRule, MapEntry, MapStatus, MigrationMap, OldNameRule } from './map.js';

/** Formats `migrate map` can write. */
export type MapFormat = 'yaml' | 'json' | 'csv';
export const MAP_FORMATS: readonly MapFormat[] = ['yaml', 'json', 'csv'];

/** What `apply`, `check` and served aliases need from a map file, however it was written. */
export interface LoadedMap {
  /** old → new, renamed entries only. */
  names: Map<string, string>;
  /** Old names the map refuses to rewrite because several natives produce them. */
  ambiguous: Set<string>;
  /** New names, so `check` does not warn about names that are already migrated. */
  newNames: Set<string>;
  serverRenames: Map<string, string>;
  rules?: { from?: OldNameRule; to?: GatehouseNameRule };
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command that regenerates this map (the caller's own when it passed one), recorded in every format's header. */
export function regenerateCommand(map: MigrationMap): string {
  if (map.inputs.command) return map.inputs.command;
  const { from, to } = map.rules;
  const args = ['gatehouse', 'migrate', 'map', '--from', from.kind];
  if (from.kind === 'contextforge') args.push('--gateway-name', shellQuote(from.gatewayName), '--separator', shellQuote(from.separator));
  else args.push('--prefix', shellQuote(from.prefix), '--separator', shellQuote(from.separator));
  args.push('--to-prefix', shellQuote(to.prefix), '--to-separator', shellQuote(to.separator));
  for (const [o, n] of Object.entries(map.serverRenames)) args.push('--server-rename', shellQuote(`${o}=${n}`));
  if (map.inputs.source !== undefined) args.push('--tools', shellQuote(map.inputs.source));
  if (map.inputs.knownOldSource !== undefined) args.push('--known-old', shellQuote(map.inputs.knownOldSource));
  return args.join(' ');
}

function headerLines(map: MigrationMap): string[] {
  return [
    'Gatehouse tool-name migration map (generated; review, then commit).',
    `Regenerate: ${regenerateCommand(map)}`,
  ];
}

function documentFor(map: MigrationMap): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    version: map.version,
    rules: map.rules,
    serverRenames: map.serverRenames,
    inputs: map.inputs,
    entries: map.entries.map((e) => ({
      old: e.old,
      new: e.new,
      native: e.native,
      status: e.status,
      ...(e.notes.length ? { notes: e.notes } : {}),
      ...(e.collidesWith ? { collidesWith: e.collidesWith } : {}),
    })),
  };
  if (map.knownOld) doc.knownOld = map.knownOld;
  return doc;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s.startsWith('#') ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Serialises a map; the output depends only on the map's content, so regenerating gives a reviewable diff. */
export function formatMap(map: MigrationMap, format: MapFormat): string {
  if (format === 'json') {
    return `${JSON.stringify({ $comment: headerLines(map).join(' '), ...documentFor(map) }, null, 2)}\n`;
  }
  if (format === 'yaml') {
    const body = YAML.stringify(documentFor(map), { lineWidth: 0 });
    return `${headerLines(map).map((l) => `# ${l}`).join('\n')}\n${body}`;
  }
  const { from, to } = map.rules;
  const comments = [
    ...headerLines(map),
    from.kind === 'contextforge'
      ? `from: contextforge gatewayName=${from.gatewayName} separator=${from.separator}`
      : `from: gatehouse prefix=${from.prefix} separator=${from.separator}`,
    `to: gatehouse prefix=${to.prefix} separator=${to.separator}`,
    ...Object.entries(map.serverRenames).map(([o, n]) => `server-rename: ${o}=${n}`),
    `inputs: natives=${map.inputs.natives} sha256=${map.inputs.nativesSha256}` +
      (map.inputs.source !== undefined ? ` source=${map.inputs.source}` : ''),
    ...(map.knownOld ? [`known-old unexplained: ${map.knownOld.unexplained.join(' ') || '(none)'}`] : []),
  ];
  const rows = map.entries.map((e) =>
    [e.old, e.new, e.native, e.status, [...e.notes, ...(e.collidesWith ?? []).map((c) => `collides-with:${c}`)].join(';')]
      .map(csvField)
      .join(','),
  );
  return `${comments.map((c) => `# ${c}`).join('\n')}\nold,new,native,status,notes\n${rows.join('\n')}\n`;
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else v += line[i++];
      }
      out.push(v);
      i++; // the comma
    } else {
      const end = line.indexOf(',', i);
      const stop = end === -1 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

function bad(file: string | undefined, message: string, hint?: string): UserError {
  return new UserError(`${file ? `${file}: ` : ''}${message}`, {
    code: 'MIGRATE_MAP_INVALID',
    hint: hint ?? 'Regenerate it with `gatehouse migrate map`, or fix the entry by hand.',
  });
}

/** Guesses a map file's format from its name, falling back to its first character. */
export function detectMapFormat(text: string, fileName?: string): MapFormat {
  const lower = fileName?.toLowerCase() ?? '';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  const first = text.replace(/^\uFEFF/, '').trimStart();
  if (first.startsWith('{')) return 'json';
  if (/^(#[^\n]*\n)*old,new\b/.test(first)) return 'csv';
  return 'yaml';
}

function asRecordOfStrings(v: unknown, where: string, file?: string): Map<string, string> {
  const out = new Map<string, string>();
  if (v === undefined || v === null) return out;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(file, `${where} must be a mapping of old name to new name`);
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'string' || !val || !k) throw bad(file, `${where}.${k} must be a non-empty string`);
    out.set(k, val);
  }
  return out;
}

function readRules(doc: Record<string, unknown>): LoadedMap['rules'] {
  const rules = doc.rules as Record<string, unknown> | undefined;
  if (!rules || typeof rules !== 'object') return undefined;
  const out: NonNullable<LoadedMap['rules']> = {};
  const from = rules.from as Record<string, unknown> | undefined;
  if (from?.kind === 'contextforge' && typeof from.gatewayName === 'string' && typeof from.separator === 'string' && isContextForgeSeparator(from.separator)) {
    out.from = { kind: 'contextforge', gatewayName: from.gatewayName, separator: from.separator };
  } else if (from?.kind === 'gatehouse' && typeof from.prefix === 'string' && typeof from.separator === 'string') {
    out.from = { kind: 'gatehouse', prefix: from.prefix, separator: from.separator };
  }
  const to = rules.to as Record<string, unknown> | undefined;
  if (to && typeof to.prefix === 'string' && typeof to.separator === 'string') out.to = { prefix: to.prefix, separator: to.separator };
  return out;
}

interface RawEntry {
  old: string;
  new: string;
  status: MapStatus;
}

function collect(entries: RawEntry[], file?: string): Pick<LoadedMap, 'names' | 'ambiguous' | 'newNames'> {
  const names = new Map<string, string>();
  const ambiguous = new Set<string>();
  const newNames = new Set<string>();
  for (const e of entries) {
    if (e.status === 'ambiguous') {
      ambiguous.add(e.old);
      continue;
    }
    newNames.add(e.new);
    if (e.status !== 'renamed') continue;
    const prior = names.get(e.old);
    if (prior !== undefined && prior !== e.new) {
      throw bad(file, `old name ${e.old} maps to both ${prior} and ${e.new}`, 'Mark it ambiguous or keep one mapping.');
    }
    names.set(e.old, e.new);
  }
  for (const old of ambiguous) names.delete(old);
  return { names, ambiguous, newNames };
}

const STATUSES: readonly MapStatus[] = ['renamed', 'unchanged', 'ambiguous'];

function readEntries(v: unknown, file?: string): RawEntry[] {
  if (!Array.isArray(v)) throw bad(file, 'entries must be a list');
  return v.map((raw, i) => {
    const e = raw as Record<string, unknown>;
    if (!e || typeof e.old !== 'string' || !e.old || typeof e.new !== 'string' || !e.new) {
      throw bad(file, `entries[${i}] needs non-empty old and new names`);
    }
    const status = (e.status ?? (e.old === e.new ? 'unchanged' : 'renamed')) as MapStatus;
    if (!STATUSES.includes(status)) throw bad(file, `entries[${i}].status must be one of ${STATUSES.join(', ')}`);
    return { old: e.old, new: e.new, status };
  });
}

/**
 * Reads a map written by formatMap (YAML, JSON or CSV), or a hand-written one: `{map: {old: new}}`,
 * `{mappings: {old: new}}` or a flat `{old: new}` object, each with optional `serverRenames`.
 */
export function parseMap(text: string, options: { format?: MapFormat; fileName?: string } = {}): LoadedMap {
  const file = options.fileName;
  const body = text.replace(/^\uFEFF/, '');
  const format = options.format ?? detectMapFormat(body, file);

  if (format === 'csv') {
    const lines = body.split(/\r?\n/);
    const serverRenames = new Map<string, string>();
    const entries: RawEntry[] = [];
    let header: string[] | undefined;
    for (const line of lines) {
      if (!line.trim()) continue;
      if (line.startsWith('#')) {
        const m = /^#\s*server-rename:\s*([^=\s]+)=(\S+)\s*$/.exec(line);
        if (m) serverRenames.set(m[1]!, m[2]!);
        continue;
      }
      const fields = parseCsvLine(line);
      if (!header) {
        header = fields.map((f) => f.trim());
        if (!header.includes('old') || !header.includes('new')) throw bad(file, 'CSV needs a header with old and new columns');
        continue;
      }
      const row = Object.fromEntries(header.map((h, i) => [h, fields[i] ?? '']));
      entries.push(...readEntries([{ old: row.old, new: row.new, ...(row.status ? { status: row.status } : {}) }], file));
    }
    return { ...collect(entries, file), serverRenames };
  }

  let doc: unknown;
  try {
    doc = format === 'json' ? JSON.parse(body) : YAML.parse(body);
  } catch (e) {
    throw bad(file, `cannot parse the map as ${format.toUpperCase()}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw bad(file, 'a map must be a mapping at the top level');
  const d = doc as Record<string, unknown>;
  const serverRenames = asRecordOfStrings(d.serverRenames, 'serverRenames', file);
  if (d.entries !== undefined) {
    return { ...collect(readEntries(d.entries, file), file), serverRenames, rules: readRules(d) };
  }
  const flat = d.map ?? d.mappings ?? Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'serverRenames' && k !== '$comment' && k !== 'version'));
  const pairs = asRecordOfStrings(flat, d.map !== undefined ? 'map' : d.mappings !== undefined ? 'mappings' : '(top level)', file);
  const entries: RawEntry[] = [...pairs].map(([old, n]) => ({ old, new: n, status: old === n ? 'unchanged' : 'renamed' }));
  return { ...collect(entries, file), serverRenames, rules: readRules(d) };
}

/** Turns a map built in memory into the loaded form, without a round trip through a file. */
export function loadedFromMap(map: MigrationMap): LoadedMap {
  return {
    ...collect(map.entries as MapEntry[]),
    serverRenames: new Map(Object.entries(map.serverRenames)),
    rules: { from: map.rules.from, to: map.rules.to },
  };
}
