import { fit } from './format.js';

/**
 * Fixed-width table columns that drop out, lowest priority first, as the terminal narrows. One column
 * may flex to take what is left. Rows are then plain padded strings, which keeps rendering cheap and
 * layout predictable at any width.
 */
export interface Column<K extends string = string> {
  key: K;
  title: string;
  width: number;
  align?: 'left' | 'right';
  /** Takes the remaining width (at least `width`). */
  flex?: boolean;
  /** Higher survives longer on narrow terminals. */
  priority: number;
}

export interface LaidOutColumn<K extends string = string> extends Column<K> {
  /** The width this column gets, not counting the one-space gap before it. */
  actual: number;
}

/** Chooses columns for `width` terminal cells (after the row marker), separated by one space. */
export function layoutColumns<K extends string>(columns: ReadonlyArray<Column<K>>, width: number): Array<LaidOutColumn<K>> {
  const kept = [...columns];
  const total = (cols: ReadonlyArray<Column<K>>) => cols.reduce((n, c) => n + c.width, 0) + Math.max(0, cols.length - 1);
  while (kept.length > 1 && total(kept) > width) {
    let drop = -1;
    for (let i = 0; i < kept.length; i++) {
      const c = kept[i] as Column<K>;
      if (c.flex) continue;
      if (drop < 0 || c.priority < (kept[drop] as Column<K>).priority) drop = i;
    }
    if (drop < 0) break;
    kept.splice(drop, 1);
  }
  const spare = Math.max(0, width - total(kept));
  const flexIndex = kept.findIndex((c) => c.flex);
  return kept.map((c, i) => ({ ...c, actual: i === flexIndex ? c.width + spare : c.width }));
}

export function cell<K extends string>(col: LaidOutColumn<K>, text: string): string {
  return fit(text, col.actual, col.align);
}

export function headerLine<K extends string>(cols: ReadonlyArray<LaidOutColumn<K>>): string {
  return cols.map((c) => cell(c, c.title)).join(' ');
}
