import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { describeBackend, findBackend, renderBackendDetail, renderTable, type BackendDetail } from '../../core/backends/index.js';
import { errorMessage } from '../../core/errors.js';
import { describeRestTools, type RestToolSummary } from '../../core/templates/build.js';
import { describeBackendPolicy, renderPolicy, type BackendPolicy } from '../../core/approvals/show-policy.js';

export type ShowResult = BackendDetail & { tools?: RestToolSummary[]; toolsError?: string; policy?: BackendPolicy };

export default class BackendsShow extends BaseCommand {
  static override summary = "Show one backend's settings.";
  static override description = "Secrets appear only as their references (secret:<name>, env:<VAR>). For a REST backend, its tools are listed with method and path. Each tool's approval policy (guarded or not, why, and its argument constraints) follows; an MCP backend's comes from the running gateway, which knows its tools.";
  static override examples = ['<%= config.bin %> <%= command.id %> github', '<%= config.bin %> <%= command.id %> github --json'];
  static override args = { name: Args.string({ description: 'Backend name.', required: true }) };

  async run(): Promise<ShowResult> {
    const { args } = await this.parse(BackendsShow);
    const detail: ShowResult = describeBackend(args.name, findBackend(this.store.read(), args.name));
    this.log(renderBackendDetail(detail));
    if (detail.config.type === 'rest') {
      try {
        detail.tools = describeRestTools(detail.config);
        this.log(`\ntools (${detail.tools.length}):`);
        const rows = renderTable(
          [
            { header: 'NAME', get: (t: RestToolSummary) => t.name },
            { header: 'ACCESS', get: (t) => t.access },
            { header: 'METHOD', get: (t) => t.method },
            { header: 'PATH', get: (t) => t.path, shrink: true },
          ],
          detail.tools,
          { maxWidth: process.stdout.isTTY ? process.stdout.columns - 2 : undefined },
        );
        this.log(rows.replace(/^/gm, '  '));
      } catch (e) {
        // Settings are still worth showing when the tools file or template no longer loads.
        detail.toolsError = errorMessage(e);
        process.stderr.write(`Warning: the tools of "${args.name}" do not load: ${detail.toolsError}\n`);
      }
    }
    detail.policy = await describeBackendPolicy(this.store.dir, args.name, detail.config, detail.tools);
    this.log(`\n${renderPolicy(detail.policy)}`);
    return detail;
  }
}
