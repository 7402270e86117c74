import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { fishCompletion, type CompletionCommand } from '../core/cli/completion-fish.js';

export default class Completion extends BaseCommand {
  static override summary = 'Print a shell completion script for bash, zsh or fish.';
  static override description = [
    'Completes commands (space-separated, as typed), then each command\'s flags. Install it once:',
    '  bash  gatehouse completion bash > ~/.local/share/bash-completion/completions/gatehouse',
    '  zsh   gatehouse completion zsh > "${fpath[1]}/_gatehouse"   (then: compinit)',
    '  fish  gatehouse completion fish > ~/.config/fish/completions/gatehouse.fish',
    'bash and zsh scripts come from @oclif/plugin-autocomplete (`gatehouse autocomplete` sets them up in your shell profile instead); fish is generated here.',
  ].join('\n');

  static override enableJsonFlag = false;
  static override examples = ['<%= config.bin %> completion bash', '<%= config.bin %> completion fish > ~/.config/fish/completions/gatehouse.fish'];
  static override args = { shell: Args.string({ required: true, options: ['bash', 'zsh', 'fish'], description: 'The shell.' }) };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    if (args.shell === 'fish') {
      process.stdout.write(fishCompletion(this.config.bin, this.commandList(), Object.fromEntries(this.config.topics.map((t) => [t.name, t.description]))));
      return;
    }
    // The plugin writes its scripts into the cache dir; this prints the one for the shell.
    await this.config.runCommand('autocomplete:create');
    const file = args.shell === 'bash' ? join('bash', `${this.config.bin}.bash`) : join('zsh', `_${this.config.bin}`);
    process.stdout.write(await readFile(join(this.config.cacheDir, 'autocomplete', 'functions', file), 'utf8'));
  }

  private commandList(): CompletionCommand[] {
    return this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id,
        summary: c.summary ?? c.description,
        flags: Object.entries(c.flags ?? {})
          .filter(([, f]) => !f.hidden)
          .map(([name, f]) => ({
            name,
            ...(f.char ? { char: f.char } : {}),
            summary: f.summary ?? f.description,
            value: f.type === 'option',
            ...(f.type === 'option' && f.options ? { options: f.options } : {}),
          })),
      }));
  }
}
