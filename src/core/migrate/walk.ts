import { open, readdir, readFile, lstat, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { matchGitignore, parseGitignore, type GitignoreRule } from './gitignore.js';
import type { FileFormat } from './rewrite.js';
import { BINARY_SNIFF_BYTES, looksBinary } from './text-file.js';

/** Folders no migration should ever touch, ignored or not. */
export const ALWAYS_SKIPPED_DIRS: readonly string[] = ['.git', 'node_modules'];

export interface WalkOptions {
  /** Respect .gitignore files (and .git/info/exclude). Default true. */
  gitignore?: boolean;
  /** Larger files are skipped. Default 10 MiB. */
  maxFileSize?: number;
  /**
   * Files the run reads as input (the migration map): never walked, even when named, because
   * rewriting the map would turn every entry into new == new and break the served aliases.
   */
  inputs?: readonly string[];
}

export interface WalkedFile {
  /** The given path, or a given folder joined with the file's relative path. */
  path: string;
  format: FileFormat;
}

export type SkipReason = 'ignored' | 'always-skipped' | 'binary' | 'symlink' | 'too-large' | 'missing' | 'special' | 'map';

export interface SkippedPath {
  path: string;
  reason: SkipReason;
}

export interface WalkResult {
  files: WalkedFile[];
  skipped: SkippedPath[];
}

const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;

/** Recognises the formats apply treats specially by file name; everything else is plain text. */
export function detectFormat(path: string): FileFormat {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1).toLowerCase();
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return 'yaml';
  if (name.endsWith('.jsonc') || name.endsWith('.json5')) return 'jsonc';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.md') || name.endsWith('.markdown') || name.endsWith('.mdx')) return 'markdown';
  if (name.endsWith('.toml')) return 'toml';
  return 'text';
}

interface IgnoreFrame {
  base: string;
  rules: GitignoreRule[];
}

async function readRules(file: string): Promise<GitignoreRule[]> {
  try {
    return parseGitignore(await readFile(file, 'utf8'));
  } catch {
    return [];
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Ignore files that apply to `dir` from above it: from the enclosing git root down to dir's parent. */
async function ancestorFrames(dir: string): Promise<IgnoreFrame[]> {
  const chain: string[] = [];
  let gitRoot: string | undefined;
  for (let d = dir; ; d = dirname(d)) {
    chain.push(d);
    if (await exists(join(d, '.git'))) {
      gitRoot = d;
      break;
    }
    if (dirname(d) === d) break;
  }
  if (!gitRoot) return [];
  const frames: IgnoreFrame[] = [];
  const exclude = await readRules(join(gitRoot, '.git', 'info', 'exclude'));
  if (exclude.length) frames.push({ base: gitRoot, rules: exclude });
  // chain runs dir → gitRoot; the folder itself is read when the walk enters it.
  for (const d of chain.slice(1).reverse()) {
    const rules = await readRules(join(d, '.gitignore'));
    if (rules.length) frames.push({ base: d, rules });
  }
  return frames;
}

function isIgnored(frames: readonly IgnoreFrame[], absolute: string, isDirectory: boolean): boolean {
  let ignored: boolean | undefined;
  for (const frame of frames) {
    const rel = relative(frame.base, absolute);
    if (!rel || rel.startsWith('..')) continue;
    const verdict = matchGitignore(frame.rules, sep === '/' ? rel : rel.split(sep).join('/'), isDirectory);
    if (verdict !== undefined) ignored = verdict;
  }
  return ignored ?? false;
}

async function sniffBinary(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(BINARY_SNIFF_BYTES);
    const { bytesRead } = await handle.read(buf, 0, BINARY_SNIFF_BYTES, 0);
    return looksBinary(buf.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * Lists the text files under the given files and folders, in a stable order (given order, then
 * folder entries sorted by name). Respects .gitignore files found in the walked folders and above
 * them up to the git root; always skips .git and node_modules; skips binaries, symlinks (a rename
 * would replace the link with a file) and very large files. A file named explicitly is walked even
 * if ignored, as git does with an explicit path.
 */
export async function walkFiles(paths: readonly string[], options: WalkOptions = {}): Promise<WalkResult> {
  const useGitignore = options.gitignore ?? true;
  const maxSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const files: WalkedFile[] = [];
  const skipped: SkippedPath[] = [];
  const seen = new Set<string>();
  const inputs = new Set<string>();
  for (const p of options.inputs ?? []) {
    inputs.add(resolve(p));
    // A map reached through a symlinked folder is still the map.
    inputs.add(await realpath(p).catch(() => resolve(p)));
  }

  async function visitFile(shown: string, absolute: string, size: number): Promise<void> {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    if (inputs.has(absolute) || inputs.has(await realpath(absolute).catch(() => absolute))) return void skipped.push({ path: shown, reason: 'map' });
    if (size > maxSize) return void skipped.push({ path: shown, reason: 'too-large' });
    if (await sniffBinary(absolute)) return void skipped.push({ path: shown, reason: 'binary' });
    files.push({ path: shown, format: detectFormat(shown) });
  }

  async function visitDir(shown: string, absolute: string, frames: IgnoreFrame[]): Promise<void> {
    if (seen.has(absolute)) return;
    seen.add(absolute);
    if (useGitignore) {
      const own = await readRules(join(absolute, '.gitignore'));
      if (own.length) frames = [...frames, { base: absolute, rules: own }];
    }
    const entries = await readdir(absolute, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const childShown = join(shown, entry.name);
      const childAbsolute = join(absolute, entry.name);
      if (entry.isSymbolicLink()) {
        skipped.push({ path: childShown, reason: 'symlink' });
        continue;
      }
      const isDir = entry.isDirectory();
      if (isDir && ALWAYS_SKIPPED_DIRS.includes(entry.name)) {
        skipped.push({ path: childShown, reason: 'always-skipped' });
        continue;
      }
      if (useGitignore && isIgnored(frames, childAbsolute, isDir)) {
        skipped.push({ path: childShown, reason: 'ignored' });
        continue;
      }
      if (isDir) await visitDir(childShown, childAbsolute, frames);
      else if (entry.isFile()) await visitFile(childShown, childAbsolute, (await stat(childAbsolute)).size);
      else skipped.push({ path: childShown, reason: 'special' });
    }
  }

  for (const given of paths) {
    const absolute = resolve(given);
    let info;
    try {
      info = await lstat(absolute);
    } catch {
      skipped.push({ path: given, reason: 'missing' });
      continue;
    }
    if (info.isSymbolicLink()) skipped.push({ path: given, reason: 'symlink' });
    else if (info.isDirectory()) await visitDir(given, absolute, useGitignore ? await ancestorFrames(absolute) : []);
    else if (info.isFile()) await visitFile(given, absolute, info.size);
    else skipped.push({ path: given, reason: 'special' });
  }
  return { files, skipped };
}
