import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { renderTable } from '../../core/backends/index.js';
import { serversReport, type ServersReport } from '../../core/servers/index.js';

export default class ServersList extends BaseCommand {
  static override summary = 'List the virtual servers (gateway.servers) and what the running gateway serves in each.';
  static override description = 'Each server is served at /servers/NAME/mcp (and /servers/NAME/sse). Tool counts come from the running gateway when one answers; without one, only the configuration is shown.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { url: Flags.string({ summary: 'The gateway to ask, by its URL, when several run with this config dir.' }) };

  async run(): Promise<ServersReport> {
    const { flags } = await this.parse(ServersList);
    const report = await serversReport(this.store.read(), this.store.dir, flags.url);
    if (!report.servers.length) {
      this.note('No virtual servers are defined. Add one under gateway.servers in gatehouse.yaml, e.g. servers: {dev: {backends: [github]}}.');
      return report;
    }
    this.log(
      renderTable(
        [
          { header: 'NAME', get: (s: ServersReport['servers'][number]) => `${s.name}${s.default ? ' (default)' : ''}` },
          { header: 'PATH', get: (s) => s.path },
          { header: 'BACKENDS', get: (s) => s.backends?.join(',') ?? '(all)' },
          { header: 'TOOLS', get: (s) => (s.live ? String(s.live.tools.length) : '?') },
          { header: 'ROLES', get: (s) => s.roles.join(',') || '-' },
          { header: 'DESCRIPTION', get: (s) => s.description ?? '', shrink: true },
        ],
        report.servers,
        { maxWidth: process.stdout.isTTY ? process.stdout.columns : undefined },
      ),
    );
    if (report.liveError) this.note(`Tool counts unknown: ${report.liveError}`);
    return report;
  }
}
