import { BaseCommand } from '../base-command.js';

export interface VersionResult {
  version: string;
  name: string;
  node: string;
  platform: string;
  arch: string;
}

export default class Version extends BaseCommand {
  static override summary = 'Print the gatehouse version (also: --version).';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];

  async run(): Promise<VersionResult> {
    await this.parse(Version);
    this.log(this.config.userAgent);
    return { name: this.config.name, version: this.config.version, node: process.version, platform: process.platform, arch: process.arch };
  }
}
