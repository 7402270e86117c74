import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { adminRequest } from '../../core/config/run-state.js';

interface RefreshResult {
  refreshed: Array<{ name: string; state: string; reason?: string; tools: number }>;
  tools: { added: string[]; removed: string[]; changed: string[] };
}

export default class BackendsRefresh extends BaseCommand {
  static override summary = 'Ask the running gateway to re-list one backend (or all) now.';
  static override examples = ['<%= config.bin %> backends refresh', '<%= config.bin %> backends refresh everything --json'];
  static override args = { name: Args.string({ required: false, description: 'backend name (default: all)' }) };
  static override flags = {
    url: Flags.string({ summary: 'The gateway to ask, by its URL, when several run with this config dir.' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(BackendsRefresh);
    const q = args.name ? `?backend=${encodeURIComponent(args.name)}` : '';
    const r = (await adminRequest(this.store.dir, 'POST', `/refresh${q}`, { url: flags.url })) as RefreshResult;
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
