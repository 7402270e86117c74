import { execFile } from 'node:child_process';
import { readFile, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import type { FileFindings, ScanSkipReason } from './apply.js';
import { parseMap, type LoadedMap } from './map-file.js';
import type { Finding } from './rewrite.js';

/*
 * What `migrate apply`, `migrate check` and `migrate map` share: exit codes, flag parsing, the map
 * loader, finding records and the git dirtiness check. Commands never import each other, so it lives here.
 */

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

