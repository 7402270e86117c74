import { Box, Text } from 'ink';
import type { DetailLine } from './list-spec.js';
import { wrapText } from './text.js';

export interface WrappedLine extends Omit<DetailLine, 'text'> {
  text: string;
}

/** Wraps detail lines to the width they will be drawn at; the key handler uses the count to clamp scrolling. */
export function wrapDetail(lines: readonly DetailLine[], width: number): WrappedLine[] {
  const out: WrappedLine[] = [];
  for (const l of lines) for (const text of wrapText(l.text, Math.max(10, width - 2))) out.push({ ...l, text });
  return out;
}

export interface DetailScreenProps {
  title: string;
  lines: readonly WrappedLine[];
  width: number;
  /** Rows for the body; the title is one more. */
  height: number;
  scroll: number;
}

/** A scrollable page of wrapped text: one call, backend, catalog entry, session or error, whole. */
export function DetailScreen({ title, lines, width, height, scroll }: DetailScreenProps) {
  const top = Math.max(0, Math.min(scroll, lines.length - height));
  const visible = lines.slice(top, top + height);
  const more = lines.length > height ? `  lines ${top + 1}–${top + visible.length} of ${lines.length}` : '';
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">{`▸ ${title}`}</Text>
        <Text dimColor>{`${more}  Esc back`}</Text>
      </Text>
      {visible.map((l, i) =>
        l.dim ? (
          <Text key={i} dimColor wrap="truncate-end">{`  ${l.text}`}</Text>
        ) : (
          <Text key={i} color={l.colour} bold={l.bold} wrap="truncate-end">{`  ${l.text}`}</Text>
        ),
      )}
      {Array.from({ length: Math.max(0, height - visible.length) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
    </Box>
  );
}
