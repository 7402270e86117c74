import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { redactConfig } from '../../core/backends/index.js';
import { writeFileAtomic } from '../../core/config/atomic.js';
import type { GatehouseConfig } from '../../core/config/schema.js';
import { exportText, mergeExportInto } from '../../core/config/export.js';
import { readBoundedFileSync } from '../../core/config/read-file.js';
import { configToYamlText } from '../../core/config/yaml.js';

export interface ExportFileResult {
  output: string;
  format: 'yaml' | 'json';
  backends: number;
  /** True when an existing file was updated in place, keeping its comments. */
  updated: boolean;
  /** What the existing file had beyond the exported config, kept as it was. */
  kept: string[];
}

export default class ConfigExport extends BaseCommand {
  static override summary = 'Print the config as gatehouse.yaml (or JSON), or merge it into a file.';
  static override description = [
    'The output can be passed to `gatehouse serve --config` or `gatehouse config import`.',
    'Secrets are never exported: the config holds only references (secret:<name>, env:<VAR>).',
    'With --output pointing at an existing file, the exported backends and gateway settings are merged into it: its comments, header and',
    'whatever it has that the config does not (other backends, a hand-written gateway section) are kept. A file that is not a valid config is refused.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> > gatehouse.yaml',
    '<%= config.bin %> <%= command.id %> --output gatehouse.yaml',
    '<%= config.bin %> <%= command.id %> --json',
  ];

  static override flags = {
    output: Flags.string({ char: 'o', summary: 'Write to this file (atomically) instead of stdout; .json writes JSON.' }),
    prune: Flags.boolean({ summary: 'With --output: also remove what the file has that the config does not (its comments stay).', dependsOn: ['output'] }),
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
    const existing = readBoundedFileSync(output, { what: 'export target' });
    let text = exportText(config, format);
    let kept: string[] = [];
    if (existing !== undefined && existing.trim()) ({ text, kept } = mergeExportInto(existing, output, config, format, { prune: flags.prune }));
    const updated = existing !== undefined;
    for (const k of kept) this.note(`Kept from ${output}: ${k} (not in ${this.store.path}; --prune removes it).`);
    writeFileAtomic(output, text, { mode: 0o600 });
    const backends = Object.keys(config.backends).length;
    this.log(`${updated ? 'Updated' : 'Wrote'} ${output} (${backends} backend${backends === 1 ? '' : 's'}).`);
    return { output, format, backends, updated, kept };
  }
}
