import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { assertNoLiteralSecrets } from '../../core/backends/index.js';
import { applyImport, describeChanges, diffConfigs, type ConfigChanges, type ImportMode } from '../../core/config/diff.js';
import { parseConfigDocument, readConfigText } from '../../core/config/load.js';
import type { GatehouseConfig } from '../../core/config/schema.js';
import { UserError, isUserError } from '../../core/errors.js';
import { MAX_CONFIG_BYTES, formatBytes } from '../../core/config/read-file.js';

export interface ImportResult {
  file: string;
  mode: ImportMode;
  dryRun: boolean;
  written: boolean;
  changes: ConfigChanges;
}

export default class ConfigImport extends BaseCommand {
  static override summary = 'Load a gatehouse.yaml (or JSON) into the config file.';
  static override description = [
    'The file is validated first (unknown keys are errors, and so are secrets written literally); nothing is written unless all of it is valid.',
    '--merge (the default) adds the file\'s backends, replacing same-named ones whole, and keeps the rest.',
    '--replace makes the config file exactly the file; it also repairs a config file that no longer parses.',
    'Use - to read from stdin.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> gatehouse.yaml --dry-run',
    '<%= config.bin %> <%= command.id %> gatehouse.yaml',
    '<%= config.bin %> <%= command.id %> backup.yaml --replace',
  ];

  static override args = { file: Args.string({ description: 'YAML or JSON file, or - for stdin.', required: true }) };

  static override flags = {
    merge: Flags.boolean({ summary: 'Add and update backends from the file, keep the others (default).', exclusive: ['replace'] }),
    replace: Flags.boolean({ summary: 'Make the config file exactly the file.', exclusive: ['merge'] }),
    'dry-run': Flags.boolean({ summary: 'Show what would change; write nothing.' }),
  };

  async run(): Promise<ImportResult> {
    const { args, flags } = await this.parse(ConfigImport);
    const source = args.file === '-' ? '<stdin>' : args.file;
    const text = args.file === '-' ? await readStdin() : await readConfigText(args.file);
    // The data as written (no schema defaults), so the config file gets what the source says.
    const { config: checked, data } = parseConfigDocument(text, source);
    assertNoLiteralSecrets(checked, source);
    const incoming = data as GatehouseConfig;

    const mode: ImportMode = flags.replace ? 'replace' : 'merge';
    const dryRun = Boolean(flags['dry-run']);
    let changes!: ConfigChanges;
    const apply = (current: GatehouseConfig): GatehouseConfig => {
      const next = applyImport(current, incoming, mode);
      changes = diffConfigs(current, next);
      return next;
    };
    const broken = (e: unknown) => mode === 'replace' && isUserError(e) && (e.code === 'config_parse' || e.code === 'config_invalid');
    try {
      if (dryRun) apply(this.store.read());
      // One locked read-modify-write, so a concurrent `backends add` is neither lost nor lost to us.
      else this.store.update(apply);
    } catch (e) {
      if (!broken(e)) throw e;
      process.stderr.write(`Note: ${this.store.path} does not load (${(e as Error).message.split('\n')[0]}); --replace overwrites it.\n`);
      const next = apply({ version: 1, backends: {} });
      if (!dryRun) this.store.write(next);
    }
    const written = !dryRun && !changes.same;

    const lines = describeChanges(changes);
    if (lines.length) this.log(lines.join('\n'));
    if (dryRun) this.note(changes.same ? 'Dry run: nothing would change.' : `Dry run: nothing written. Run without --dry-run to apply (${mode}).`);
    else this.note(changes.same ? `${this.store.path} already matches ${source}; nothing written.` : `Imported ${source} into ${this.store.path} (${mode}).`);
    return { file: source, mode, dryRun, written, changes };
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONFIG_BYTES) {
      throw new UserError(`The config on stdin is over the ${formatBytes(MAX_CONFIG_BYTES)} limit.`, { code: 'config_too_large', hint: 'Check that it is the right file.' });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
