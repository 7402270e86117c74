import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { compileRewriter, executeApply, planApply, unifiedDiff, type ApplyPlan, type ScanSkipReason } from '../../core/migrate/index.js';
import {
  MigrateExit,
  dirtyFiles,
  displayPath,
  findingRecords,
  formatFinding,
  loadMapFile,
  parseServerRenames,
  refuseMissing,
  skippedSummary,
  type FindingRecord,
} from '../../core/migrate/report.js';

interface ChangedFile {
  path: string;
  replacements: number;
  edits: Array<{ line: number; column: number; old: string; new: string; kind: string }>;
  diff?: string;
}

export interface ApplyResult {
  mode: 'dry-run' | 'write';
  exitCode: number;
  changed: ChangedFile[];
  totals: { files: number; replacements: number; unchanged: number; skipped: number; residual: number };
  unchanged: string[];
  skipped: Array<{ path: string; reason: ScanSkipReason }>;
  /** What `check` would still report after writing. */
  residual: FindingRecord[];
  chains: string[];
}

export default class MigrateApply extends BaseCommand {
  static override summary = 'Rewrite tool-name references in files and folders, using a migration map.';
  static override description = [
    'Walks the given files and folders (respecting .gitignore, skipping binaries and symlinks) and rewrites whole old names, Claude Code `mcp__<server>__<tool>` forms and `.mcp.json` server keys. Dry run by default: prints a unified diff and per-file counts. --write applies every file at once or none, keeping encodings, line endings and comments. Files with uncommitted changes in a git work tree are refused unless --force. A second apply changes nothing.',
    '\n\nExit codes:',
    '\n  0   nothing to change, nothing left',
    '\n  1   error (nothing written)',
    '\n  2   usage error',
    '\n  10  changes proposed (dry run) or written (--write)',
    '\n  11  names remain that the map cannot rewrite: ambiguous old names, or names that look like the old scheme but are not in the map (listed on stderr); takes precedence over 10',
  ].join('');

  static override examples = [
    '<%= config.bin %> <%= command.id %> --map tool-map.yaml .',
    '<%= config.bin %> <%= command.id %> --map tool-map.yaml CLAUDE.md .claude routines --write',
    '<%= config.bin %> <%= command.id %> --map tool-map.yaml ~/.claude.json --server-rename context-forge=monolith --write',
  ];

  static override strict = false;
  static override args = {
    paths: Args.string({ description: 'files and folders to rewrite (any number)', required: false }),
  };

  static override flags = {
    map: Flags.string({ char: 'm', summary: 'Migration map (YAML, JSON or CSV) from `gatehouse migrate map`.', required: true }),
    write: Flags.boolean({ char: 'w', summary: 'Write the changes (default: dry run).' }),
    force: Flags.boolean({ char: 'f', summary: 'Write even to files with uncommitted changes, or with a chained map.' }),
    'server-rename': Flags.string({ summary: 'Rename an MCP server, old=new (repeatable); adds to the map\'s own.', multiple: true, multipleNonGreedy: true }),
    gitignore: Flags.boolean({ summary: 'Respect .gitignore files (--no-gitignore walks ignored files too).', default: true, allowNo: true }),
  };

