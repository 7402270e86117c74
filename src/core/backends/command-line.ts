import { ExitCode, UserError } from '../errors.js';

/**
 * Splits a command line the way a POSIX shell would split words, without running a shell:
 * single quotes keep everything literal; double quotes allow \" \\ \$ \` escapes; a backslash
 * outside quotes escapes the next character; adjacent pieces join into one word ("a"'b'c → abc);
 * '' or "" make an empty argument.
 *
 * Gatehouse starts the command directly, so shell syntax that would silently mean something else
 * (pipes, redirects, `;`, `&&`, `$VAR`, `$(…)`, backticks, a leading `~`) is refused with a hint
 * rather than passed through as literal text.
 */
export function parseCommandLine(line: string, flag = '--stdio'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const fail = (what: string, hint: string): never => {
    throw new UserError(`${flag}: ${what} at position ${i + 1} of: ${line}`, { code: 'invalid_command_line', exit: ExitCode.usage, hint });
  };
  const noShell = `Gatehouse runs the command directly, not through a shell. Quote the character if it is meant literally, or wrap the pipeline: ${flag} "sh -c 'a | b'".`;
  const noExpansion = `Gatehouse does not expand variables. Write the value itself, quote the $ ('$HOME'), or pass it to the process with --env NAME=env:VAR.`;

  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (inWord) {
        words.push(word);
        word = '';
        inWord = false;
      }
      i++;
      continue;
    }
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) fail('unterminated single quote', "Close the quote, or escape a literal quote as '\\''.");
      word += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= line.length) fail('unterminated double quote', 'Close the quote, or escape a literal quote as \\".');
        const d = line[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const n = line[i + 1];
          if (n === '"' || n === '\\' || n === '$' || n === '`') {
            word += n;
            i += 2;
            continue;
          }
          if (n === '\n') {
            i += 2;
            continue;
          }
          word += d;
          i++;
          continue;
        }
        if (d === '$' && /[A-Za-z_{(]/.test(line[i + 1] ?? '')) fail('variable or command expansion inside double quotes', noExpansion);
        if (d === '`') fail('command substitution with backticks', noShell);
        word += d;
        i++;
      }
      continue;
    }
    if (c === '\\') {
      const n = line[i + 1];
      if (n === undefined) fail('trailing backslash', 'Remove it, or write \\\\ for a literal backslash.');
      if (n !== '\n') word += n;
      inWord = inWord || n !== '\n';
      i += 2;
      continue;
    }
    if ('|&;<>()`'.includes(c)) fail(`shell operator "${c}"`, noShell);
    if (c === '$' && /[A-Za-z_{(]/.test(line[i + 1] ?? '')) fail('variable or command expansion', noExpansion);
    if (c === '~' && !inWord) fail('a leading "~" (home directory)', 'Gatehouse does not expand ~. Write the absolute path instead.');
    word += c;
    inWord = true;
    i++;
  }
  if (inWord) words.push(word);
  return words;
}

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument so that parseCommandLine (and a POSIX shell) read it back unchanged. */
export function quoteArg(arg: string): string {
  if (arg === '') return "''";
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The inverse of parseCommandLine, for display: `command arg 'arg with space'`. */
export function formatCommandLine(command: string, args: readonly string[] = []): string {
  return [command, ...args].map(quoteArg).join(' ');
}
