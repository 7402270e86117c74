import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { statusReport, type StatusReport } from '../core/admin/status-report.js';
import { renderStatus } from '../core/cli/render-status.js';

export default class Status extends BaseCommand {
  static override summary = 'Say whether a gateway is running, and how it is doing: backends, sessions, calls, errors, approvals.';
  static override description = [
    'Reads the running-gateway records in the config dir (several gateways may run) and asks each one over its loopback admin API.',
    'Exit codes:',
    '  0  healthy: every enabled backend is ready',
    '  1  degraded: a backend is starting, degraded or failed, or the config file on disk was not applied',
    '  3  down: no gateway is running (or none answers)',
  ].join('\n');

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> status --json', '<%= config.bin %> status --url http://127.0.0.1:7420/mcp'];
  static override flags = {
    url: Flags.string({ summary: 'Only the gateway at this URL (its /mcp URL or its base), when several run.' }),
  };

  async run(): Promise<StatusReport> {
    const { flags } = await this.parse(Status);
    const report = await statusReport(this.store.dir, { url: flags.url });
    if (!this.jsonEnabled()) this.log(renderStatus(report).join('\n'));
    return this.exitWith(report, report.exitCode);
  }
}
