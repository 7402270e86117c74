import { memo } from 'react';
import { Box, Text } from 'ink';
import { cell, headerLine, layoutColumns, type Column, type LaidOutColumn } from './columns.js';
import { formatCount, formatDuration, stateColour, stateGlyph } from './format.js';
import type { BackendView } from './store.js';

type Key = 'name' | 'state' | 'tools' | 'resources' | 'prompts' | 'calls' | 'errors' | 'avg' | 'since' | 'protocol' | 'detail';

function columns(nameWidth: number): Array<Column<Key>> {
  return [
    { key: 'name', title: 'BACKEND', width: nameWidth, priority: 100 },
    { key: 'state', title: 'STATE', width: 10, priority: 99 },
    { key: 'tools', title: 'TOOLS', width: 5, align: 'right', priority: 90 },
    { key: 'calls', title: 'CALLS', width: 6, align: 'right', priority: 80 },
    { key: 'errors', title: 'ERR', width: 5, align: 'right', priority: 79 },
    { key: 'since', title: 'FOR', width: 6, align: 'right', priority: 60 },
    { key: 'avg', title: 'AVG', width: 6, align: 'right', priority: 50 },
    { key: 'resources', title: 'RES', width: 4, align: 'right', priority: 40 },
    { key: 'prompts', title: 'PRM', width: 4, align: 'right', priority: 39 },
    { key: 'protocol', title: 'PROTOCOL', width: 10, priority: 20 },
    { key: 'detail', title: 'DETAIL', width: 10, flex: true, priority: 95 },
  ];
}

export interface BackendsPanelProps {
  backends: readonly BackendView[];
  width: number;
  /** Rows for the list itself (title, header and detail lines are extra). */
  height: number;
  focused: boolean;
  selected: number;
  start: number;
  now: number;
  /** One line under the list about the selected backend. */
  showDetail: boolean;
}

export const BackendsPanel = memo(function BackendsPanel(props: BackendsPanelProps) {
  const { backends, width, height, focused, selected, start, now, showDetail } = props;
  const nameWidth = Math.min(24, Math.max(8, ...backends.map((b) => b.name.length)));
  const cols = layoutColumns(columns(nameWidth), width - 2);
  const visible = backends.slice(start, start + height);
  const current = backends[selected];
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text color={focused ? 'cyan' : undefined} bold>
          {focused ? '▸ ' : '  '}Backends
        </Text>
        <Text dimColor>{`  ${summarise(backends)}${backends.length > height ? `  ${start + 1}–${start + visible.length} of ${backends.length}` : ''}`}</Text>
      </Text>
      <Text dimColor wrap="truncate-end">{`  ${headerLine(cols)}`}</Text>
      {visible.length === 0 ? (
        <Text dimColor>{'  No backends yet.'}</Text>
      ) : (
        visible.map((b, i) => <BackendRow key={b.name} backend={b} cols={cols} now={now} selected={focused && start + i === selected} />)
      )}
      {Array.from({ length: Math.max(0, height - Math.max(1, visible.length)) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
      {showDetail ? <Detail backend={focused ? current : (backends.find((b) => b.state === 'failed' || b.state === 'degraded') ?? current)} now={now} /> : null}
    </Box>
  );
});

function summarise(backends: readonly BackendView[]): string {
  if (backends.length === 0) return '';
  const byState = new Map<string, number>();
  for (const b of backends) byState.set(b.state, (byState.get(b.state) ?? 0) + 1);
  const order = ['ready', 'starting', 'degraded', 'failed', 'disabled', 'stopped', 'unknown'];
  return order
    .filter((s) => byState.has(s))
    .map((s) => `${byState.get(s)} ${s}`)
    .join(' · ');
}

const BackendRow = memo(function BackendRow({ backend: b, cols, now, selected }: { backend: BackendView; cols: Array<LaidOutColumn<Key>>; now: number; selected: boolean }) {
  const live = b.state === 'ready' || b.state === 'degraded';
  const text = (key: Key): string => {
    switch (key) {
      case 'name':
        return b.name;
      case 'state':
        return `${stateGlyph(b.state)} ${b.state}`;
      case 'tools':
        return b.tools === undefined ? '—' : String(b.tools);
      case 'resources':
        return b.resources === undefined ? '—' : String(b.resources);
      case 'prompts':
        return b.prompts === undefined ? '—' : String(b.prompts);
      case 'calls':
        return formatCount(b.calls.total);
      case 'errors': {
        const n = b.calls.error + b.calls.timeout;
        return n === 0 ? '·' : formatCount(n);
      }
      case 'avg':
        return b.calls.total === 0 ? '—' : formatDuration(b.totalDurationMs / b.calls.total);
      case 'since':
        return formatDuration(Math.max(0, now - b.since));
      case 'protocol':
        return b.protocolVersion ?? '—';
      case 'detail':
        return detailText(b, now);
    }
  };
  return (
    <Text wrap="truncate-end" inverse={selected}>
      {selected ? '› ' : '  '}
      {cols.map((c, i) => {
        const s = (i > 0 ? ' ' : '') + cell(c, text(c.key));
        if (c.key === 'state') return <Text key={c.key} color={stateColour(b.state)}>{s}</Text>;
        if (c.key === 'errors' && b.calls.error + b.calls.timeout > 0) return <Text key={c.key} color="red">{s}</Text>;
        if ((c.key === 'tools' || c.key === 'resources' || c.key === 'prompts') && !live) return <Text key={c.key} dimColor>{s}</Text>;
        if (c.key === 'detail' && (b.state === 'failed' || b.state === 'degraded')) return <Text key={c.key} color={stateColour(b.state)}>{s}</Text>;
        if (c.key === 'detail' || c.key === 'since' || c.key === 'protocol') return <Text key={c.key} dimColor>{s}</Text>;
        return <Text key={c.key}>{s}</Text>;
      })}
    </Text>
  );
});

function detailText(b: BackendView, now: number): string {
  const parts: string[] = [];
  if (b.reason) parts.push(b.reason);
  if (b.retryAt !== undefined && b.retryAt > now) parts.push(`retry in ${formatDuration(b.retryAt - now)}`);
  if (b.inFlight > 0) parts.push(`${b.inFlight} in flight`);
  if (parts.length === 0 && b.serverName) parts.push(`${b.serverName}${b.serverVersion ? ` ${b.serverVersion}` : ''}`);
  return parts.join(' · ');
}

function Detail({ backend, now }: { backend?: BackendView; now: number }) {
  if (!backend) return <Text> </Text>;
  const bits: string[] = [backend.name];
  if (backend.serverName) bits.push(`${backend.serverName}${backend.serverVersion ? ` ${backend.serverVersion}` : ''}`);
  if (backend.protocolVersion) bits.push(`protocol ${backend.protocolVersion}`);
  const why = detailText(backend, now);
  if (why && !bits.includes(why)) bits.push(why);
  const stderr = backend.stderrTail[backend.stderrTail.length - 1];
  if (stderr) bits.push(`stderr: ${stderr}`);
  return (
    <Text dimColor wrap="truncate-end">
      {`  ${bits.join(' · ')}`}
    </Text>
  );
}
