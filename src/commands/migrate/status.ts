import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callAdmin, type AdminAliasesResult, type AdminAliasUsage } from '../../core/admin/index.js';
import { UserError, isUserError } from '../../core/errors.js';

/** One served alias as the gateway's admin API reports it (GET /aliases). */
export type AliasUsage = AdminAliasUsage;

export interface AliasStatusRow extends AliasUsage {
  /** Sum over clients. */
  count: number;
  lastCalledAt?: string;
  expired: boolean;
}

export interface StatusResult {
  aliases: AliasStatusRow[];
  totals: { aliases: number; called: number; unused: number; expired: number; calls: number };
}

const latest = (a: string | undefined, b: string): string => (a === undefined || b > a ? b : a);

/** Folds the admin answer into rows: totals per alias, clients busiest first, aliases by name. */
export function aliasRows(body: AdminAliasesResult, now = Date.now()): StatusResult {
  const rows: AliasStatusRow[] = body.aliases.map((a) => {
    const calls = [...(a.calls ?? [])].sort((x, y) => y.count - x.count || (x.client < y.client ? -1 : x.client > y.client ? 1 : 0));
    let last: string | undefined;
    for (const c of calls) last = latest(last, c.lastCalledAt);
    const expiresAt = a.expires ? Date.parse(a.expires) : NaN;
    return {
      alias: a.alias,
      target: a.target,
      ...(a.expires ? { expires: a.expires } : {}),
      calls,
      count: calls.reduce((n, c) => n + c.count, 0),
      ...(last !== undefined ? { lastCalledAt: last } : {}),
      expired: Number.isFinite(expiresAt) && expiresAt <= now,
    };
  });
  rows.sort((x, y) => (x.alias < y.alias ? -1 : x.alias > y.alias ? 1 : 0));
  return {
    aliases: rows,
    totals: {
      aliases: rows.length,
      called: rows.filter((r) => r.count > 0).length,
      unused: rows.filter((r) => r.count === 0).length,
      expired: rows.filter((r) => r.expired).length,
      calls: rows.reduce((n, r) => n + r.count, 0),
    },
  };
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

export default class MigrateStatus extends BaseCommand {
  static override summary = 'Show which old tool names (served aliases) the running gateway still sees called, by whom and when.';
  static override description = [
    'Asks the running gateway (`gatehouse serve`) over its loopback admin API. An alias nobody has called for a while can go: remove it from the map the gateway loads as aliases.',
  ].join('');

  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --unused', '<%= config.bin %> <%= command.id %> --json'];

  static override flags = {
    unused: Flags.boolean({ summary: 'Only aliases with no recorded calls.' }),
    called: Flags.boolean({ summary: 'Only aliases that are still called.', exclusive: ['unused'] }),
    url: Flags.string({ summary: 'The gateway to ask, by its URL, when several run with this config dir.' }),
  };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(MigrateStatus);
    let body: AdminAliasesResult;
    try {
      body = await callAdmin(this.store.dir, 'GET /aliases', undefined, { url: flags.url });
    } catch (e) {
      if (isUserError(e) && e.code === 'admin_failed' && /\b404\b|not_found/.test(e.message)) {
        throw new UserError('The running gateway does not serve aliases.', {
          code: 'aliases_unsupported',
          hint: 'Load a migration map as `aliases` in the backend or gateway config, and restart `gatehouse serve` with this version.',
        });
      }
      throw e;
    }
    const all = aliasRows(body);
    const aliases = all.aliases.filter((r) => (flags.unused ? r.count === 0 : flags.called ? r.count > 0 : true));
    const result: StatusResult = { aliases, totals: all.totals };
    if (!this.jsonEnabled()) this.render(result);
    return result;
  }

  private render({ aliases, totals }: StatusResult): void {
    if (totals.aliases === 0) {
      this.log('The gateway serves no aliases.');
      return;
    }
    const rows = aliases.map((r) => [
      r.alias,
      r.target,
      String(r.count),
      r.calls.length ? r.calls.map((c) => `${c.client} (${c.count})`).join(', ') : '-',
      r.lastCalledAt ?? 'never',
      r.expires ? `${r.expires}${r.expired ? ' (expired)' : ''}` : '-',
    ]);
    if (rows.length) for (const l of table(['ALIAS', 'TARGET', 'CALLS', 'CLIENTS', 'LAST CALLED', 'EXPIRES'], rows)) this.log(l);
    else this.log('No aliases match.');
    this.note(
      `${totals.aliases} alias${totals.aliases === 1 ? '' : 'es'}: ${totals.called} still called (${totals.calls} call${totals.calls === 1 ? '' : 's'}), ${totals.unused} never called` +
        `${totals.expired ? `, ${totals.expired} expired` : ''}.`,
    );
  }
}
