import { BaseCommand } from '../../base-command.js';
import { renderTable } from '../../core/backends/render.js';
import { listTemplates } from '../../core/templates/index.js';

export interface TemplateSummary {
  name: string;
  title: string;
  description: string;
  tools: number;
  secrets: string[];
  url: string;
}

export default class TemplatesList extends BaseCommand {
  static override summary = 'List the backend templates (ready-made REST tools for common cluster services).';
  static override description = 'Use one with `gatehouse backends add <name> --template <template> --url <base-url> [--secret KEY=ref]`; `gatehouse templates show <template>` documents its tools and secrets.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<TemplateSummary[]> {
    await this.parse(TemplatesList);
    const rows = listTemplates().map((t) => ({
      name: t.name,
      title: t.title,
      description: firstSentence(t.description),
      tools: t.tools.length,
      secrets: Object.keys(t.secrets ?? {}),
      url: t.url,
    }));
    this.log(
      renderTable(
        [
          { header: 'TEMPLATE', get: (r: TemplateSummary) => r.name },
          { header: 'TOOLS', get: (r: TemplateSummary) => String(r.tools) },
          { header: 'DESCRIPTION', get: (r: TemplateSummary) => r.description, shrink: true },
        ],
        rows,
        { maxWidth: process.stdout.isTTY ? process.stdout.columns : undefined },
      ),
    );
    return rows;
  }
}

function firstSentence(s: string): string {
  const m = /^(.+?[.:])(\s|$)/.exec(s.trim());
  return m ? m[1]! : s.trim();
}
