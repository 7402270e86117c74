import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { describeBackend, removeBackend, type BackendDetail } from '../../core/backends/index.js';

export default class BackendsRemove extends BaseCommand {
  static override summary = 'Remove a backend.';
  static override aliases = ['backends rm'];
  static override examples = ['<%= config.bin %> <%= command.id %> github'];
  static override args = { name: Args.string({ description: 'Backend name.', required: true }) };

  async run(): Promise<{ removed: BackendDetail }> {
    const { args } = await this.parse(BackendsRemove);
    const removed = removeBackend(this.store, args.name);
    this.log(`Removed backend "${args.name}".`);
    return { removed: describeBackend(args.name, removed) };
  }
}
