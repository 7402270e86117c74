/**
 * After a migration: client config entries that still name the old gateway's URL (recorded by
 * `gatehouse migrate map --old-url`, core/migrate/record.ts), and the edit that points them at
 * Gatehouse. Only the URL strings change, byte for byte in place; every other byte of the file
 * (other entries, headers, comments, formatting) stays, and nothing but the new URL is written.
 */
import { parseJsonTree, type JsonNode } from './json-edit.js';
import { parseDottedKey } from './toml-edit.js';

/** One entry that names an old gateway URL, and where in the text those URL strings are. */
export interface StaleEntry {
  /** The entry's name under the client's servers object. */
  name: string;
  /** The old URL as the file spells it. */
  url: string;
  /** Offsets of each string literal (quotes included) that holds an old URL. */
  spans: Array<{ start: number; end: number }>;
}

/** The same endpoint, however it is spelt (case of the host, a trailing slash, a default port). */
export function sameEndpoint(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const p = new URL(u);
      return `${p.protocol}//${p.host.toLowerCase()}${p.pathname.replace(/\/+$/, '')}${p.search}`;
    } catch {
      return undefined;
    }
  };
  const x = norm(a);
  return x !== undefined && x === norm(b);
}

/** Keys whose values may hold credentials: never read for URLs, never rewritten. */
const SKIP = new Set(['headers', 'env', 'http_headers', 'env_http_headers']);

/** Entries of a client's config file (JSON or TOML) that name one of `oldUrls`. */
export function findStaleEntries(text: string, format: 'json' | 'toml', container: string[], oldUrls: readonly string[]): StaleEntry[] {
  if (!oldUrls.length || !text.trim()) return [];
  return format === 'json' ? staleJson(text, container, oldUrls) : staleToml(text, container, oldUrls);
}

function staleJson(text: string, container: string[], oldUrls: readonly string[]): StaleEntry[] {
  let node: JsonNode | undefined = parseJsonTree(text);
  for (const key of container) node = node?.kind === 'object' ? node.members!.find((m) => m.key === key)?.value : undefined;
  if (node?.kind !== 'object') return [];
  const out: StaleEntry[] = [];
  for (const member of node.members!) {
    const spans: StaleEntry['spans'] = [];
    let url = '';
    const visit = (n: JsonNode) => {
      if (n.kind === 'string') {
        const value = JSON.parse(text.slice(n.start, n.end)) as string;
        if (oldUrls.some((u) => sameEndpoint(u, value))) {
          spans.push({ start: n.start, end: n.end });
          url ||= value;
        }
      } else if (n.kind === 'object') {
        for (const m of n.members!) if (!SKIP.has(m.key)) visit(m.value);
      } else if (n.kind === 'array') n.items!.forEach(visit);
    };
    visit(member.value);
    if (spans.length) out.push({ name: member.key, url, spans });
  }
  return out;
}

/** `[mcp_servers.NAME]` tables: basic-string values (`url = "…"`, items of `args = [...]`). */
function staleToml(text: string, container: string[], oldUrls: readonly string[]): StaleEntry[] {
  const byName = new Map<string, StaleEntry>();
  let current: string | undefined;
  let offset = 0;
  for (const line of text.split('\n')) {
    const header = /^\s*\[\s*([^[\]]+?)\s*\]\s*(#.*)?$/.exec(line);
    if (header) {
      const path = parseDottedKey(header[1]!);
      current = path && path.length === container.length + 1 && container.every((k, i) => path[i] === k) ? path.at(-1) : undefined;
    } else if (current !== undefined) {
      const key = /^\s*([A-Za-z0-9_-]+)\s*=/.exec(line)?.[1];
      if (key && !SKIP.has(key)) {
        for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
          const value = m[1]!;
          if (!oldUrls.some((u) => sameEndpoint(u, value))) continue;
          const entry = byName.get(current) ?? { name: current, url: value, spans: [] };
          entry.spans.push({ start: offset + m.index!, end: offset + m.index! + m[0].length });
          byName.set(current, entry);
        }
      }
    }
    offset += line.length + 1;
  }
  return [...byName.values()];
}

/** The text with every span of these entries holding `newUrl` instead (as a quoted string). */
export function repointText(text: string, entries: readonly StaleEntry[], newUrl: string): string {
  const spans = entries.flatMap((e) => e.spans).sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = `${out.slice(0, s.start)}${JSON.stringify(newUrl)}${out.slice(s.end)}`;
  return out;
}
