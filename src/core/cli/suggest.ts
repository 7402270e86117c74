/**
 * "Did you mean …?" for mistyped commands and flags. Pure string work, so the not-found hook and the
 * base command share it and it is tested without a CLI.
 */

/** Edit distance with adjacent transpositions (a typo like `stauts` is one edit, not two). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `input`, or undefined when nothing is close enough to be a typo of it
 * (more than about a third of the longer word would have to change).
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const want = input.toLowerCase();
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(want, c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  if (!best) return undefined;
  const limit = Math.max(2, Math.ceil(Math.max(want.length, best.c.length) / 3));
  return best.d <= limit ? best.c : undefined;
}

/**
 * The nearest command id for a mistyped one, both in oclif's colon form (`backends:list`). A word
 * that is a topic plus a wrong verb is matched inside that topic first, so `backends lst` suggests
 * `backends list` rather than a shorter command elsewhere; a typo of a topic alone (`backend`)
 * matches every command id by its words.
 */
export function closestCommand(id: string, commandIds: readonly string[]): string | undefined {
  const words = id.split(':');
  const exact = commandIds.find((c) => c === id);
  if (exact) return exact;
  if (words.length > 1) {
    const inTopic = commandIds.filter((c) => c.startsWith(`${words[0]}:`));
    const hit = inTopic.length ? closest(id, inTopic) : undefined;
    if (hit) return hit;
  }
  const sameDepth = commandIds.filter((c) => c.split(':').length === words.length);
  return closest(id, sameDepth) ?? closest(id, commandIds);
}

/** oclif ids use ":"; people type spaces. */
export function spacedId(id: string): string {
  return id.split(':').join(' ');
}
