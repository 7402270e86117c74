import { readFile, stat } from 'node:fs/promises';
import { writeFilesAtomic, type AtomicFs } from './atomic.js';
import type { FileFormat, Finding, Replacement, Rewriter } from './rewrite.js';
import { decodeText, encodeText, type TextEncoding } from './text-file.js';
import { walkFiles, type SkippedPath, type WalkOptions } from './walk.js';

/** One file apply would change, with everything needed to show and then write it. */
export interface PlannedChange {
  path: string;
  format: FileFormat;
  encoding: TextEncoding;
  before: string;
  after: string;
  replacements: Replacement[];
  originalBytes: Uint8Array;
  newBytes: Uint8Array;
  /** Size and mtime at read time, so the write can refuse if the file changed meanwhile. */
  stat: { size: number; mtimeMs: number };
}

export type ScanSkipReason = SkippedPath['reason'] | 'undecodable';

export interface FileFindings {
  path: string;
  findings: Finding[];
  warnings: Finding[];
}

export interface ApplyPlan {
  changes: PlannedChange[];
  /** Text files read that need no change. */
  unchanged: string[];
  skipped: Array<{ path: string; reason: ScanSkipReason }>;
  /**
   * What `check` would still report once the plan is written: ambiguous old names (findings) and
   * old-looking names the map does not cover (warnings). Non-empty means apply cannot finish the job alone.
   */
  residual: FileFindings[];
}

export interface CheckReport {
  /** Only files with findings or warnings, in walk order. */
  files: FileFindings[];
  scanned: number;
  skipped: Array<{ path: string; reason: ScanSkipReason }>;
  /** Total stale and ambiguous names: non-zero fails the gate. */
  findingCount: number;
  warningCount: number;
}

/**
 * Reads and rewrites every walked file in memory, writing nothing, so a dry run can show the diff
 * and `--write` can then commit all files at once.
 */
export async function planApply(paths: readonly string[], rewriter: Rewriter, options: WalkOptions = {}): Promise<ApplyPlan> {
  const walked = await walkFiles(paths, options);
  const plan: ApplyPlan = { changes: [], unchanged: [], skipped: [...walked.skipped], residual: [] };
  for (const file of walked.files) {
    const info = await stat(file.path);
    const bytes = await readFile(file.path);
    const decoded = decodeText(bytes);
    if (decoded.kind !== 'text') {
      plan.skipped.push({ path: file.path, reason: decoded.kind });
      continue;
    }
    const options = { format: file.format, fileName: file.path };
    const result = rewriter.rewrite(decoded.text, options);
    const residual = rewriter.check(result.text, options);
    if (residual.findings.length || residual.warnings.length) plan.residual.push({ path: file.path, ...residual });
    if (result.replacements.length === 0) {
      plan.unchanged.push(file.path);
      continue;
    }
    plan.changes.push({
      path: file.path,
      format: file.format,
      encoding: decoded.encoding,
      before: decoded.text,
      after: result.text,
      replacements: result.replacements,
      originalBytes: bytes,
      newBytes: encodeText(result.text, decoded.encoding),
      stat: { size: info.size, mtimeMs: info.mtimeMs },
    });
  }
  return plan;
}

/** Writes a plan: all files or none (see writeFilesAtomic). */
export async function executeApply(plan: ApplyPlan, options: { fs?: AtomicFs } = {}): Promise<void> {
  await writeFilesAtomic(
    plan.changes.map((c) => ({ path: c.path, data: c.newBytes, original: c.originalBytes, expect: c.stat })),
    options,
  );
}

/** Walks like apply and lists every stale or ambiguous old name (fail) and every suspect (warn). */
export async function checkPaths(paths: readonly string[], rewriter: Rewriter, options: WalkOptions = {}): Promise<CheckReport> {
  const walked = await walkFiles(paths, options);
  const report: CheckReport = { files: [], scanned: 0, skipped: [...walked.skipped], findingCount: 0, warningCount: 0 };
  for (const file of walked.files) {
    const decoded = decodeText(await readFile(file.path));
    if (decoded.kind !== 'text') {
      report.skipped.push({ path: file.path, reason: decoded.kind });
      continue;
    }
    report.scanned++;
    const { findings, warnings } = rewriter.check(decoded.text, { format: file.format, fileName: file.path });
    if (findings.length || warnings.length) report.files.push({ path: file.path, findings, warnings });
    report.findingCount += findings.length;
    report.warningCount += warnings.length;
  }
  return report;
}
