import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { assertNoLiteralSecrets, configNetworkWarnings } from '../../core/backends/index.js';
import { lintConfig, type ConfigWarning } from '../../core/config/lint.js';
import { parseConfigDocument, readConfigText } from '../../core/config/load.js';
import type { GatehouseConfig } from '../../core/config/schema.js';
import { assertReferencesResolve } from '../../core/config/references.js';
import { openSecrets } from '../../core/secrets/index.js';

export interface ValidateResult {
  file: string;
  valid: true;
  backends: number;
  enabled: number;
  warnings: ConfigWarning[];
}

export default class ConfigValidate extends BaseCommand {
  static override summary = 'Check a gatehouse.yaml, or the user config, without changing anything.';
  static override description = 'Exits 1 on the first invalid file, naming the file, the line, the path inside it and the fix. References are checked too: a secret: name that is not stored or a cfAccessToken that does not exist is an error (values are never read). Warnings (two backends sharing a prefix, an env: variable not set here) go to stderr and do not fail.';
  static override examples = ['<%= config.bin %> <%= command.id %> gatehouse.yaml', '<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> gatehouse.yaml --json'];
  static override args = { file: Args.string({ description: 'YAML or JSON file (default: the user config).', required: false }) };

  async run(): Promise<ValidateResult> {
    const { args } = await this.parse(ConfigValidate);
    let source: string;
    let config: GatehouseConfig;
    if (args.file) {
      source = args.file;
      config = parseConfigDocument(await readConfigText(args.file), source).config;
    } else {
      source = this.store.path;
      if (!this.store.exists()) this.note(`${source} does not exist yet; an empty config is valid.`);
      config = this.store.read();
    }
    assertNoLiteralSecrets(config, source);
    const warnings = lintConfig(config);
    // Unknown secret: names and token names fail here, not later in the serve log; unset env vars warn.
    warnings.push(...(await assertReferencesResolve(config, source, openSecrets({ dir: this.store.dir }))));
    // Before any call fails: addresses the REST network guard will refuse.
    for (const w of await configNetworkWarnings(config)) warnings.push({ path: ['backends', w.backend, 'baseUrl'], message: `${w.message}. ${w.hint}` });
    for (const w of warnings) process.stderr.write(`Warning: ${source}: ${w.path.join('.')}: ${w.message}\n`);
    const names = Object.keys(config.backends);
    const enabled = names.filter((n) => !config.backends[n]!.disabled).length;
    this.log(`${source} is valid: ${names.length} backend${names.length === 1 ? '' : 's'}, ${enabled} enabled.`);
    return { file: source, valid: true, backends: names.length, enabled, warnings };
  }
}
