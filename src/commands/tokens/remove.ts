import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { removeToken, tokenInfo } from '../../core/cfaccess/index.js';
import { unknownToken, listTokens } from '../../core/cfaccess/tokens.js';
import { UserError } from '../../core/errors.js';
import { openSecrets } from '../../core/secrets/index.js';
import { backendsUsingToken, storeLabel } from '../../core/secrets/format.js';

export default class TokensRemove extends BaseCommand {
  static override summary = 'Remove a stored Cloudflare Access token.';
  static override description = 'Refuses while backends still use it, unless --force.';
  static override aliases = ['tokens rm'];
  static override examples = ['<%= config.bin %> <%= command.id %> homelab'];
  static override args = { name: Args.string({ description: 'Token name.', required: true }) };
  static override flags = { force: Flags.boolean({ char: 'f', summary: 'Remove it even if backends still use it.' }) };

  async run(): Promise<{ name: string; store: string; removed: true; usedBy: string[] }> {
    const { args, flags } = await this.parse(TokensRemove);
    const secrets = openSecrets();
    const info = await tokenInfo(secrets, args.name);
    if (!info) throw unknownToken(args.name, (await listTokens(secrets)).map((t) => t.name));
    let usedBy: string[] = [];
    try {
      usedBy = backendsUsingToken(this.store.read().backends, args.name);
    } catch {
      // an unreadable config is reported by the commands that use it
    }
    if (usedBy.length && !flags.force) {
      throw new UserError(`Token "${args.name}" is still used by backend${usedBy.length > 1 ? 's' : ''} ${usedBy.join(', ')}.`, {
        code: 'token_in_use',
        hint: `Detach it from those backends first, or pass --force (they will then fail at Cloudflare Access).`,
        details: { usedBy },
      });
    }
    await removeToken(secrets, args.name);
    this.log(`Removed Cloudflare Access token "${args.name}" from the ${storeLabel(info.store)}.`);
    return { name: args.name, store: info.store, removed: true, usedBy };
  }
}
