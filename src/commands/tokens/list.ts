import { BaseCommand } from '../../base-command.js';
import { listTokens, type CfAccessTokenInfo } from '../../core/cfaccess/index.js';
import { openSecrets } from '../../core/secrets/index.js';
import { backendsUsingToken, formatTable } from '../../core/secrets/format.js';

export default class TokensList extends BaseCommand {
  static override summary = 'List stored Cloudflare Access tokens (never the secret, and only a masked Client ID).';
  static override aliases = ['tokens ls'];
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<{ tokens: Array<CfAccessTokenInfo & { usedBy: string[] }> }> {
    await this.parse(TokensList);
    let backends: Record<string, unknown> = {};
    try {
      backends = this.store.read().backends;
    } catch {
      // list what we can; the config's own commands report its errors
    }
    const tokens = (await listTokens(openSecrets())).map((t) => ({ ...t, usedBy: backendsUsingToken(backends, t.name) }));
    if (!tokens.length) {
      this.note('No Cloudflare Access tokens stored. Add one with `gatehouse tokens add <name>`.');
      return { tokens };
    }
    this.log(
      formatTable(
        ['NAME', 'STORE', 'TEAM', 'CLIENT ID', 'UPDATED', 'USED BY'],
        tokens.map((t) => [t.name, t.store, t.team ?? '-', t.clientIdHint ?? '-', t.updatedAt, t.usedBy.join(',') || '-']),
      ),
    );
    return { tokens };
  }
}
