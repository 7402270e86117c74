import { createHash } from 'node:crypto';

/** How the gateway prefixes names: always, only when two backends expose the same name, or never. */
export type PrefixMode = 'always' | 'conditional' | 'never';
export const PREFIX_MODES: readonly PrefixMode[] = ['always', 'conditional', 'never'];
export const DEFAULT_PREFIX_MODE: PrefixMode = 'always';
export const DEFAULT_NAME_SEPARATOR = '_';

/** Longest exposed name; Claude's `mcp__server__tool` form and most LLM APIs reject longer ones. */
export const MAX_EXPOSED_NAME_LENGTH = 64;
/** What every exposed tool or prompt name must match. */
export const EXPOSED_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const HASH_LENGTH = 8;
const INVALID_RUN = /[^A-Za-z0-9_-]+/g;
const COMBINING_MARKS = /\p{M}+/gu;

/** True when `name` can be exposed as is. */
export function isValidExposedName(name: string): boolean {
  return EXPOSED_NAME_PATTERN.test(name);
}

/** Short, stable hash used to keep shortened and disambiguated names unique and reproducible. */
export function shortHash(s: string, length = HASH_LENGTH): string {
  return createHash('sha256').update(s).digest('hex').slice(0, length);
}

/** Replaces what the exposed-name alphabet cannot carry: accents are dropped, any other invalid run becomes `_`. */
export function sanitizeName(name: string): string {
  return name.normalize('NFKD').replace(COMBINING_MARKS, '').replace(INVALID_RUN, '_');
}

/** Fits a valid name into `max` characters by keeping its start (where the prefix is) and appending a hash of `hashSource`. */
export function shortenName(name: string, hashSource: string = name, max = MAX_EXPOSED_NAME_LENGTH): string {
  if (name.length <= max) return name;
  const hash = shortHash(hashSource);
  const head = name.slice(0, Math.max(0, max - hash.length - 1)).replace(/[_-]+$/, '');
  return `${head}_${hash}`;
}

/** One backend's names as the gateway sees them, with its prefix settings. */
export interface NamingInput {
  backend: string;
  /** Defaults to the backend name. */
  prefix?: string;
  /** Defaults to `_`. */
  separator?: string;
  names: readonly string[];
}

/** One name as exposed to clients. */
export interface NameEntry {
  backend: string;
  original: string;
  exposed: string;
}

export interface NameRef {
  backend: string;
  original: string;
}

export type NamingWarning =
  | { kind: 'sanitized'; backend: string; original: string; exposed: string; message: string }
  | { kind: 'shortened'; backend: string; original: string; exposed: string; fullLength: number; message: string }
  | { kind: 'duplicate'; backend: string; original: string; message: string }
  | {
      kind: 'collision';
      /** The name several entries wanted. */
      name: string;
      winner: NameEntry;
      losers: NameEntry[];
      message: string;
    };

/** The result of applying the naming policy to a whole catalog. */
export interface NamePlan {
  /** In input order: backends as given, names as each backend listed them (duplicates removed). */
  entries: NameEntry[];
  warnings: NamingWarning[];
  byExposed: ReadonlyMap<string, NameEntry>;
  /** exposed → backend and original name, for routing a call. */
  resolve(exposed: string): NameRef | undefined;
  /** backend and original → exposed name, for listing and notifications. */
  exposedName(backend: string, original: string): string | undefined;
}

interface Item {
  backend: string;
  backendIndex: number;
  original: string;
  prefix: string;
  separator: string;
  prefixed: boolean;
  candidate: string;
  /** True when the candidate is the raw composition, untouched by sanitizing or shortening. */
  natural: boolean;
  exposed: string;
}

interface Fitted {
  name: string;
  sanitized: boolean;
  shortened: boolean;
  fullLength: number;
}

function fit(raw: string): Fitted {
  if (EXPOSED_NAME_PATTERN.test(raw)) return { name: raw, sanitized: false, shortened: false, fullLength: raw.length };
  let name = sanitizeName(raw);
  const sanitized = name !== raw;
  if (name === '') name = `unnamed_${shortHash(raw)}`;
  const fullLength = name.length;
  const shortened = name.length > MAX_EXPOSED_NAME_LENGTH;
  if (shortened) name = shortenName(name, raw);
  return { name, sanitized, shortened, fullLength };
}

const key = (backend: string, original: string): string => `${backend}\u0000${original}`;

function better(a: Item, b: Item): boolean {
  if (a.natural !== b.natural) return a.natural;
  if (a.backendIndex !== b.backendIndex) return a.backendIndex < b.backendIndex;
  return a.original < b.original;
}

/**
 * Applies the naming policy to every backend's names at once. O(n) in the number of names, so the
 * gateway can run it on every catalog refresh (once for tools, once for prompts; resource URIs are
 * never renamed). Collisions never throw: the entry whose name needed no sanitizing wins, then the
 * earlier backend, then the smaller original name; the others get a prefixed or hash-suffixed
 * name and a warning.
 */
