import chalk from 'chalk';
import { Transform } from 'ink';
import type { Colour } from './format.js';

/**
 * One terminal line whose text changes from frame to frame (list rows, the header), drawn so that Ink
 * never measures it. Ink measures every text node it lays out with string-width, and keeps each
 * measured string in a module-level cache that is never emptied: a dashboard redrawing rows of new
 * calls grew that cache by about 2 KB a frame, for as long as the gateway ran (issue 13's bounded
 * memory). string-width is also slow on any string with a non-ASCII glyph (✓, …, →, ·): about 2 µs a
 * character, 0.25 ms for one 120-column row, every frame. So the line is laid out as a placeholder
 * of spaces as wide as the text (the cache holds one entry per width), and Ink's <Transform> swaps in
 * the styled text when it writes the output. Callers give segments that fit; the line is cut to
 * `width` columns (one per code point, as `fit` counts) and ends a cut with `…`.
 */
export interface Segment {
  text: string;
  colour?: Colour | 'dim';
  bold?: boolean;
  inverse?: boolean;
}

function styled(s: Segment): string {
  let out = s.text;
  if (out === '') return out;
  if (s.colour === 'dim') out = chalk.dim(out);
  else if (s.colour) out = chalk[s.colour](out);
  if (s.bold) out = chalk.bold(out);
  if (s.inverse) out = chalk.inverse(out);
  return out;
}

/** The segments cut to `width` code points in all, the last kept one ending in `…` when cut. */
export function clipSegments(segments: readonly Segment[], width: number): Segment[] {
  const out: Segment[] = [];
  let left = Math.max(0, width);
  const total = segments.reduce((n, s) => n + Array.from(s.text).length, 0);
  if (total <= left) return [...segments];
  for (const s of segments) {
    const chars = Array.from(s.text);
    if (chars.length < left) {
      out.push(s);
      left -= chars.length;
      continue;
    }
    if (left > 0) out.push({ ...s, text: `${chars.slice(0, left - 1).join('')}…` });
    break;
  }
  return out;
}

export function StyledLine({ segments, width }: { segments: readonly Segment[]; width: number }) {
  const clipped = clipSegments(segments, width);
  const columns = clipped.reduce((n, s) => n + Array.from(s.text).length, 0);
  const text = clipped.map(styled).join('');
  // A blank line keeps its row: Ink drops empty text nodes from the layout.
  return <Transform transform={() => text}>{' '.repeat(Math.max(1, columns))}</Transform>;
}
