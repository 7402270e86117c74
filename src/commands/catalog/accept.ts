import { userInfo } from 'node:os';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callAdmin, type PinAcceptResponse } from '../../core/admin/index.js';

export default class CatalogAccept extends BaseCommand {
  static override summary = 'Accept withheld tool changes of pinned backends, so the tools are served again.';
  static override description = 'Accepts every held change, one backend\'s, or one tool\'s: the version the backend serves now becomes the pinned one, recorded with your OS user name. See the changes first with `gatehouse catalog diff`.';
  static override examples = ['<%= config.bin %> <%= command.id %> argocd sync_application', '<%= config.bin %> <%= command.id %> argocd', '<%= config.bin %> <%= command.id %> --all'];
  static override args = {
    backend: Args.string({ required: false, description: 'Only this backend.' }),
    tool: Args.string({ required: false, description: 'Only this tool (its native name).' }),
  };
  static override flags = {
    all: Flags.boolean({ summary: 'Accept every held change of every backend (needed when no backend is named).' }),
    url: Flags.string({ summary: 'The gateway to ask, by its URL, when several run with this config dir.' }),
  };

  async run(): Promise<PinAcceptResponse> {
    const { args, flags } = await this.parse(CatalogAccept);
    if (!args.backend && !flags.all) this.requireFlags(['all'], 'gatehouse catalog accept --all (or name a backend)');
    const r = await callAdmin(this.store.dir, 'POST /pins/accept', { by: userInfo().username, ...(args.backend ? { backend: args.backend } : {}), ...(args.tool ? { tool: args.tool } : {}) }, { url: flags.url });
    if (!r.accepted.length) this.log('Nothing to accept: no matching tool is withheld.');
    for (const c of r.accepted) this.log(`Accepted ${c.backend}/${c.tool}; it is served again.`);
    return r;
  }
}