export function planNames(inputs: readonly NamingInput[], mode: PrefixMode = DEFAULT_PREFIX_MODE): NamePlan {
  const warnings: NamingWarning[] = [];
  const items: Item[] = [];
  const seen = new Set<string>();
  const fittedCache = new Map<string, Fitted>();
  const fitCached = (raw: string): Fitted => {
    let f = fittedCache.get(raw);
    if (!f) fittedCache.set(raw, (f = fit(raw)));
    return f;
  };

  inputs.forEach((input, backendIndex) => {
    const prefix = input.prefix ?? input.backend;
    const separator = input.separator ?? DEFAULT_NAME_SEPARATOR;
    for (const original of input.names) {
      const k = key(input.backend, original);
      if (seen.has(k)) {
        warnings.push({
          kind: 'duplicate',
          backend: input.backend,
          original,
          message: `backend ${input.backend} lists ${JSON.stringify(original)} more than once; exposing it once`,
        });
        continue;
      }
      seen.add(k);
      items.push({ backend: input.backend, backendIndex, original, prefix, separator, prefixed: false, candidate: '', natural: true, exposed: '' });
    }
  });

  // Conditional mode prefixes a name when more than one backend would expose it bare.
  const bareOwners = new Map<string, string | null>();
  if (mode === 'conditional') {
    for (const item of items) {
      const bare = fitCached(item.original).name;
      const owner = bareOwners.get(bare);
      if (owner === undefined) bareOwners.set(bare, item.backend);
      else if (owner !== null && owner !== item.backend) bareOwners.set(bare, null);
    }
  }

  const fitted = new Map<Item, Fitted>();
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const prefixed =
      mode === 'always' ||
      (mode === 'conditional' && bareOwners.get(fitCached(item.original).name) === null);
    const raw = prefixed ? `${item.prefix}${item.separator}${item.original}` : item.original;
    const f = fitCached(raw);
    item.prefixed = prefixed;
    item.candidate = f.name;
    item.natural = !f.sanitized && !f.shortened;
    fitted.set(item, f);
    const group = groups.get(f.name);
    if (group) group.push(item);
    else groups.set(f.name, [item]);
  }

  const taken = new Set<string>(groups.keys());
  const assigned = new Set<string>();
  const fallback = (item: Item): string => {
    if (!item.prefixed) {
      const p = fitCached(`${item.prefix}${item.separator}${item.original}`).name;
      if (!taken.has(p) && !assigned.has(p)) return p;
    }
    for (let attempt = 0; ; attempt++) {
      const hash = shortHash(`${key(item.backend, item.original)}\u0000${attempt}`, 6);
      const head = item.candidate.slice(0, MAX_EXPOSED_NAME_LENGTH - hash.length - 1);
      const name = `${head}_${hash}`;
      if (!taken.has(name) && !assigned.has(name)) return name;
    }
  };

  for (const [name, group] of groups) {
    let winner = group[0]!;
    for (const item of group) if (better(item, winner)) winner = item;
    winner.exposed = name;
    assigned.add(name);
    if (group.length === 1) continue;
    const losers: NameEntry[] = [];
    for (const item of group) {
      if (item === winner) continue;
      item.exposed = fallback(item);
      assigned.add(item.exposed);
      losers.push({ backend: item.backend, original: item.original, exposed: item.exposed });
    }
    warnings.push({
      kind: 'collision',
      name,
      winner: { backend: winner.backend, original: winner.original, exposed: name },
      losers,
      message:
        `${group.length} names map to ${name}; ${winner.backend}/${winner.original} keeps it, ` +
        losers.map((l) => `${l.backend}/${l.original} becomes ${l.exposed}`).join(', '),
    });
  }

  const entries: NameEntry[] = [];
  const byExposed = new Map<string, NameEntry>();
  const byKey = new Map<string, string>();
  for (const item of items) {
    const entry: NameEntry = { backend: item.backend, original: item.original, exposed: item.exposed };
    entries.push(entry);
    byExposed.set(entry.exposed, entry);
    byKey.set(key(item.backend, item.original), item.exposed);
    const f = fitted.get(item)!;
    if (f.sanitized) {
      warnings.push({
        kind: 'sanitized',
        backend: item.backend,
        original: item.original,
        exposed: item.exposed,
        message: `${item.backend}/${item.original} has characters outside [A-Za-z0-9_-]; exposed as ${item.exposed}`,
      });
    }
    if (f.shortened) {
      warnings.push({
        kind: 'shortened',
        backend: item.backend,
        original: item.original,
        exposed: item.exposed,
        fullLength: f.fullLength,
        message: `${item.backend}/${item.original} would be ${f.fullLength} characters (max ${MAX_EXPOSED_NAME_LENGTH}); exposed as ${item.exposed}`,
      });
    }
  }

  return {
    entries,
    warnings,
    byExposed,
    resolve(exposed) {
      const e = byExposed.get(exposed);
      return e ? { backend: e.backend, original: e.original } : undefined;
    },
    exposedName(backend, original) {
      return byKey.get(key(backend, original));
    },
  };
}
