import { createHash } from 'node:crypto';
import {
  contextForgeName,
  contextForgeSlug,
  contextForgeSlugChanges,
  planNames,
  type ContextForgeSeparator,
} from '../naming/index.js';

/** How the old names were made: Context Forge's slug rules, or another Gatehouse naming policy. */
export type OldNameRule =
  | { kind: 'contextforge'; gatewayName: string; separator: ContextForgeSeparator }
  | { kind: 'gatehouse'; prefix: string; separator: string };

/** A Gatehouse naming policy for one backend; an empty prefix means names are exposed bare. */
export interface GatehouseNameRule {
  prefix: string;
  separator: string;
}

/** Something worth a reviewer's attention about one entry. */
export type MapNote =
  /** The native name already starts with the gateway slug, so the old name repeats it. */
  | 'double-prefix'
  /** Context Forge's slug changed case, not just `_`→SEP. */
  | 'slug-case'
  /** Context Forge's slug transliterated or dropped non-ASCII characters. */
  | 'slug-unicode'
  /** Context Forge's slug folded punctuation runs, trimmed ends or dropped other symbols. */
  | 'slug-punctuation'
  /** The new name had characters outside [A-Za-z0-9_-] replaced. */
  | 'sanitized'
  /** The new name was longer than 64 characters and got a hash suffix. */
  | 'shortened'
  /** The new name collided with another new name and was disambiguated. */
  | 'disambiguated'
  /** The new name is another entry's old name: rewriting would not be idempotent. */
  | 'chain';

/** `renamed` entries are rewritten; `unchanged` need nothing; `ambiguous` old names are never rewritten. */
export type MapStatus = 'renamed' | 'unchanged' | 'ambiguous';

export interface MapEntry {
  old: string;
  new: string;
  native: string;
  status: MapStatus;
  notes: MapNote[];
  /** For ambiguous entries: the other native names that produce the same old name. */
  collidesWith?: string[];
}

/** Old names seen in the wild, sorted into what the map explains and what it cannot. */
export interface KnownOldReport {
  explained: string[];
  /** Old names of ambiguous entries: they exist, but the map cannot say which tool they meant. */
  ambiguous: string[];
  /** Already new names, nothing to do. */
  alreadyNew: string[];
  /** Neither an old nor a new name of this map: a tool that vanished, another gateway, or a typo. */
  unexplained: string[];
}

export interface MigrationMap {
  version: 1;
  rules: { from: OldNameRule; to: GatehouseNameRule };
  /** Old MCP server name → new one, for `mcp__<server>__…` and `.mcp.json` keys. */
  serverRenames: Record<string, string>;
  inputs: {
    /** The command line that produced the map, as the CLI received it. */
    command?: string;
    source?: string;
    natives: number;
    /** sha256 of the sorted native names, so a reviewer can tell whether the catalog changed. */
    nativesSha256: string;
    knownOldSource?: string;
    knownOld?: number;
  };
  /** Sorted by old name, then native name. */
  entries: MapEntry[];
  knownOld?: KnownOldReport;
}

export interface BuildMapOptions {
  natives: readonly string[];
  from: OldNameRule;
  to: GatehouseNameRule;
  serverRenames?: Readonly<Record<string, string>>;
  knownOld?: readonly string[];
  /** Where the native names came from (file, backend, gateway URL), recorded in the header. */
  source?: string;
  knownOldSource?: string;
  /** The command line to record in the header; without it one is reconstructed from the rules. */
  command?: string;
}

export interface MapSummary {
  natives: number;
  renamed: number;
  unchanged: number;
  ambiguous: number;
  doublePrefix: number;
  slugChanged: number;
  chains: number;
  knownOldUnexplained: number;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sorted, de-duplicated copy; maps and headers must not depend on input order. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(cmp);
}

function gatehouseNames(natives: readonly string[], rule: GatehouseNameRule): Map<string, { name: string; notes: MapNote[] }> {
  const plan = planNames(
    [{ backend: rule.prefix || '(bare)', prefix: rule.prefix, separator: rule.separator, names: natives }],
    rule.prefix ? 'always' : 'never',
  );
  const out = new Map<string, { name: string; notes: MapNote[] }>();
  for (const e of plan.entries) out.set(e.original, { name: e.exposed, notes: [] });
  for (const w of plan.warnings) {
    if (w.kind === 'sanitized' || w.kind === 'shortened') out.get(w.original)?.notes.push(w.kind);
    if (w.kind === 'collision') for (const l of w.losers) out.get(l.original)?.notes.push('disambiguated');
  }
  return out;
}

