function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * A unified diff for a dry run. Rewrites replace names in place and never add or remove line
 * breaks, so lines pair up one to one and no general diff algorithm is needed; if the line counts
 * ever differ, the whole file is shown as one hunk.
 */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const noEolA = before.length > 0 && !before.endsWith('\n');
  const noEolB = after.length > 0 && !after.endsWith('\n');
  const out = [`--- a/${path}`, `+++ b/${path}`];

  const line = (prefix: string, lines: string[], i: number, noEol: boolean): void => {
    out.push(`${prefix}${lines[i]}`);
    if (noEol && i === lines.length - 1) out.push('\\ No newline at end of file');
  };

  if (a.length !== b.length) {
    out.push(`@@ -${a.length ? 1 : 0},${a.length} +${b.length ? 1 : 0},${b.length} @@`);
    a.forEach((_, i) => line('-', a, i, noEolA));
    b.forEach((_, i) => line('+', b, i, noEolB));
    return `${out.join('\n')}\n`;
  }

  const changed: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) changed.push(i);
  let k = 0;
  while (k < changed.length) {
    let end = k;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * context + 1) end++;
    const from = Math.max(0, changed[k]! - context);
    const to = Math.min(a.length - 1, changed[end]! + context);
    const count = to - from + 1;
    out.push(`@@ -${from + 1},${count} +${from + 1},${count} @@`);
    let i = from;
    while (i <= to) {
      if (a[i] === b[i]) {
        line(' ', a, i, noEolA);
        i++;
        continue;
      }
      let j = i;
      while (j <= to && a[j] !== b[j]) j++;
      for (let x = i; x < j; x++) line('-', a, x, noEolA);
      for (let x = i; x < j; x++) line('+', b, x, noEolB);
      i = j;
    }
    k = end + 1;
  }
  return `${out.join('\n')}\n`;
}
