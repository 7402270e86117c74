import type { Column } from './columns.js';
import type { Colour } from './format.js';
import type { DashboardSnapshot } from './snapshot.js';

/** One line of a detail view; wrapped to the terminal width when drawn. */
export interface DetailLine {
  text: string;
  colour?: Colour;
  bold?: boolean;
  dim?: boolean;
}

/**
 * Everything a list view is: the one base (ListScreen + list navigation) draws, scrolls, filters and
 * opens every list from this, so the views cannot drift apart in how they behave.
 */
export interface ListSpec<T, K extends string = string> {
  title: string;
  /** Shown after `/` to say what the filter matches. */
  filterHint: string;
  emptyText: string;
  columns: ReadonlyArray<Column<K>>;
  items(snap: DashboardSnapshot): readonly T[];
  /** Stable across snapshots, so a selection stays on the same item while the list changes. */
  keyOf(item: T): string;
  filterFields(item: T): Readonly<Record<string, string | undefined>>;
  cell(item: T, key: K, now: number): string;
  colour?(item: T, key: K, now: number): Colour | 'dim';
  /**
   * Whether the item's cells read the clock (a running call's duration). Rows of items that do not are
   * not redrawn when only the clock moved. Default: every row is live.
   */
  live?(item: T): boolean;
  /** Lists that grow at the end (calls, errors) follow the newest item until the user moves. */
  follows: boolean;
  detailTitle(item: T): string;
  detail(item: T, snap: DashboardSnapshot, now: number): DetailLine[];
}

// Specs are heterogeneous in T and K; the screen only passes items back to the spec they came from.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyListSpec = ListSpec<any, any>;
