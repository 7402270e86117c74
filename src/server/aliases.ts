import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { AliasesConfig } from '../core/config/schema.js';
import { UserError } from '../core/errors.js';
import { parseMap } from '../core/migrate/map-file.js';

export interface Alias {
  alias: string;
  target: string;
  /** YYYY-MM-DD; the alias is refused after this day. */
  expires?: string;
}

export interface Usage {
  count: number;
  lastCalledAt: string;
}

/**
 * Old tool names that still route to their new names during a cut-over, with usage counted per
 * alias and client so the operator can see when nobody calls the old names any more.
 */
export class AliasTable {
  readonly listAliases: boolean;
  private readonly byAlias = new Map<string, Alias>();
  private readonly usage = new Map<string, Map<string, Usage>>();
  /** Counts other replicas of a cluster published, by replica id (issue 12). */
  private readonly remote = new Map<string, Record<string, Record<string, Usage>>>();

  constructor(aliases: Alias[], listAliases = false) {
    this.listAliases = listAliases;
    for (const a of aliases) this.byAlias.set(a.alias, a);
  }

  static async load(config: AliasesConfig | undefined, baseDir: string): Promise<AliasTable> {
    const out: Alias[] = [];
    for (const f of config?.files ?? []) {
      const path = isAbsolute(f) ? f : join(baseDir, f);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        throw new UserError(`Cannot read alias map ${path}.`, { code: 'aliases_missing', hint: 'Check gateway.aliases.files; paths are relative to the config file.' });
      }
      const map = parseMap(text, { fileName: path });
      for (const [alias, target] of map.names) out.push({ alias, target, expires: config?.expires });
    }
    for (const [alias, v] of Object.entries(config?.map ?? {})) {
      out.push(typeof v === 'string' ? { alias, target: v, expires: config?.expires } : { alias, target: v.to, expires: v.expires ?? config?.expires });
    }
    return new AliasTable(out, config?.listAliases ?? false);
  }

  get size(): number {
    return this.byAlias.size;
  }

  get(name: string): Alias | undefined {
    return this.byAlias.get(name);
  }

  all(): Alias[] {
    return [...this.byAlias.values()];
  }

  isExpired(a: Alias, now = new Date()): boolean {
    return a.expires !== undefined && now.toISOString().slice(0, 10) > a.expires;
  }

  record(alias: string, client: string, at = new Date()): void {
    let perClient = this.usage.get(alias);
    if (!perClient) this.usage.set(alias, (perClient = new Map()));
    const u = perClient.get(client) ?? { count: 0, lastCalledAt: '' };
    u.count++;
    u.lastCalledAt = at.toISOString();
    perClient.set(client, u);
  }

  /** This process's own counts, alias -> client -> usage (what a cluster replica publishes). */
  snapshot(): Record<string, Record<string, Usage>> {
    return Object.fromEntries([...this.usage].map(([alias, per]) => [alias, Object.fromEntries(per)]));
  }

  /** The latest counts another replica published (they replace that replica's previous ones). */
  absorb(replica: string, counts: Record<string, Record<string, Usage>>): void {
    this.remote.set(replica, counts);
  }

  /** Usage per client, this process's and every other replica's summed. */
  private usageOf(alias: string): Map<string, Usage> {
    const out = new Map<string, Usage>();
    const add = (client: string, u: Usage) => {
      const seen = out.get(client);
      if (typeof u?.count !== 'number') return;
      out.set(client, seen ? { count: seen.count + u.count, lastCalledAt: seen.lastCalledAt > u.lastCalledAt ? seen.lastCalledAt : u.lastCalledAt } : { ...u });
    };
    for (const [client, u] of this.usage.get(alias) ?? []) add(client, u);
    for (const counts of this.remote.values()) for (const [client, u] of Object.entries(counts[alias] ?? {})) add(client, u);
    return out;
  }

  report(): Array<Alias & { calls: Array<{ client: string; count: number; lastCalledAt: string }>; total: number }> {
    return this.all()
      .map((a) => {
        const calls = [...this.usageOf(a.alias).entries()].map(([client, u]) => ({ client, ...u })).sort((x, y) => y.count - x.count || x.client.localeCompare(y.client));
        return { ...a, calls, total: calls.reduce((n, c) => n + c.count, 0) };
      })
      .sort((x, y) => x.alias.localeCompare(y.alias));
  }
}
