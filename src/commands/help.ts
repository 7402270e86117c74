import { Args, Command, loadHelpClass } from '@oclif/core';

export default class HelpCommand extends Command {
  static override summary = 'Show help for gatehouse, a topic or a command.';
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help backends', '<%= config.bin %> help backends add'];
  static override strict = false;
  static override args = { command: Args.string({ required: false, description: 'A topic or command, words separated by spaces.' }) };

  async run(): Promise<void> {
    const { argv } = await this.parse(HelpCommand);
    const Help = await loadHelpClass(this.config);
    await new Help(this.config).showHelp(argv as string[]);
  }
}
