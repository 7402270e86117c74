import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { setBackendEnabled } from '../../core/backends/index.js';

export default class BackendsDisable extends BaseCommand {
  static override summary = 'Switch a backend off; it stays registered.';
  static override examples = ['<%= config.bin %> <%= command.id %> github'];
  static override args = { name: Args.string({ description: 'Backend name.', required: true }) };

  async run(): Promise<{ name: string; enabled: boolean; changed: boolean }> {
    const { args } = await this.parse(BackendsDisable);
    const { changed } = setBackendEnabled(this.store, args.name, false);
    this.log(changed ? `Disabled backend "${args.name}".` : `Backend "${args.name}" is already disabled.`);
    return { name: args.name, enabled: false, changed };
  }
}