  async run(): Promise<ApplyResult> {
    const { argv, flags } = await this.parse(MigrateApply);
    const paths = argv as string[];
    if (!paths.length) {
      throw new UserError('Name the files or folders to rewrite.', {
        code: 'missing_paths',
        exit: ExitCode.usage,
        hint: `For example: gatehouse migrate apply --map ${flags.map} .`,
      });
    }
    const map = await loadMapFile(flags.map, parseServerRenames(flags['server-rename']));
    const rewriter = compileRewriter(map);
    const plan = await planApply(paths, rewriter, { gitignore: flags.gitignore, inputs: [flags.map] });
    refuseMissing(plan.skipped);

    if (rewriter.chains.length) {
      const msg = `The map chains names (${rewriter.chains.join(', ')}): a new name is also an old one, so a second apply would rename again.`;
      if (flags.write && !flags.force) {
        throw new UserError(msg, { code: 'migrate_map_chain', hint: 'Fix the map so that no new name is an old name, or pass --force to write once anyway.', details: { chains: rewriter.chains } });
      }
      this.note(`Warning: ${msg}`);
    }

    if (flags.write && plan.changes.length) {
      if (!flags.force) {
        const dirty = await dirtyFiles(plan.changes.map((c) => c.path));
        if (dirty.length) {
          throw new UserError(`Refusing to write ${dirty.length} file${dirty.length === 1 ? '' : 's'} with uncommitted changes: ${dirty.map((d) => displayPath(d)).join(', ')}`, {
            code: 'migrate_dirty',
            hint: 'Commit or stash them first so the rewrite can be reviewed and undone, or pass --force.',
            details: { files: dirty.map((d) => displayPath(d)) },
          });
        }
      }
      await executeApply(plan);
    }

    const result = this.result(plan, flags.write, rewriter.chains, map.serverRenames);
    if (!this.jsonEnabled()) this.render(result, plan);
    process.exitCode = result.exitCode;
    return result;
  }

  private result(plan: ApplyPlan, write: boolean, chains: string[], serverRenames: ReadonlyMap<string, string>): ApplyResult {
    const changed: ChangedFile[] = plan.changes.map((c) => ({
      path: displayPath(c.path),
      replacements: c.replacements.length,
      edits: c.replacements.map((r) => ({ line: r.line, column: r.column, old: r.old, new: r.new, kind: r.kind })),
      ...(write ? {} : { diff: unifiedDiff(displayPath(c.path), c.before, c.after) }),
    }));
    const residual = findingRecords(plan.residual, serverRenames);
    const exitCode = residual.length ? MigrateExit.residual : changed.length ? MigrateExit.changes : MigrateExit.clean;
    return {
      mode: write ? 'write' : 'dry-run',
      exitCode,
      changed,
      totals: {
        files: changed.length,
        replacements: changed.reduce((n, c) => n + c.replacements, 0),
        unchanged: plan.unchanged.length,
        skipped: plan.skipped.length,
        residual: residual.length,
      },
      unchanged: plan.unchanged.map((p) => displayPath(p)),
      skipped: plan.skipped.map((s) => ({ path: displayPath(s.path), reason: s.reason })),
      residual,
      chains,
    };
  }

  private render(r: ApplyResult, plan: ApplyPlan): void {
    const out: string[] = [];
    if (r.mode === 'dry-run') for (const c of r.changed) out.push(c.diff!.trimEnd());
    const width = Math.max(0, ...r.changed.map((c) => c.path.length));
    if (r.changed.length) {
      if (out.length) out.push('');
      for (const c of r.changed) out.push(`${c.path.padEnd(width)}  ${c.replacements} replacement${c.replacements === 1 ? '' : 's'}`);
    }
    const scanned = plan.changes.length + plan.unchanged.length;
    const verb = r.mode === 'write' ? 'Rewrote' : 'Would rewrite';
    out.push(
      r.changed.length
        ? `${verb} ${r.totals.replacements} name${r.totals.replacements === 1 ? '' : 's'} in ${r.changed.length} of ${scanned} file${scanned === 1 ? '' : 's'}.`
        : `Nothing to change in ${scanned} file${scanned === 1 ? '' : 's'}.`,
    );
    process.stdout.write(`${out.join('\n')}\n`);

    const skipped = skippedSummary(r.skipped);
    if (skipped) this.note(skipped);
    if (r.residual.length) {
      this.note(`${r.mode === 'write' ? 'Left' : 'Would leave'} ${r.residual.length} name${r.residual.length === 1 ? '' : 's'} the map cannot rewrite (fix by hand, then run \`gatehouse migrate check\`):`);
      for (const f of r.residual) this.note(`  ${formatFinding(f)}`);
    }
    if (r.mode === 'dry-run' && r.changed.length) this.note('Dry run: nothing was written. Pass --write to apply.');
  }
}
