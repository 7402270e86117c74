import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { checkTokenShape, saveToken, type CfAccessToken, type CfAccessTokenInfo } from '../../core/cfaccess/index.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { openSecrets, readSecretFromStream, WRITABLE_STORES } from '../../core/secrets/index.js';
import { storeLabel } from '../../core/secrets/format.js';

export const tokenInputFlags = {
  'client-id': Flags.string({ summary: 'The CF-Access-Client-Id (ends in .access). The secret is then read from stdin, or asked for in a terminal.' }),
  team: Flags.string({ summary: 'Your Zero Trust team domain (myteam or myteam.cloudflareaccess.com); used in diagnostics.' }),
  store: Flags.option({ options: WRITABLE_STORES, summary: 'Where to keep it (default: keychain, or GATEHOUSE_SECRET_STORE).' })(),
};

/** Shared by add and rotate: prompts in a terminal, else --client-id with the secret on stdin. */
export async function readTokenInput(cmd: BaseCommand & { isInteractive(): boolean; fail(missing: string[], example: string): never }, name: string, clientIdFlag: string | undefined, verb: 'add' | 'rotate'): Promise<CfAccessToken> {
  const example = `printf %s "$CF_ACCESS_CLIENT_SECRET" | gatehouse tokens ${verb} ${name} --client-id <id>.access`;
  const ctx = { output: process.stderr };
  let clientId = clientIdFlag;
  if (clientId === undefined) {
    if (!cmd.isInteractive()) cmd.fail(['client-id'], `${example} (the Client Secret goes on stdin)`);
    const { input } = await import('@inquirer/prompts');
    clientId = await input({ message: 'Client ID (CF-Access-Client-Id)', validate: (v) => (v.trim() ? true : 'Enter the Client ID.') }, ctx);
  }
  let clientSecret: string;
  if (!process.stdin.isTTY) {
    clientSecret = await readSecretFromStream(process.stdin);
    if (!clientSecret.trim()) {
      throw new UserError('No Client Secret on stdin.', { code: 'missing_stdin', exit: ExitCode.usage, hint: `Pipe it in: ${example}` });
    }
  } else if (cmd.isInteractive()) {
    const { password } = await import('@inquirer/prompts');
    clientSecret = await password({ message: 'Client Secret (CF-Access-Client-Secret, hidden)', validate: (v) => (v.trim() ? true : 'Enter the Client Secret.') }, ctx);
  } else {
    throw new UserError('The Client Secret must come on stdin or from a prompt, and there is no terminal to prompt in.', { code: 'missing_stdin', exit: ExitCode.usage, hint: `Pipe it in: ${example}` });
  }
  return { clientId: clientId.trim(), clientSecret: clientSecret.trim() };
}

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

  isInteractive(): boolean {
    return this.interactive;
  }

  fail(missing: string[], example: string): never {
    return this.requireFlags(missing, example);
  }

  async run(): Promise<CfAccessTokenInfo & { warnings: string[] }> {
    const { args, flags } = await this.parse(TokensAdd);
    const secrets = openSecrets();
    const token = await readTokenInput(this, args.name, flags['client-id'], 'add');
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
