import { describe, expect, it } from 'vitest';
import { layoutColumns } from '../../src/ui/columns.js';
import { fit } from '../../src/ui/format.js';
import { computeWindow, lowerBound, moveSelection, type ListPosition } from '../../src/ui/list-window.js';

// Items are keyed by seq; the ring has dropped seq 0..9, so index i holds seq i + 10.
const items = Array.from({ length: 30 }, (_, i) => ({ seq: i + 10 }));
const indexOf = (seq: number) => lowerBound(items, seq, (x) => x.seq);
const keyAt = (i: number) => items[i]!.seq;

describe('list window', () => {
  it('follows the newest item', () => {
    expect(computeWindow(30, 5, { follow: true }, indexOf)).toEqual({ selected: 29, start: 25, end: 30 });
    expect(computeWindow(3, 5, { follow: true }, indexOf)).toEqual({ selected: 2, start: 0, end: 3 });
    expect(computeWindow(0, 5, { follow: true }, indexOf)).toEqual({ selected: -1, start: 0, end: 0 });
  });

  it('pins the selection by key and keeps the view still', () => {
    let pos: ListPosition<number> = { follow: true };
    pos = moveSelection(30, 5, pos, 'up', keyAt, indexOf);
    expect(pos).toMatchObject({ follow: false, selected: 38 });
    pos = moveSelection(30, 5, pos, 'pageUp', keyAt, indexOf);
    expect(pos.selected).toBe(34);
    expect(computeWindow(30, 5, pos, indexOf)).toEqual({ selected: 24, start: 24, end: 29 });
    // Moving down inside the window does not scroll it.
    pos = moveSelection(30, 5, pos, 'down', keyAt, indexOf);
    expect(computeWindow(30, 5, pos, indexOf)).toEqual({ selected: 25, start: 24, end: 29 });
    pos = moveSelection(30, 5, pos, 'end', keyAt, indexOf);
    expect(pos).toEqual({ follow: true });
  });

  it('moves to the next surviving item when the selected one scrolls out of the ring', () => {
    expect(computeWindow(30, 5, { follow: false, selected: 3, top: 3 }, indexOf)).toEqual({ selected: 0, start: 0, end: 5 });
  });

  it('binary-searches ascending keys', () => {
    expect(lowerBound(items, 10, (x) => x.seq)).toBe(0);
    expect(lowerBound(items, 25, (x) => x.seq)).toBe(15);
    expect(lowerBound(items, 99, (x) => x.seq)).toBe(-1);
  });
});

describe('columns', () => {
  const cols = [
    { key: 'a', title: 'A', width: 10, priority: 10 },
    { key: 'b', title: 'B', width: 10, priority: 1 },
    { key: 'c', title: 'C', width: 5, flex: true, priority: 5 },
  ];
  it('gives the spare width to the flex column and drops low-priority columns when narrow', () => {
    expect(layoutColumns(cols, 40).map((c) => [c.key, c.actual])).toEqual([
      ['a', 10],
      ['b', 10],
      ['c', 18],
    ]);
    expect(layoutColumns(cols, 20).map((c) => [c.key, c.actual])).toEqual([
      ['a', 10],
      ['c', 9],
    ]);
  });

  it('fits text to a width', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abc', 5, 'right')).toBe('  abc');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 0)).toBe('');
  });
});
