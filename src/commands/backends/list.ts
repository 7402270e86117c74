import { BaseCommand } from '../../base-command.js';
import { listBackends, renderBackendTable, type BackendSummary } from '../../core/backends/index.js';

export default class BackendsList extends BaseCommand {
  static override summary = 'List registered backends.';
  static override description = 'Columns: name, type, target (command line or URL), tool prefix, and whether it is enabled. --json gives an array of the same fields.';
  static override aliases = ['backends ls'];
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<BackendSummary[]> {
    await this.parse(BackendsList);
    const rows = listBackends(this.store.read());
    if (!rows.length) {
      this.note('No backends registered. Add one with `gatehouse backends add <name> --stdio "<command>"` or `--url <url>`.');
      return rows;
    }
    this.log(renderBackendTable(rows, { maxWidth: process.stdout.isTTY ? process.stdout.columns : undefined }));
    return rows;
  }
}
