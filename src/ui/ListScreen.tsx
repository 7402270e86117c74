import { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import { cell, headerLine, layoutColumns, type LaidOutColumn } from './columns.js';
import type { AnyListSpec } from './list-spec.js';
import { listWindow, type ListNav, type VisibleList } from './list-nav.js';
import { StyledLine, type Segment } from './StyledLine.js';

export interface ListScreenProps {
  spec: AnyListSpec;
  list: VisibleList;
  nav: ListNav;
  width: number;
  /** Rows for items; the title and column header are two more. */
  height: number;
  now: number;
  focused?: boolean;
  /** Overrides the spec's title (the overview's panels). */
  title?: string;
}

/** The one list renderer: title with counts and filter, column header, a window of rows, padding. */
export function ListScreen({ spec, list, nav, width, height, now, focused = true, title }: ListScreenProps) {
  const cols = useMemo(() => layoutColumns(spec.columns, width - 2), [spec, width]);
  const win = listWindow(list, height, nav);
  const visible = list.items.slice(win.start, win.end);
  const filtered = nav.filter.trim() !== '';
  const position = list.keys.length > height ? `  ${win.start + 1}–${win.end} of ${list.keys.length}` : '';
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text color={focused ? 'cyan' : undefined} bold>
          {focused ? '▸ ' : '  '}
          {title ?? spec.title}
        </Text>
        <Text dimColor>{filtered ? `  ${list.keys.length} of ${list.total} match` : `  ${list.total}`}</Text>
        {nav.editing || filtered ? <Text color="yellow">{`  /${nav.filter}${nav.editing ? '▏' : ''}`}</Text> : null}
        <Text dimColor>{spec.follows ? (nav.pos.follow ? '  following' : `  paused at ${win.selected + 1}/${list.keys.length} (End to follow)`) : position}</Text>
      </Text>
      <Text dimColor wrap="truncate-end">{`  ${headerLine(cols)}`}</Text>
      {visible.length === 0 ? (
        <Text dimColor wrap="truncate-end">{filtered ? `  Nothing matches "${nav.filter}" (${spec.filterHint}). Esc clears.` : `  ${spec.emptyText}`}</Text>
      ) : (
        // Keyed by screen position: under load every row shows a new call each frame, and updating a row's
        // text costs Ink less than unmounting one and mounting another.
        visible.map((item, i) => <Row key={i} spec={spec} item={item} cols={cols} now={spec.live?.(item) === false ? 0 : now} selected={focused && win.start + i === win.selected} width={width} />)
      )}
      {Array.from({ length: Math.max(0, height - Math.max(1, visible.length)) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
    </Box>
  );
}

/**
 * A row redraws only when its item, layout or selection changes, or, for items whose cells read the
 * clock (`spec.live`), when the clock moves: under load most rows on screen are finished calls.
 */
const Row = memo(function Row({ spec, item, cols, now, selected, width }: { spec: AnyListSpec; item: unknown; cols: Array<LaidOutColumn<string>>; now: number; selected: boolean; width: number }) {
  const segments: Segment[] = [{ text: selected ? '› ' : '  ', inverse: selected }];
  cols.forEach((c, i) => {
    segments.push({ text: (i > 0 ? ' ' : '') + cell(c, spec.cell(item, c.key, now)), colour: spec.colour?.(item, c.key, now), inverse: selected });
  });
  return <StyledLine segments={segments} width={width} />;
});
