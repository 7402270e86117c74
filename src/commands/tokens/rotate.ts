import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { checkTokenShape, saveToken, type CfAccessTokenInfo } from '../../core/cfaccess/index.js';
import { openSecrets } from '../../core/secrets/index.js';
import { backendsUsingToken, storeLabel } from '../../core/secrets/format.js';
import { stderrPrompter, tokenInputFlags } from '../../command-shared.js';
import { readTokenInput } from '../../core/cfaccess/input.js';

export default class TokensRotate extends BaseCommand {
  static override summary = 'Replace a token\'s Client ID and Secret, keeping its name so backends keep using it.';
  static override description = 'Asks for the new pair in a terminal; otherwise pass --client-id and pipe the secret on stdin. The team and store stay as they were unless given.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> homelab',
    'printf %s "$NEW_SECRET" | <%= config.bin %> <%= command.id %> homelab --client-id 4567cdef.access',
  ];

  static override args = { name: Args.string({ description: 'Token name.', required: true }) };
  static override flags = tokenInputFlags;

  async run(): Promise<CfAccessTokenInfo & { usedBy: string[]; warnings: string[] }> {
    const { args, flags } = await this.parse(TokensRotate);
    const secrets = openSecrets();
    // Fail on an unknown name before asking for anything.
    const { tokenInfo, unknownToken, listTokens } = await import('../../core/cfaccess/tokens.js');
    if (!(await tokenInfo(secrets, args.name))) throw unknownToken(args.name, (await listTokens(secrets)).map((t) => t.name));
    const token = await readTokenInput({
      name: args.name,
      verb: 'rotate',
      clientId: flags['client-id'],
      interactive: this.interactive,
      stdin: process.stdin,
      prompter: stderrPrompter,
      missing: (m, example) => this.requireFlags(m, example),
    });
    // Warnings go to stderr even with --json, and into the result.
    const shapeWarnings = checkTokenShape(token);
    for (const w of shapeWarnings) process.stderr.write(`Warning: ${w}\n`);
    const { info, warnings } = await saveToken(secrets, args.name, token, { mode: 'rotate', store: flags.store, team: flags.team });
    for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
    let usedBy: string[] = [];
    try {
      usedBy = backendsUsingToken(this.store.read().backends, args.name);
    } catch {
      // an unreadable config is reported by the commands that use it
    }
    this.log(`Rotated Cloudflare Access token "${args.name}" (${storeLabel(info.store)}).${usedBy.length ? ` Used by: ${usedBy.join(', ')}.` : ''}`);
    if (usedBy.length) this.note('New connections use the new pair; restart or reload a running gateway to reconnect existing ones.');
    return { ...info, usedBy, warnings: [...shapeWarnings, ...warnings] };
  }
}
