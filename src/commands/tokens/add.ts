import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { stderrPrompter, tokenInputFlags } from '../../command-shared.js';
import { checkTokenShape, saveToken, type CfAccessTokenInfo } from '../../core/cfaccess/index.js';
import { readTokenInput } from '../../core/cfaccess/input.js';
import { openSecrets } from '../../core/secrets/index.js';
import { storeLabel } from '../../core/secrets/format.js';

export default class TokensAdd extends BaseCommand {
  static override summary = 'Store a Cloudflare Access service token (Client ID and Secret) in the OS keychain.';
  static override description = [
    'In a terminal it asks for the Client ID and the Client Secret (hidden). Without one, pass',
    '--client-id and pipe the secret on stdin. Shapes are checked (the ID ends in .access, the secret',
    'is 64 hex characters): a mismatch warns but is stored. Attach the token to a backend with',
    '`gatehouse backends add <name> --url <url> --cf-access-token <token>`; Gatehouse then sends',
    'CF-Access-Client-Id and CF-Access-Client-Secret on every request to that backend, and nowhere else.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> homelab --team myteam',
    'printf %s "$CF_ACCESS_CLIENT_SECRET" | <%= config.bin %> <%= command.id %> homelab --client-id 0123abcd.access',
  ];

  static override args = { name: Args.string({ description: 'Token name, referenced by backends as cfAccessToken.', required: true }) };
  static override flags = tokenInputFlags;

  async run(): Promise<CfAccessTokenInfo & { warnings: string[] }> {
    const { args, flags } = await this.parse(TokensAdd);
    const secrets = openSecrets();
    const token = await readTokenInput({
      name: args.name,
      verb: 'add',
      clientId: flags['client-id'],
      interactive: this.interactive,
      stdin: process.stdin,
      prompter: stderrPrompter,
      missing: (m, example) => this.requireFlags(m, example),
    });
    // Warnings go to stderr even with --json, and into the result.
    const shapeWarnings = checkTokenShape(token);
    for (const w of shapeWarnings) process.stderr.write(`Warning: ${w}\n`);
    const { info, warnings } = await saveToken(secrets, args.name, token, { mode: 'add', store: flags.store, team: flags.team });
    for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
    this.log(`Stored Cloudflare Access token "${args.name}" in the ${storeLabel(info.store)}.`);
    this.note(`Check it with \`gatehouse tokens test ${args.name} --url <protected-url>\`; attach it with \`--cf-access-token ${args.name}\`.`);
    return { ...info, warnings: [...shapeWarnings, ...warnings] };
  }
}
