/**
 * The part of gitignore semantics a migration walk needs: comments, escapes, negation, dir-only
 * patterns, anchoring (a slash at the start or in the middle), `*`, `?`, `[…]` and `**`.
 * Not covered: core.excludesFile, the global ignore file, and case-insensitive filesystems.
 */

export interface GitignoreRule {
  /** The pattern as written, for reports. */
  source: string;
  negate: boolean;
  dirOnly: boolean;
  regex: RegExp;
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function globToRegExpSource(glob: string): string {
  let re = '';
  let i = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        if (atSegmentStart && glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 3;
          continue;
        }
        if (atSegmentStart && i + 2 === glob.length) {
          re += '.*';
          i += 2;
          continue;
        }
        // `**` inside a segment behaves like `*`.
        re += '[^/]*';
        i += 2;
        continue;
      }
      re += '[^/]*';
      i++;
      continue;
    }
    if (c === '?') {
      re += '[^/]';
      i++;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!' || glob[j] === '^') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        re += '\\[';
        i++;
        continue;
      }
      let body = glob.slice(i + 1, j);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      body = body.replace(/\\/g, '\\\\').replace(/\]/g, '\\]');
      re += negated ? `(?!/)[^${body}]` : `[${body}]`;
      i = j + 1;
      continue;
    }
    if (c === '\\' && i + 1 < glob.length) {
      re += escapeChar(glob[i + 1]!);
      i += 2;
      continue;
    }
    re += escapeChar(c);
    i++;
  }
  return re;
}

/** Parses one .gitignore file's text into rules, in order. */
export function parseGitignore(text: string): GitignoreRule[] {
  const rules: GitignoreRule[] = [];
  for (let line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    // Trailing spaces are dropped unless escaped.
    line = line.replace(/(?<!\\)[ \t]+$/, '');
    if (line.endsWith('\\ ')) line = `${line.slice(0, -2)} `;
    if (line === '') continue;
    const source = line;
    let negate = false;
    if (line.startsWith('!')) {
      negate = true;
      line = line.slice(1);
    } else if (line.startsWith('\\!') || line.startsWith('\\#')) {
      line = line.slice(1);
    }
    let dirOnly = false;
    if (line.endsWith('/')) {
      dirOnly = true;
      line = line.replace(/\/+$/, '');
    }
    if (line === '') continue;
    const anchored = line.includes('/');
    if (line.startsWith('/')) line = line.slice(1);
    const body = globToRegExpSource(line);
    rules.push({ source, negate, dirOnly, regex: new RegExp(anchored ? `^${body}$` : `^(?:.*/)?${body}$`) });
  }
  return rules;
}

/**
 * Matches a path (relative to the .gitignore's folder, `/`-separated) against its rules:
 * true if ignored, false if re-included by a negation, undefined if no rule says anything.
 * The last matching rule wins, as in git.
 */
export function matchGitignore(rules: readonly GitignoreRule[], relativePath: string, isDirectory: boolean): boolean | undefined {
  let result: boolean | undefined;
  for (const rule of rules) {
    if (rule.dirOnly && !isDirectory) continue;
    if (rule.regex.test(relativePath)) result = !rule.negate;
  }
  return result;
}
