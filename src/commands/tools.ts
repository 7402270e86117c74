import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { table } from '../core/cli/format.js';
import { openSecrets } from '../core/secrets/index.js';

export default class Tools extends BaseCommand {
  static override summary = 'List the exposed tool names, with native name, backend and policy.';
  static override description = [
    'Asks the running gateway (its admin API). When none runs, starts the configured backends here once, lists what they expose under the naming policy, and stops them; the output says which.',
    'Policy: "guarded" tools need an approved plan (gatehouse approvals), "constrained" arguments are checked before a call, and the timeout is the tool\'s, else the backend\'s, else the gateway\'s.',
  ].join('\n');

  static override examples = ['<%= config.bin %> tools', '<%= config.bin %> tools --backend everything', '<%= config.bin %> tools --json'];
  static override flags = {
    backend: Flags.string({ summary: 'Only this backend\'s tools.' }),
    url: Flags.string({ summary: 'The running gateway at this URL, when several run.' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Tools);
    const { listExposedTools } = await import('../server/cli-tools.js');
    const r = await listExposedTools({ dir: this.store.dir, url: flags.url, backend: flags.backend, config: () => this.store.read(), secrets: openSecrets({ dir: this.store.dir }), baseDir: this.configBaseDir });
    if (this.jsonEnabled()) return r;
    this.note(r.source === 'gateway' ? `From the running gateway at ${r.url}.` : 'No gateway is running: started the configured backends here to list them.');
    if (r.tools.length === 0) this.log('No tools are exposed.');
    else {
      const rows = [['NAME', 'NATIVE', 'BACKEND', 'POLICY'], ...r.tools.map((t) => [t.name, t.native, t.backend, policyText(t.policy)])];
      this.log(table(rows, '').join('\n'));
    }
    for (const u of r.unavailable) this.warn(`${u.backend} is ${u.state} and exposes no tools${u.reason ? `: ${u.reason}` : ''}`);
    return r;
  }
}

function policyText(p: { guarded: boolean; constrained?: string[]; timeoutSeconds: number } | undefined): string {
  if (!p) return '';
  return [p.guarded ? 'guarded' : 'open', ...(p.constrained?.length ? [`constrained: ${p.constrained.join(',')}`] : []), `timeout ${p.timeoutSeconds}s`].join(' · ');
}
