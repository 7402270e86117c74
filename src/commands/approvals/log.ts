import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { approvalsRequest, type ApprovalsLogResponse } from '../../core/admin/approvals.js';
import { ExitCode, UserError } from '../../core/errors.js';

export default class ApprovalsLog extends BaseCommand {
  static override summary = 'Read the approvals audit log: every plan, decision, expiry and execution.';
  static override examples = ['<%= config.bin %> <%= command.id %> --since 2026-01-01T00:00:00Z --json'];
  static override flags = { since: Flags.string({ description: 'Only records at or after this ISO time.' }) };

  async run(): Promise<ApprovalsLogResponse> {
    const { flags } = await this.parse(ApprovalsLog);
    if (flags.since !== undefined && Number.isNaN(Date.parse(flags.since))) {
      throw new UserError(`--since "${flags.since}" is not a date or time.`, { code: 'bad_since', exit: ExitCode.usage, hint: 'Use an ISO time, for example --since 2026-01-01T00:00:00Z.' });
    }
    const since = flags.since === undefined ? undefined : new Date(flags.since).toISOString();
    const r = await approvalsRequest<ApprovalsLogResponse>(this.store.dir, 'GET', `-log${since ? `?since=${encodeURIComponent(since)}` : ''}`);
    for (const a of r.records) this.log(`${a.at}  ${a.planId}  ${a.event.padEnd(11)} ${a.actor}  ${a.summary}${a.detail ? `  (${a.detail})` : ''}`);
    return r;
  }
}
