import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { findServer, serversReport, type ServerSummary } from '../../core/servers/index.js';

export default class ServersShow extends BaseCommand {
  static override summary = 'Show one virtual server: its settings, the roles that reach it, and the tools it serves now.';
  static override examples = ['<%= config.bin %> <%= command.id %> dev', '<%= config.bin %> <%= command.id %> dev --json'];
  static override args = { name: Args.string({ description: 'Server name (a key of gateway.servers).', required: true }) };
  static override flags = { url: Flags.string({ summary: 'The gateway to ask, by its URL, when several run with this config dir.' }) };

  async run(): Promise<ServerSummary & { liveError?: string }> {
    const { args, flags } = await this.parse(ServersShow);
    const report = await serversReport(this.store.read(), this.store.dir, flags.url);
    const s = findServer(report, args.name);
    const lines = [
      `name:        ${s.name}${s.default ? ' (gateway.defaultServer: also served at /mcp)' : ''}`,
      ...(s.description ? [`description: ${s.description}`] : []),
      `path:        ${s.live?.url ?? s.path}`,
      `backends:    ${s.backends?.join(', ') ?? '(all)'}`,
      `tool globs:  ${s.tools?.join(', ') ?? '(all)'}`,
      `roles:       ${s.roles.join(', ') || '(none name it)'}`,
    ];
    if (s.live) {
      lines.push(`prompts:     ${s.live.prompts}`, `resources:   ${s.live.resources}`, `tools (${s.live.tools.length}):`);
      for (const t of s.live.tools) lines.push(`  ${t}`);
    }
    this.log(lines.join('\n'));
    if (report.liveError) this.note(`Served tools unknown: ${report.liveError}`);
    return { ...s, ...(report.liveError ? { liveError: report.liveError } : {}) };
  }
}
