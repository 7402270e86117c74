import { BaseCommand } from '../../../base-command.js';
import { ClientTokenStore, type ClientTokenInfo } from '../../../core/auth/client-tokens.js';
import { configDir } from '../../../core/config/paths.js';
import { formatTable } from '../../../core/secrets/format.js';

export default class ClientsTokenList extends BaseCommand {
  static override summary = 'List inbound clients that have bearer tokens (names and dates, never tokens).';
  static override aliases = ['clients token ls'];
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<{ clients: ClientTokenInfo[] }> {
    await this.parse(ClientsTokenList);
    const clients = new ClientTokenStore(configDir()).list();
    if (!clients.length) {
      this.note('No client tokens. Create one with `gatehouse clients token create <client>`.');
      return { clients };
    }
    this.log(formatTable(['CLIENT', 'ROLES', 'CREATED', 'LAST USED'], clients.map((c) => [c.client, c.roles?.join(',') ?? '-', c.createdAt, c.lastUsedAt ?? '-'])));
    return { clients };
  }
}
