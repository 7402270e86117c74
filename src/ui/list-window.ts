/**
 * Scrolling for lists that grow at the end and lose items at the front (the calls ring). Positions are
 * keyed by a stable id (a call's seq), not an index, so a selection stays on the same call while new
 * calls arrive and old ones scroll out of the ring.
 */

export interface ListPosition<K> {
  /** Follow the newest item: the selection sits on the last row and moves with it. */
  follow: boolean;
  selected?: K;
  /** Key of the first visible item, so the view does not jump while new items arrive. */
  top?: K;
}

export interface ListWindow {
  /** Index of the selected item, or -1 for an empty list. */
  selected: number;
  /** Visible range [start, end). */
  start: number;
  end: number;
}

/**
 * Where the window sits given a position. `indexOf` returns the index of a key, or of the first item
 * after it when the key has gone (-1 if nothing is after it).
 */
export function computeWindow<K>(count: number, height: number, pos: ListPosition<K>, indexOf: (key: K) => number): ListWindow {
  const h = Math.max(1, height);
  if (count === 0) return { selected: -1, start: 0, end: 0 };
  // Not following and nothing chosen yet (a fresh, non-following list such as the backends): the top.
  let selected = pos.follow ? count - 1 : 0;
  if (!pos.follow && pos.selected !== undefined) {
    const i = indexOf(pos.selected);
    selected = i < 0 ? count - 1 : i;
  }
  let start: number;
  if (pos.follow || pos.top === undefined) {
    start = selected - h + 1;
  } else {
    const t = indexOf(pos.top);
    start = t < 0 ? selected - h + 1 : t;
    if (selected < start) start = selected;
    if (selected >= start + h) start = selected - h + 1;
  }
  start = Math.max(0, Math.min(start, count - h));
  return { selected, start, end: Math.min(count, start + h) };
}

export type Move = 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end';

/**
 * The next position after a key press. Moving onto the last item resumes following; moving off it
 * pins the selection.
 */
export function moveSelection<K>(count: number, height: number, pos: ListPosition<K>, move: Move, keyAt: (index: number) => K, indexOf: (key: K) => number): ListPosition<K> {
  if (count === 0) return { follow: true };
  const win = computeWindow(count, height, pos, indexOf);
  const page = Math.max(1, height - 1);
  let target: number;
  switch (move) {
    case 'up':
      target = win.selected - 1;
      break;
    case 'down':
      target = win.selected + 1;
      break;
    case 'pageUp':
      target = win.selected - page;
      break;
    case 'pageDown':
      target = win.selected + page;
      break;
    case 'home':
      target = 0;
      break;
    case 'end':
      target = count - 1;
      break;
  }
  target = Math.max(0, Math.min(count - 1, target));
  if (target === count - 1) return { follow: true };
  const next: ListPosition<K> = { follow: false, selected: keyAt(target), top: keyAt(win.start) };
  const moved = computeWindow(count, height, next, indexOf);
  return { ...next, top: keyAt(moved.start) };
}

/** Binary search over ascending numeric keys: index of `key`, or of the first larger one; -1 if none. */
export function lowerBound<T>(items: readonly T[], key: number, keyOf: (item: T) => number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keyOf(items[mid] as T) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo < items.length ? lo : -1;
}
