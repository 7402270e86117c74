import { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import { cell, headerLine, layoutColumns, type LaidOutColumn } from './columns.js';
import type { AnyListSpec } from './list-spec.js';
import { listWindow, type ListNav, type VisibleList } from './list-nav.js';

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
        visible.map((item, i) => <Row key={list.keys[win.start + i]} spec={spec} item={item} cols={cols} now={now} selected={focused && win.start + i === win.selected} />)
      )}
      {Array.from({ length: Math.max(0, height - Math.max(1, visible.length)) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
    </Box>
  );
}

const Row = memo(function Row({ spec, item, cols, now, selected }: { spec: AnyListSpec; item: unknown; cols: Array<LaidOutColumn<string>>; now: number; selected: boolean }) {
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {selected ? '› ' : '  '}
      {cols.map((c, i) => {
        const s = (i > 0 ? ' ' : '') + cell(c, spec.cell(item, c.key, now));
        const colour = spec.colour?.(item, c.key, now);
        return colour === 'dim' ? (
          <Text key={c.key} dimColor>
            {s}
          </Text>
        ) : (
          <Text key={c.key} color={colour}>
            {s}
          </Text>
        );
      })}
    </Text>
  );
});
