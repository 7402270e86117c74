import { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import { cell, headerLine, layoutColumns, type Column, type LaidOutColumn } from './columns.js';
import { callSizes, callTarget, formatBytes, formatClock, formatCount, formatDuration, outcomeColour, outcomeLabel } from './format.js';
import type { CallCounters, CallView } from './store.js';

type Key = 'time' | 'outcome' | 'duration' | 'target' | 'backend' | 'client' | 'sizes';

const COLUMNS: Array<Column<Key>> = [
  { key: 'time', title: 'TIME', width: 8, priority: 60 },
  { key: 'outcome', title: 'RESULT', width: 9, priority: 100 },
  { key: 'duration', title: 'DUR', width: 6, align: 'right', priority: 90 },
  { key: 'target', title: 'TOOL / METHOD', width: 16, flex: true, priority: 100 },
  { key: 'backend', title: 'BACKEND', width: 12, priority: 70 },
  { key: 'client', title: 'CLIENT', width: 14, priority: 40 },
  { key: 'sizes', title: 'SIZE', width: 11, align: 'right', priority: 50 },
];

export interface CallsPanelProps {
  calls: readonly CallView[];
  totals: CallCounters;
  inFlight: number;
  width: number;
  height: number;
  focused: boolean;
  /** Following the newest call, or pinned by the user. */
  following: boolean;
  selected: number;
  start: number;
  now: number;
  showDetail: boolean;
}

export const CallsPanel = memo(function CallsPanel(props: CallsPanelProps) {
  const { calls, totals, inFlight, width, height, focused, following, selected, start, now, showDetail } = props;
  const cols = useMemo(() => layoutColumns(COLUMNS, width - 2), [width]);
  const end = Math.min(calls.length, start + height);
  const visible = calls.slice(start, end);
  const errors = totals.error + totals.timeout;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text color={focused ? 'cyan' : undefined} bold>
          {focused ? '▸ ' : '  '}Recent calls
        </Text>
        <Text dimColor>{`  ${formatCount(totals.total)} done · ${inFlight} in flight`}</Text>
        {errors > 0 ? <Text color="red">{` · ${formatCount(errors)} failed`}</Text> : null}
        {totals.toolError > 0 ? <Text color="yellow">{` · ${formatCount(totals.toolError)} tool errors`}</Text> : null}
        <Text dimColor>{following ? '  following' : `  paused at ${selected + 1}/${calls.length} (End to follow)`}</Text>
      </Text>
      <Text dimColor wrap="truncate-end">{`  ${headerLine(cols)}`}</Text>
      {visible.length === 0 ? (
        <Text dimColor>{'  Waiting for calls…'}</Text>
      ) : (
        visible.map((call, i) => <CallRow key={call.seq} call={call} cols={cols} now={call.outcome === undefined ? now : 0} selected={focused && start + i === selected} />)
      )}
      {Array.from({ length: Math.max(0, height - Math.max(1, visible.length)) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
      {showDetail ? <Detail call={calls[selected]} now={now} /> : null}
    </Box>
  );
});

// `now` is 0 for finished calls so memo skips them on clock ticks; only running rows re-render.
const CallRow = memo(function CallRow({ call, cols, now, selected }: { call: CallView; cols: Array<LaidOutColumn<Key>>; now: number; selected: boolean }) {
  const running = call.outcome === undefined;
  const text = (key: Key): string => {
    switch (key) {
      case 'time':
        return formatClock(call.startedAt);
      case 'outcome':
        return outcomeLabel(call.outcome);
      case 'duration':
        return running ? formatDuration(Math.max(0, now - call.startedAt)) : formatDuration(call.durationMs);
      case 'target':
        return callTarget(call);
      case 'backend':
        return call.backend ?? '—';
      case 'client':
        return call.client;
      case 'sizes':
        return callSizes(call);
    }
  };
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {selected ? '› ' : '  '}
      {cols.map((c, i) => {
        const s = (i > 0 ? ' ' : '') + cell(c, text(c.key));
        if (c.key === 'outcome') return <Text key={c.key} color={outcomeColour(call.outcome)}>{s}</Text>;
        if (c.key === 'time' || c.key === 'sizes' || (c.key === 'duration' && running)) return <Text key={c.key} dimColor>{s}</Text>;
        return <Text key={c.key}>{s}</Text>;
      })}
    </Text>
  );
});

function Detail({ call, now }: { call?: CallView; now: number }) {
  if (!call) return <Text> </Text>;
  const bits = [`#${call.callId}`, call.client];
  if (call.sessionId) bits.push(`session ${call.sessionId}`);
  if (call.backend) bits.push(`via ${call.backend}`);
  bits.push(`req ${formatBytes(call.requestBytes)}`);
  if (call.outcome === undefined) bits.push(`running ${formatDuration(Math.max(0, now - call.startedAt))}`);
  else bits.push(`resp ${formatBytes(call.responseBytes)}`);
  return (
    <Text wrap="truncate-end">
      <Text dimColor>{`  ${bits.join(' · ')}`}</Text>
      {call.error ? <Text color={outcomeColour(call.outcome)}>{` · ${call.error}`}</Text> : null}
    </Text>
  );
}
