import { BaseCommand } from '../../base-command.js';
import { openSecrets } from '../../core/secrets/index.js';
import { formatTable } from '../../core/secrets/format.js';

interface Row {
  name: string;
  store: string;
  reference: string;
  createdAt: string;
  updatedAt: string;
}

export default class SecretsList extends BaseCommand {
  static override summary = 'List stored secrets: names, store and last update (never values).';
  static override description = 'Read from Gatehouse\'s index (the keychain cannot always enumerate), so this works even when the keychain is locked. Cloudflare Access tokens are listed by `gatehouse tokens list`.';
  static override aliases = ['secrets ls'];
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<{ secrets: Row[] }> {
    await this.parse(SecretsList);
    const rows: Row[] = (await openSecrets().list('secret')).map((s) => ({ name: s.name, store: s.store, reference: `secret:${s.name}`, createdAt: s.createdAt, updatedAt: s.updatedAt }));
    if (!rows.length) {
      this.note('No secrets stored. Add one with `gatehouse secrets set <name>`.');
      return { secrets: rows };
    }
    this.log(formatTable(['NAME', 'STORE', 'UPDATED'], rows.map((r) => [r.name, r.store, r.updatedAt])));
    return { secrets: rows };
  }
}
