import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { describeBackend, findBackend, renderBackendDetail, type BackendDetail } from '../../core/backends/index.js';

export default class BackendsShow extends BaseCommand {
  static override summary = "Show one backend's settings.";
  static override description = 'Secrets appear only as their references (secret:<name>, env:<VAR>).';
  static override examples = ['<%= config.bin %> <%= command.id %> github', '<%= config.bin %> <%= command.id %> github --json'];
  static override args = { name: Args.string({ description: 'Backend name.', required: true }) };

  async run(): Promise<BackendDetail> {
    const { args } = await this.parse(BackendsShow);
    const detail = describeBackend(args.name, findBackend(this.store.read(), args.name));
    this.log(renderBackendDetail(detail));
    return detail;
  }
}
