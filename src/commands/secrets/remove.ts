import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UserError } from '../../core/errors.js';
import { openSecrets } from '../../core/secrets/index.js';
import { backendsReferencingSecret, storeLabel } from '../../core/secrets/format.js';

export default class SecretsRemove extends BaseCommand {
  static override summary = 'Remove a stored secret.';
  static override aliases = ['secrets rm'];
  static override examples = ['<%= config.bin %> <%= command.id %> argocd-token'];
  static override args = { name: Args.string({ description: 'Secret name.', required: true }) };

  async run(): Promise<{ name: string; store: string; removed: true; referencedBy: string[] }> {
    const { args } = await this.parse(SecretsRemove);
    const secrets = openSecrets();
    const info = await secrets.info(args.name);
    if (!info || info.kind !== 'secret') {
      const known = (await secrets.list('secret')).map((s) => s.name);
      throw new UserError(`No secret named "${args.name}".`, {
        code: 'secret_unknown',
        hint: known.length ? `Known secrets: ${known.join(', ')}. See \`gatehouse secrets list\`.` : 'No secrets are stored yet.',
      });
    }
    await secrets.remove(args.name);
    let referencedBy: string[] = [];
    try {
      referencedBy = backendsReferencingSecret(this.store.read().backends, args.name);
    } catch {
      // an unreadable config is reported by the commands that use it
    }
    this.log(`Removed secret "${args.name}" from the ${storeLabel(info.store)}.`);
    if (referencedBy.length) this.note(`Warning: backend${referencedBy.length > 1 ? 's' : ''} ${referencedBy.join(', ')} still refer${referencedBy.length > 1 ? '' : 's'} to secret:${args.name} and will fail to connect until you set it again or change the reference.`);
    return { name: args.name, store: info.store, removed: true, referencedBy };
  }
}
