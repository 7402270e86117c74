import { existsSync, readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { redactConfig } from '../../core/backends/index.js';
import { writeFileAtomic } from '../../core/config/atomic.js';
import type { GatehouseConfig } from '../../core/config/schema.js';
import { configToYamlText, updateYamlText } from '../../core/config/yaml.js';

export interface ExportFileResult {
  output: string;
  format: 'yaml' | 'json';
  backends: number;
  /** True when an existing YAML file was updated in place, keeping its comments. */
  updated: boolean;
}

export default class ConfigExport extends BaseCommand {
  static override summary = 'Print the user config as gatehouse.yaml (or JSON).';
  static override description = [
    'The output can be passed to `gatehouse serve --config` or `gatehouse config import`.',
    'Secrets are never exported: the config holds only references (secret:<name>, env:<VAR>).',
    'With --output pointing at an existing YAML file, values are updated in place and its comments kept.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> > gatehouse.yaml',
    '<%= config.bin %> <%= command.id %> --output gatehouse.yaml',
    '<%= config.bin %> <%= command.id %> --json',
  ];

  static override flags = {
    output: Flags.string({ char: 'o', summary: 'Write to this file (atomically) instead of stdout; .json writes JSON.' }),
  };

  async run(): Promise<GatehouseConfig | ExportFileResult> {
    const { flags } = await this.parse(ConfigExport);
    const { config, redacted } = redactConfig(this.store.read());
    for (const path of redacted) {
      process.stderr.write(`Warning: ${this.store.path}: ${path.join('.')} held a literal secret; it is exported as <redacted>. Replace it with a secret: or env: reference.\n`);
    }

    if (!flags.output || flags.output === '-') {
      if (!this.jsonEnabled()) process.stdout.write(configToYamlText(config));
      return config;
    }

    const output = flags.output;
    const format = output.endsWith('.json') ? 'json' : 'yaml';
    let text: string;
    let updated = false;
    if (format === 'json') {
      text = `${JSON.stringify(config, null, 2)}\n`;
    } else if (existsSync(output)) {
      text = updateYamlText(readFileSync(output, 'utf8'), config);
      updated = true;
    } else {
      text = configToYamlText(config);
    }
    writeFileAtomic(output, text, { mode: 0o600 });
    const backends = Object.keys(config.backends).length;
    this.log(`${updated ? 'Updated' : 'Wrote'} ${output} (${backends} backend${backends === 1 ? '' : 's'}).`);
    return { output, format, backends, updated };
  }
}
