import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { checkPaths, compileRewriter, type ScanSkipReason } from '../../core/migrate/index.js';
import {
  MigrateExit,
  displayPath,
  findingRecords,
  formatFinding,
  loadMapFile,
  parseServerRenames,
  refuseMissing,
  skippedSummary,
  type FindingRecord,
} from '../../core/migrate/report.js';

export interface CheckResultJson {
  ok: boolean;
  exitCode: number;
  scanned: number;
  /** Stale and ambiguous old names (errors). */
  findingCount: number;
  /** Names that look like the old scheme but are not in the map. */
  warningCount: number;
  files: number;
  /** Every location, errors and warnings, in walk order: one record per CI annotation. */
  findings: FindingRecord[];
  skipped: Array<{ path: string; reason: ScanSkipReason }>;
}

export default class MigrateCheck extends BaseCommand {
  static override summary = 'Fail when any old tool name from a migration map remains (the CI gate).';
  static override description = [
    'Walks the given files and folders the way `migrate apply` does and lists every old name as file:line:column. Names that look like the old scheme but are not in the map are warnings. --json gives one record per location (path, line, column, severity, message) for CI annotations.',
    '\n\nExit codes:',
    '\n  0   no old names (warnings may remain)',
    '\n  1   error',
    '\n  2   usage error',
    '\n  10  old names remain that `migrate apply` would rewrite',
    '\n  11  only names remain that the map cannot rewrite (ambiguous old names; with --strict, also warnings)',
  ].join('');

  static override examples = [
    '<%= config.bin %> <%= command.id %> --map tool-map.yaml .',
    '<%= config.bin %> <%= command.id %> --map tool-map.yaml . --json > findings.json',
  ];

  static override strict = false;

  static override flags = {
    map: Flags.string({ char: 'm', summary: 'Migration map (YAML, JSON or CSV) from `gatehouse migrate map`.', required: true }),
    'server-rename': Flags.string({ summary: 'Also flag an old MCP server name, old=new (repeatable); adds to the map\'s own.', multiple: true, multipleNonGreedy: true }),
    strict: Flags.boolean({ summary: 'Fail on warnings too (exit 11).' }),
    gitignore: Flags.boolean({ summary: 'Respect .gitignore files (--no-gitignore checks ignored files too).', default: true, allowNo: true }),
  };

  async run(): Promise<CheckResultJson> {
    const { argv, flags } = await this.parse(MigrateCheck);
    const paths = argv as string[];
    if (!paths.length) {
      throw new UserError('Name the files or folders to check.', {
        code: 'missing_paths',
        exit: ExitCode.usage,
        hint: `For example: gatehouse migrate check --map ${flags.map} .`,
      });
    }
    const map = await loadMapFile(flags.map, parseServerRenames(flags['server-rename']));
    const report = await checkPaths(paths, compileRewriter(map), { gitignore: flags.gitignore, inputs: [flags.map] });
    refuseMissing(report.skipped);

    const findings = findingRecords(report.files, map.serverRenames);
    const stale = findings.some((f) => f.kind === 'stale');
    const failing = report.findingCount > 0 || (flags.strict && report.warningCount > 0);
    const exitCode = stale ? MigrateExit.changes : failing ? MigrateExit.residual : MigrateExit.clean;
    const result: CheckResultJson = {
      ok: exitCode === 0,
      exitCode,
      scanned: report.scanned,
      findingCount: report.findingCount,
      warningCount: report.warningCount,
      files: report.files.length,
      findings,
      skipped: report.skipped.map((s) => ({ path: displayPath(s.path), reason: s.reason })),
    };

    if (!this.jsonEnabled()) {
      if (findings.length) process.stdout.write(`${findings.map(formatFinding).join('\n')}\n`);
      const skipped = skippedSummary(report.skipped);
      if (skipped) this.note(skipped);
      const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
      const counts = `${plural(report.findingCount, 'old name')} and ${plural(report.warningCount, 'warning')} in ${plural(report.scanned, 'file')} scanned`;
      if (exitCode === MigrateExit.changes) this.note(`✗ ${counts}. Run \`gatehouse migrate apply --map ${flags.map} …\` to rewrite the stale ones.`);
      else if (exitCode === MigrateExit.residual) this.note(`✗ ${counts}. Apply cannot rewrite these; rename them by hand.`);
      else this.note(`✓ ${counts}.`);
    }
    process.exitCode = exitCode;
    return result;
  }
}
