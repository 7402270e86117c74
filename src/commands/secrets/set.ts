import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { assertSecretName, openSecrets, readSecretFromStream, WRITABLE_STORES } from '../../core/secrets/index.js';
import { storeLabel } from '../../core/secrets/format.js';

export default class SecretsSet extends BaseCommand {
  static override summary = 'Store a secret in the OS keychain (or the 0600 file store).';
  static override description = [
    'The value comes from a hidden prompt, or from stdin with --from-stdin; never from a flag, which',
    'would leave it in your shell history. Reference it in the config as secret:<name>.',
    'The default store is the OS keychain; set GATEHOUSE_SECRET_STORE=file to change it (for headless',
    'hosts and containers). If the keychain cannot be reached, the command fails and says why; it',
    'never falls back to another store by itself.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> argocd-token',
    'printf %s "$ARGOCD_TOKEN" | <%= config.bin %> <%= command.id %> argocd-token --from-stdin',
    'printf %s "$KEY" | <%= config.bin %> <%= command.id %> signoz-key --from-stdin --store file',
  ];

  static override args = { name: Args.string({ description: 'Secret name, used as secret:<name>.', required: true }) };

  static override flags = {
    'from-stdin': Flags.boolean({ summary: 'Read the value from stdin (one trailing newline is dropped).' }),
    store: Flags.option({ options: WRITABLE_STORES, summary: 'Where to keep it (default: keychain, or GATEHOUSE_SECRET_STORE).' })(),
  };

  async run(): Promise<{ name: string; store: string; reference: string; replaced: boolean; updatedAt: string; warnings: string[] }> {
    const { args, flags } = await this.parse(SecretsSet);
    assertSecretName(args.name);
    const secrets = openSecrets();
    const store = flags.store ?? (await secrets.defaultStore());
    let value: string;
    if (flags['from-stdin']) {
      if (process.stdin.isTTY) {
        throw new UserError('--from-stdin needs the value piped in, but stdin is a terminal.', {
          code: 'stdin_is_tty',
          exit: ExitCode.usage,
          hint: `Pipe it (printf %s "$VALUE" | gatehouse secrets set ${args.name} --from-stdin), or leave out --from-stdin to be asked with a hidden prompt.`,
        });
      }
      value = await readSecretFromStream(process.stdin);
    } else if (this.interactive) {
      const { password } = await import('@inquirer/prompts');
      value = await password({ message: `Value for "${args.name}" (hidden)`, validate: (v) => (v.length ? true : 'Enter a value.') }, { output: process.stderr });
    } else {
      this.requireFlags(['from-stdin'], `printf %s "$VALUE" | gatehouse secrets set ${args.name} --from-stdin`);
    }
    const { info, replaced, warnings } = await secrets.put(args.name, value, { store });
    for (const w of warnings) process.stderr.write(`Warning: ${w}\n`);
    this.log(`${replaced ? 'Updated' : 'Stored'} secret "${args.name}" in the ${storeLabel(store)}. Reference it as secret:${args.name}.`);
    return { name: args.name, store, reference: `secret:${args.name}`, replaced, updatedAt: info.updatedAt, warnings };
  }
}
