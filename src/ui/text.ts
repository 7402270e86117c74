import { redact, redactString } from '../core/log/redact.js';
import { singleLine, stripAnsi } from '../core/log/text.js';

// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** One line, redacted, bounded: names, reasons and summaries in lists. */
export function cleanLine(s: string, max = 500): string {
  // Cut before redacting: redaction scans with regexes, and it runs inside the gateway's emit.
  const one = singleLine(redactString(s.length > max * 2 ? s.slice(0, max * 2) : s));
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * Redaction cost grows faster than linearly with length (0.3 ms at 4 KB, 2.6 ms at 16 KB), and it runs
 * inside the gateway's emit; 4 KB holds any real error message whole.
 */
export const BLOCK_MAX = 4000;

/**
 * Untrusted multi-line text (error messages, results) for a detail view: redacted, escapes removed,
 * line breaks kept (a list row shows them as `\n`; a detail view wraps them) and bounded in size.
 */
export function cleanBlock(s: string, max = BLOCK_MAX): string {
  const text = stripAnsi(redactString(s.length > max ? s.slice(0, max) : s))
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '  ')
    .replace(CONTROL_BUT_NEWLINE, '');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Hard-wraps text to `width` columns, keeping its line breaks; breaks at a space when one is near. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    let chars = Array.from(raw);
    if (chars.length === 0) out.push('');
    while (chars.length > 0) {
      if (chars.length <= w) {
        out.push(chars.join(''));
        break;
      }
      let cut = w;
      const space = chars.lastIndexOf(' ', w);
      if (space > w / 2) cut = space + 1;
      out.push(chars.slice(0, cut).join('').trimEnd());
      chars = chars.slice(cut);
    }
  }
  return out;
}

/** Pretty, redacted JSON of an untrusted value, bounded; undefined stays undefined. */
export function prettyJson(value: unknown, max = BLOCK_MAX): string | undefined {
  if (value === undefined) return undefined;
  let json: string;
  try {
    json = JSON.stringify(redact(value), null, 2) ?? String(value);
  } catch {
    json = String(value);
  }
  return cleanBlock(json, max);
}
