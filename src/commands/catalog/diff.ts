import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callAdmin, type PinsResponse } from '../../core/admin/index.js';

export default class CatalogDiff extends BaseCommand {
  static override summary = 'Show the tools a pinned backend changed (or added), withheld until accepted.';
  static override description =
    'With `pin: true` on a backend (or `gateway.pin`), the gateway fingerprints each tool (description, input and output schema, annotations). A tool that changes is withheld from lists and calls until a person accepts it with `gatehouse catalog accept`; this shows what changed, as a diff against the accepted version.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> argocd', '<%= config.bin %> <%= command.id %> argocd sync_application --json'];
  static override args = {
    backend: Args.string({ required: false, description: 'Only this backend.' }),
    tool: Args.string({ required: false, description: 'Only this tool (its native name).' }),
  };
  static override flags = { url: Flags.string({ summary: 'The gateway to ask, by its URL, when several run with this config dir.' }) };

  async run(): Promise<PinsResponse> {
    const { args, flags } = await this.parse(CatalogDiff);
    const r = await callAdmin(this.store.dir, 'GET /pins', { ...(args.backend ? { backend: args.backend } : {}), ...(args.tool ? { tool: args.tool } : {}) }, { url: flags.url });
    if (!r.held.length) this.log('No tool is withheld: every pinned tool matches its accepted version.');
    for (const c of r.held) {
      this.log(`${c.backend}/${c.tool}: ${c.reason === 'new' ? 'new tool, held (pin.newTools: hold)' : `changed ${c.changes.join(', ')}`} since ${c.since}`);
      this.log(c.diff.trimEnd());
    }
    if (r.held.length) this.note(`Accept with \`gatehouse catalog accept${args.backend ? ` ${args.backend}` : ''}${args.tool ? ` ${args.tool}` : ''}\` once the change is expected.`);
    return r;
  }
}
