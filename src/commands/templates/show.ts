import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { renderTable } from '../../core/backends/render.js';
import { loadTemplate } from '../../core/templates/index.js';
import { effectiveArguments } from '../../core/templates/input-schema.js';
import { writeIssue } from '../../core/config/schema.js';

interface ToolRow {
  name: string;
  method: string;
  path: string;
  description?: string;
  arguments: Array<{ name: string; required: boolean; type?: string; description?: string }>;
  readOnly: boolean;
}

export interface TemplateDetail {
  name: string;
  title: string;
  description: string;
  docs?: string;
  url: string;
  notes?: string;
  secrets: Array<{ name: string; required: boolean; description: string; example?: string }>;
  tools: ToolRow[];
  /** Default argument constraints per write tool; a backend's own constraints narrow them. */
  constraints?: Record<string, unknown>;
  usage: string;
}

export default class TemplatesShow extends BaseCommand {
  static override summary = 'Show a backend template: its tools (method, path, arguments), secrets and how to add it.';
  static override examples = ['<%= config.bin %> <%= command.id %> prometheus', '<%= config.bin %> <%= command.id %> kubernetes --json'];
  static override args = {
    template: Args.string({ description: 'Template name (see `gatehouse templates list`).', required: true }),
  };

  async run(): Promise<TemplateDetail> {
    const { args } = await this.parse(TemplatesShow);
    const t = loadTemplate(args.template);
    const secrets = Object.entries(t.secrets ?? {}).map(([name, s]) => ({ name, required: Boolean(s.required), description: s.description, ...(s.example ? { example: s.example } : {}) }));
    const required = secrets.filter((s) => s.required);
    const usage = [
      `gatehouse backends add ${t.name} --template ${t.name} --url ${t.url}`,
      ...required.map((s) => `--secret ${s.name}=${s.example ?? `env:${s.name}`}`),
    ].join(' ');
    const tools: ToolRow[] = t.tools.map((tool) => ({
      name: tool.name,
      method: tool.method ?? 'GET',
      path: tool.path,
      ...(tool.description ? { description: tool.description.trim() } : {}),
      arguments: effectiveArguments(tool),
      readOnly: !writeIssue(tool, false),
    }));
    const writes = tools.filter((r) => !r.readOnly).map((r) => r.name);
    const out: string[] = [`${t.title} (${t.name})`, '', wrap(t.description), ''];
    if (t.docs) out.push(`API docs: ${t.docs}`);
    out.push(`Example URL: ${t.url}`, '');
    if (secrets.length) {
      out.push('Secrets (pass as --secret KEY=env:VAR or KEY=secret:name):');
      for (const s of secrets) out.push(`  ${s.name}${s.required ? ' (required)' : ''}: ${s.description}`);
      out.push('');
    }
    out.push(
      renderTable(
        [
          { header: 'TOOL', get: (r: ToolRow) => r.name },
          { header: 'METHOD', get: (r: ToolRow) => r.method },
          { header: 'PATH', get: (r: ToolRow) => r.path },
          { header: 'ARGUMENTS', get: (r: ToolRow) => r.arguments.map((a) => (a.required ? a.name : `[${a.name}]`)).join(' '), shrink: true },
        ],
        tools,
        { maxWidth: process.stdout.isTTY ? process.stdout.columns : undefined },
      ),
      '',
    );
    for (const tool of tools) out.push(`${tool.name}: ${wrap(tool.description ?? '', '  ').trimStart()}`);
    if (writes.length) {
      out.push('', wrap(`Write tools (loaded only on a backend with allowWrites; guarded: each call is a plan a person approves): ${writes.join(', ')}.`));
      for (const [tool, args] of Object.entries(t.constraints ?? {})) out.push(`  default constraints of ${tool}: ${JSON.stringify(args)} (narrow them with the backend's constraints)`);
    }
    if (t.notes) out.push('', `Notes: ${wrap(t.notes)}`);
    out.push('', `Add it: ${usage}`);
    this.log(out.join('\n'));
    return {
      name: t.name,
      title: t.title,
      description: t.description,
      ...(t.docs ? { docs: t.docs } : {}),
      url: t.url,
      ...(t.notes ? { notes: t.notes } : {}),
      secrets,
      tools,
      ...(t.constraints ? { constraints: t.constraints } : {}),
      usage,
    };
  }
}

function wrap(text: string, indent = '', width = 100): string {
  const words = text.replace(/\s+/g, ' ').trim().split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}
