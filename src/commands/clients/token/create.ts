import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../../base-command.js';
import { ClientTokenStore } from '../../../core/auth/client-tokens.js';
import { configDir } from '../../../core/config/paths.js';

export default class ClientsTokenCreate extends BaseCommand {
  static override summary = 'Create a bearer token for an inbound client (printed once; only its hash is kept).';
  static override description = `For gateway.auth.mode bearer (or \`gatehouse serve --auth-mode bearer\`). The token goes to stdout exactly once; Gatehouse keeps only its SHA-256 hash, so a lost token cannot be shown again: issue a new one with --replace.

The client sends it as "Authorization: Bearer <token>" and appears under the client name in events, logs and the dashboard. A running gateway picks up new and revoked tokens at once.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> laptop',
    'TOKEN=$(<%= config.bin %> <%= command.id %> ci-runner)',
    '<%= config.bin %> <%= command.id %> laptop --replace --json',
    '<%= config.bin %> <%= command.id %> infra-agent --role ops',
  ];

  static override args = { client: Args.string({ description: 'Client name (letters, digits, ".", "_", "@", "-").', required: true }) };
  static override flags = {
    replace: Flags.boolean({ summary: 'Issue a new token for a client that has one (the old one stops working).' }),
    role: Flags.string({ summary: 'A role the token carries (repeatable); gateway.roles says what each role may reach.', multiple: true }),
  };

  async run(): Promise<{ client: string; token: string; replaced: boolean; roles: string[] }> {
    const { args, flags } = await this.parse(ClientsTokenCreate);
    const roles = [...new Set(flags.role ?? [])].sort();
    const { token, replaced } = new ClientTokenStore(configDir()).create(args.client, { replace: flags.replace, roles });
    // Only stdout carries the token, so `$(…)` captures it and nothing else.
    this.log(token);
    this.note(
      `${replaced ? 'Replaced' : 'Created'} the token for client "${args.client}"${roles.length ? ` with roles ${roles.join(', ')}` : ''}. It is shown only this once; store it now.\n` +
        'Clients send it as: Authorization: Bearer <token>',
    );
    return { client: args.client, token, replaced, roles };
  }
}
