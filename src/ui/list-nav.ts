import { computeWindow, moveSelection, type ListPosition, type ListWindow, type Move } from './list-window.js';
import { matchesFilter } from './filter.js';
import type { AnyListSpec } from './list-spec.js';
import type { DashboardSnapshot } from './snapshot.js';

/** Where the user is in one list view: selection, filter, and the open detail with its scroll. */
export interface ListNav {
  pos: ListPosition<string>;
  filter: string;
  /** Typing a filter after `/`. */
  editing: boolean;
  /** Key of the item whose detail is open. */
  detail?: string;
  scroll: number;
}

export function initialNav(follows: boolean): ListNav {
  return { pos: { follow: follows }, filter: '', editing: false, scroll: 0 };
}

export interface VisibleList {
  items: readonly unknown[];
  keys: readonly string[];
  total: number;
  indexOf(key: string): number;
}

/** The items a view shows after its filter, with their keys. */
export function visibleList(spec: AnyListSpec, snap: DashboardSnapshot, filter: string): VisibleList {
  const all = spec.items(snap);
  const items = filter.trim() === '' ? all : all.filter((item) => matchesFilter(spec.filterFields(item), filter));
  const keys = items.map((item) => spec.keyOf(item));
  const index = new Map(keys.map((k, i) => [k, i]));
  return { items, keys, total: all.length, indexOf: (key) => index.get(key) ?? -1 };
}

export function listWindow(list: VisibleList, height: number, nav: ListNav): ListWindow {
  return computeWindow(list.keys.length, height, nav.pos, list.indexOf);
}

export function moveNav(nav: ListNav, list: VisibleList, height: number, move: Move, follows: boolean): ListNav {
  const next = moveSelection(list.keys.length, height, nav.pos, move, (i) => list.keys[i] as string, list.indexOf);
  // A list that does not follow pins its last item instead, so new items do not drag the selection.
  const pos = next.follow && !follows ? { follow: false, selected: list.keys[list.keys.length - 1] } : next;
  return { ...nav, pos };
}

/** Scrolls an open detail, clamped to its wrapped length. */
export function scrollNav(nav: ListNav, lineCount: number, height: number, move: Move): ListNav {
  const max = Math.max(0, lineCount - height);
  const page = Math.max(1, height - 1);
  const delta: Record<Move, number> = { up: -1, down: 1, pageUp: -page, pageDown: page, home: -Infinity, end: Infinity };
  return { ...nav, scroll: Math.max(0, Math.min(max, nav.scroll + delta[move])) };
}

/** The key of the selected item, for opening it. */
export function selectedKey(list: VisibleList, height: number, nav: ListNav): string | undefined {
  const win = listWindow(list, height, nav);
  return win.selected < 0 ? undefined : list.keys[win.selected];
}
