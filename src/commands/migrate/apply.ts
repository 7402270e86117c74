import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ExitCode, UserError, errorMessage } from '../../core/errors.js';
import {
  compileRewriter,
  executeApply,
  parseMap,
  planApply,
  unifiedDiff,
  type ApplyPlan,
  type FileFindings,
  type Finding,
  type LoadedMap,
  type ScanSkipReason,
} from '../../core/migrate/index.js';

/**
 * Exit codes shared by `migrate apply` and `migrate check` (and documented in docs/commands-migrate.md).
 * 1 and 2 keep their usual meaning (failure, usage); the rest say what is left to do.
 */
export const MigrateExit = {
  /** Nothing to change, nothing left. */
  clean: 0,
  /** apply: changes proposed (dry run) or written. check: old names remain that apply would rewrite. */
  changes: 10,
  /** Names remain that the map cannot rewrite: ambiguous old names, or (apply) old-looking names the map lacks. */
  residual: 11,
} as const;

/** `old=new`, repeatable; shared by map, apply and check. */
export function parseServerRenames(values: readonly string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values ?? []) {
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(v.trim());
    if (!m) {
      throw new UserError(`--server-rename "${v}" is not old=new.`, {
        code: 'usage',
        exit: ExitCode.usage,
        hint: 'For example: --server-rename context-forge=monolith',
      });
    }
    out.set(m[1]!, m[2]!);
  }
  return out;
}

/** Reads a map file; extra `--server-rename` values win over the map's own. */
export async function loadMapFile(file: string, serverRenames: Map<string, string>): Promise<LoadedMap> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UserError(`Cannot read the map ${file}: ${errorMessage(e)}`, {
      code: 'migrate_map_unreadable',
      hint: 'Create one with `gatehouse migrate map … --output <file>`.',
    });
  }
  const map = parseMap(text, { fileName: file });
  for (const [o, n] of serverRenames) map.serverRenames.set(o, n);
  if (map.names.size === 0 && map.serverRenames.size === 0 && map.ambiguous.size === 0) {
    throw new UserError(`The map ${file} renames nothing.`, {
      code: 'migrate_map_empty',
      hint: 'Check that it is the right file, or regenerate it with `gatehouse migrate map`.',
    });
  }
  return map;
}

/** Paths under the working folder are shown relative to it, others as given. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const r = relative(cwd, resolve(path));
  if (!r) return '.';
  if (r.startsWith('..') || isAbsolute(r)) return path;
  return r.split(sep).join('/');
}

/** Given paths that do not exist are a mistake, never a silent pass. */
export function refuseMissing(skipped: ReadonlyArray<{ path: string; reason: ScanSkipReason }>): void {
  const missing = skipped.filter((s) => s.reason === 'missing').map((s) => s.path);
  if (missing.length) {
    throw new UserError(`No such file or folder: ${missing.join(', ')}`, {
      code: 'path_missing',
      exit: ExitCode.usage,
      details: { missing },
    });
  }
}

export function skippedSummary(skipped: ReadonlyArray<{ reason: ScanSkipReason }>): string | undefined {
  if (!skipped.length) return undefined;
  const counts = new Map<string, number>();
  for (const s of skipped) counts.set(s.reason, (counts.get(s.reason) ?? 0) + 1);
  const parts = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${n} ${r}`);
  return `Skipped ${skipped.length} path${skipped.length === 1 ? '' : 's'} (${parts.join(', ')}).`;
}

/** One finding as a line for people and as a record for CI annotations. */
export interface FindingRecord {
  path: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  kind: Finding['kind'];
  name: string;
  replacement?: string;
  message: string;
}

/** Errors and warnings of each file, merged in text order, as records for output and CI annotations. */
export function findingRecords(files: readonly FileFindings[], serverRenames: ReadonlyMap<string, string> = new Map()): FindingRecord[] {
  const out: FindingRecord[] = [];
  for (const f of files) {
    const path = displayPath(f.path);
    const records: Array<FindingRecord & { offset: number }> = [];
    for (const x of f.findings) {
      records.push({
        path,
        line: x.line,
        column: x.column,
        offset: x.offset,
        severity: 'error',
        kind: x.kind,
        name: x.text,
        ...(x.replacement !== undefined ? { replacement: x.replacement } : {}),
        message:
          x.kind === 'ambiguous'
            ? `ambiguous old name ${x.text}: several tools had it, so the map cannot say which; rename it by hand`
            : `stale old name ${x.text}${x.replacement !== undefined ? ` (apply writes ${x.replacement})` : ''}`,
      });
    }
    for (const w of f.warnings) {
      const server = serverRenames.get(w.text);
      records.push({
        path,
        line: w.line,
        column: w.column,
        offset: w.offset,
        severity: 'warning',
        kind: w.kind,
        name: w.text,
        message:
          server !== undefined
            ? `old server name ${w.text} outside an mcp__ form or server key (the server is now ${server}); check it by hand`
            : `${w.text} looks like an old name but is not in the map`,
      });
    }
    records.sort((a, b) => a.offset - b.offset);
    for (const { offset: _offset, ...r } of records) out.push(r);
  }
  return out;
}

export function formatFinding(r: FindingRecord): string {
  return `${r.path}:${r.line}:${r.column}: ${r.severity}: ${r.message}`;
}

function git(args: string[], cwd: string): Promise<{ ok: boolean; stdout: string; missing?: boolean }> {
  return new Promise((done) => {
    execFile('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return done({ ok: false, stdout: '', missing: true });
      done({ ok: !err, stdout: stdout ?? '' });
    });
  });
}

/**
 * Files with uncommitted changes (modified, staged or untracked) in their git work tree. Files
 * outside any work tree are fine: there is nothing git could give back, and nothing to lose to it.
 */
export async function dirtyFiles(paths: readonly string[]): Promise<string[]> {
  const byRoot = new Map<string, Array<{ shown: string; real: string }>>();
  for (const shown of paths) {
    const real = await realpath(shown);
    const top = await git(['rev-parse', '--show-toplevel'], dirname(real));
    if (top.missing) return [];
    if (!top.ok) continue;
    const root = top.stdout.trim();
    const group = byRoot.get(root) ?? [];
    group.push({ shown, real });
    byRoot.set(root, group);
  }
  const dirty: string[] = [];
  for (const [root, files] of byRoot) {
    const status = await git(['status', '--porcelain', '-z', '--untracked-files=all', '--', ...files.map((f) => relative(root, f.real))], root);
    if (!status.ok) throw new UserError(`git status failed in ${root}.`, { code: 'git_failed', hint: 'Run `git status` there to see why, or pass --force.' });
    const listed = new Set<string>();
    const fields = status.stdout.split('\0');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (f.length < 4) continue;
      listed.add(resolve(root, f.slice(3)));
      if (f[0] === 'R' || f[0] === 'C') listed.add(resolve(root, fields[++i] ?? ''));
    }
    for (const f of files) if (listed.has(f.real)) dirty.push(f.shown);
  }
  return dirty;
}

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
    const plan = await planApply(paths, rewriter, { gitignore: flags.gitignore });
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
