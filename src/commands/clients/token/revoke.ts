import { Args } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { ClientTokenStore } from '../../../core/auth/client-tokens.js';
import { configDir } from '../../../core/config/paths.js';

export default class ClientsTokenRevoke extends BaseCommand {
  static override summary = "Revoke an inbound client's bearer token.";
  static override description = 'A running gateway refuses the token from its next request on.';
  static override aliases = ['clients token rm'];
  static override examples = ['<%= config.bin %> <%= command.id %> laptop'];
  static override args = { client: Args.string({ description: 'Client name.', required: true }) };

  async run(): Promise<{ client: string; revoked: true }> {
    const { args } = await this.parse(ClientsTokenRevoke);
    new ClientTokenStore(configDir()).revoke(args.client);
    this.log(`Revoked the token of client "${args.client}".`);
    return { client: args.client, revoked: true };
  }
}
