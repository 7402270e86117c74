import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callAdmin, type AdminRefreshResult } from '../../core/admin/index.js';

export default class BackendsRefresh extends BaseCommand {
  static override summary = 'Ask the running gateway to re-list one backend (or all) now.';
  static override examples = ['<%= config.bin %> backends refresh', '<%= config.bin %> backends refresh everything --json'];
  static override args = { name: Args.string({ required: false, description: 'backend name (default: all)' }) };
  static override flags = {
    url: Flags.string({ summary: 'The gateway to ask, by its URL, when several run with this config dir.' }),
  };

  async run(): Promise<AdminRefreshResult> {
    const { args, flags } = await this.parse(BackendsRefresh);
    const r = await callAdmin(this.store.dir, 'POST /refresh', args.name ? { backend: args.name } : {}, { url: flags.url });
    if (!this.jsonEnabled()) {
      for (const b of r.refreshed) this.log(`${b.name}: ${b.state}, ${b.tools} tools${b.reason ? ` (${b.reason})` : ''}`);
      const { added, removed, changed } = r.tools;
      this.log(`tools: +${added.length} -${removed.length} ~${changed.length}`);
      for (const n of added) this.log(`  + ${n}`);
      for (const n of removed) this.log(`  - ${n}`);
      for (const n of changed) this.log(`  ~ ${n}`);
    }
    return r;
  }
}