/** The name a native tool had under an old naming rule. */
export function oldNameFor(native: string, rule: OldNameRule): string {
  if (rule.kind === 'contextforge') return contextForgeName(rule.gatewayName, native, rule.separator);
  return gatehouseNames([native], rule).get(native)!.name;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches names that look like they were made by the old rule, for `check` warnings about names the map lacks. */
export function oldSchemePattern(rule: OldNameRule): RegExp | undefined {
  if (rule.kind === 'contextforge') {
    const gw = contextForgeSlug(rule.gatewayName, rule.separator);
    if (!gw) return undefined;
    const sep = escapeRegExp(rule.separator);
    return new RegExp(`^${escapeRegExp(gw)}${sep}[a-z0-9]+(?:${sep}[a-z0-9]+)*$`);
  }
  if (!rule.prefix) return undefined;
  return new RegExp(`^${escapeRegExp(rule.prefix + rule.separator)}[A-Za-z0-9_-]+$`);
}

/** Strips Claude Code's `mcp__<server>__` qualification so known-old names can be given either way. */
export function unqualify(name: string): string {
  const m = /^mcp__.+?__(.+)$/.exec(name);
  return m ? m[1]! : name;
}

/**
 * Builds the old→new map from native names. Never guesses: natives that mangle to the same old
 * name are all marked ambiguous and left out of the rewrite; double prefixes, slug changes beyond
 * `_`→SEP, unchanged names and chains are reported on the entries.
 */
export function buildMap(options: BuildMapOptions): MigrationMap {
  const natives = sortedUnique(options.natives);
  const { from, to } = options;
  const newNames = gatehouseNames(natives, to);
  const oldNames = from.kind === 'gatehouse' ? gatehouseNames(natives, from) : undefined;

  const byOld = new Map<string, string[]>();
  const entries: MapEntry[] = [];
  for (const native of natives) {
    const old = from.kind === 'contextforge' ? contextForgeName(from.gatewayName, native, from.separator) : oldNames!.get(native)!.name;
    const target = newNames.get(native)!;
    const notes: MapNote[] = [];
    if (from.kind === 'contextforge') {
      const gw = contextForgeSlug(from.gatewayName, from.separator);
      if (gw && contextForgeSlug(native, from.separator).startsWith(gw + from.separator)) notes.push('double-prefix');
      for (const change of contextForgeSlugChanges(native, from.separator)) notes.push(`slug-${change}`);
    } else if (from.prefix && native.startsWith(from.prefix + from.separator)) {
      notes.push('double-prefix');
    }
    notes.push(...target.notes);
    entries.push({ old, new: target.name, native, status: old === target.name ? 'unchanged' : 'renamed', notes });
    const group = byOld.get(old);
    if (group) group.push(native);
    else byOld.set(old, [native]);
  }

  for (const entry of entries) {
    const group = byOld.get(entry.old)!;
    if (group.length > 1) {
      entry.status = 'ambiguous';
      entry.collidesWith = group.filter((n) => n !== entry.native);
    }
  }
  const renamedOld = new Set(entries.filter((e) => e.status === 'renamed').map((e) => e.old));
  for (const entry of entries) {
    if (entry.status === 'renamed' && renamedOld.has(entry.new)) entry.notes.push('chain');
  }
  for (const entry of entries) entry.notes = sortedUnique(entry.notes) as MapNote[];
  entries.sort((a, b) => cmp(a.old, b.old) || cmp(a.native, b.native));

  const serverRenames: Record<string, string> = {};
  for (const k of Object.keys(options.serverRenames ?? {}).sort(cmp)) serverRenames[k] = options.serverRenames![k]!;

  const map: MigrationMap = {
    version: 1,
    rules: { from: { ...from }, to: { ...to } },
    serverRenames,
    inputs: {
      ...(options.command !== undefined ? { command: options.command } : {}),
      ...(options.source !== undefined ? { source: options.source } : {}),
      natives: natives.length,
      nativesSha256: createHash('sha256').update(natives.join('\n')).digest('hex'),
    },
    entries,
  };
  if (options.knownOld) {
    map.knownOld = classifyKnownOld(map, options.knownOld);
    if (options.knownOldSource !== undefined) map.inputs.knownOldSource = options.knownOldSource;
    map.inputs.knownOld = sortedUnique(options.knownOld.map((n) => unqualify(n.trim())).filter(Boolean)).length;
  }
  return map;
}

/** Sorts old names seen in the wild into explained, ambiguous, already new and unexplained. */
export function classifyKnownOld(map: Pick<MigrationMap, 'entries'>, knownOld: readonly string[]): KnownOldReport {
  const olds = new Map<string, MapStatus>();
  const news = new Set<string>();
  for (const e of map.entries) {
    if (olds.get(e.old) !== 'ambiguous') olds.set(e.old, e.status);
    if (e.status !== 'ambiguous') news.add(e.new);
  }
  const report: KnownOldReport = { explained: [], ambiguous: [], alreadyNew: [], unexplained: [] };
  for (const name of sortedUnique(knownOld.map((n) => unqualify(n.trim())).filter(Boolean))) {
    const status = olds.get(name);
    if (status === 'ambiguous') report.ambiguous.push(name);
    else if (status) report.explained.push(name);
    else if (news.has(name)) report.alreadyNew.push(name);
    else report.unexplained.push(name);
  }
  return report;
}

/** Counts for the command's summary line and exit code. */
export function summarizeMap(map: MigrationMap): MapSummary {
  const count = (f: (e: MapEntry) => boolean) => map.entries.filter(f).length;
  return {
    natives: map.entries.length,
    renamed: count((e) => e.status === 'renamed'),
    unchanged: count((e) => e.status === 'unchanged'),
    ambiguous: count((e) => e.status === 'ambiguous'),
    doublePrefix: count((e) => e.notes.includes('double-prefix')),
    slugChanged: count((e) => e.notes.some((n) => n.startsWith('slug-'))),
    chains: count((e) => e.notes.includes('chain')),
    knownOldUnexplained: map.knownOld?.unexplained.length ?? 0,
  };
}
