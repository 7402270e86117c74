import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { setBackendEnabled } from '../../core/backends/index.js';

export default class BackendsEnable extends BaseCommand {
  static override summary = 'Switch a backend on.';
  static override examples = ['<%= config.bin %> <%= command.id %> github'];
  static override args = { name: Args.string({ description: 'Backend name.', required: true }) };

  async run(): Promise<{ name: string; enabled: boolean; changed: boolean }> {
    const { args } = await this.parse(BackendsEnable);
    const { changed } = setBackendEnabled(this.store, args.name, true);
    this.log(changed ? `Enabled backend "${args.name}".` : `Backend "${args.name}" is already enabled.`);
    return { name: args.name, enabled: true, changed };
  }
}
