import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { describeBackend, findBackend, renderBackendDetail, renderTable, type BackendDetail } from '../../core/backends/index.js';
import { errorMessage } from '../../core/errors.js';
import type { AdminBackendStatus } from '../../core/admin/contract.js';
import { liveStatus } from '../../core/admin/live.js';
import { describeRestTools, type RestToolSummary } from '../../core/templates/build.js';
import { describeBackendPolicy, renderPolicy, type BackendPolicy } from '../../core/approvals/show-policy.js';

export type ShowResult = BackendDetail & {
  tools?: RestToolSummary[];
  toolsError?: string;
  policy?: BackendPolicy;
  /** What the running gateway's filters removed from this backend, and why (absent without a gateway). */
  filtered?: NonNullable<AdminBackendStatus['filtered']>;
};

export default class BackendsShow extends BaseCommand {
  static override summary = "Show one backend's settings.";
  static override description = "Secrets appear only as their references (secret:<name>, env:<VAR>). For a REST backend, its tools are listed with method and path. Each tool's approval policy (guarded or not, why, and its argument constraints) follows; an MCP backend's comes from the running gateway, which knows its tools.";
  static override examples = ['<%= config.bin %> <%= command.id %> github', '<%= config.bin %> <%= command.id %> github --json'];
  static override args = { name: Args.string({ description: 'Backend name.', required: true }) };
  static override flags = { url: Flags.string({ summary: 'The gateway to ask what filters removed, by its URL, when several run with this config dir.' }) };

  async run(): Promise<ShowResult> {
    const { args, flags } = await this.parse(BackendsShow);
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
    const c = detail.config as { toolFilter?: unknown; promptFilter?: unknown; resourceFilter?: unknown };
    if (c.toolFilter || c.promptFilter || c.resourceFilter) {
      // What the filters removed is known only from the backend's lists, which the running gateway has.
      const live = await liveStatus(this.store.dir, flags.url);
      const backend = live.status?.backends.find((b) => b.name === args.name);
      if (backend) {
        detail.filtered = backend.filtered ?? [];
        this.log(`\nfiltered out (${detail.filtered.length}):`);
        for (const f of detail.filtered) this.log(`  ${f.kind} ${f.name}: ${f.reason}`);
      } else {
        this.note(`What the filters removed is shown when a gateway serving "${args.name}" runs${live.error ? ` (${live.error})` : ''}.`);
      }
    }
    return detail;
  }
}
