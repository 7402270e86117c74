import { BaseCommand } from '../../base-command.js';
import { renderTable } from '../../core/backends/render.js';
import { listTemplates } from '../../core/templates/index.js';
import { writeIssue } from '../../core/config/schema.js';

export interface TemplateSummary {
  name: string;
  title: string;
  description: string;
  tools: number;
  /** How many of them write (loaded only with allowWrites, and guarded). */
  writeTools: number;
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
      writeTools: t.tools.filter((tool) => writeIssue(tool, false)).length,
      secrets: Object.keys(t.secrets ?? {}),
      url: t.url,
    }));
    this.log(
      renderTable(
        [
          { header: 'TEMPLATE', get: (r: TemplateSummary) => r.name },
          { header: 'TOOLS', get: (r: TemplateSummary) => (r.writeTools ? `${r.tools} (${r.writeTools} write)` : String(r.tools)) },
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
