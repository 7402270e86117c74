import { useCallback, useRef, useState } from 'react';
import { Box, Text, useInput, useStdin } from 'ink';
import { BackendsPanel } from './BackendsPanel.js';
import { CallsPanel } from './CallsPanel.js';
import { formatCount, formatUptime } from './format.js';
import { computeWindow, lowerBound, moveSelection, type ListPosition, type Move } from './list-window.js';
import type { DashboardSnapshot, GatewayPhase, SnapshotSource } from './store.js';
import { useDashboardSnapshot } from './use-dashboard-snapshot.js';
import { useNow } from './use-now.js';
import { useTerminalSize } from './use-terminal-size.js';

export type QuitReason = 'q' | 'ctrl-c';
/** Panels that take keyboard focus. Phase E adds detail views and a catalog panel here. */
export type Focus = 'backends' | 'calls';

export interface DashboardProps {
  store: SnapshotSource;
  /** Called on every q or Ctrl-C; the caller decides what a second press means (e.g. force quit). */
  onQuit: (reason: QuitReason) => void;
  /** Shown until `gateway.listening` announces the bound URL. */
  endpoint?: string;
  /** Fixed size, for tests; otherwise the terminal's, following resizes. */
  columns?: number;
  rows?: number;
  /** How often the clock (uptime, running calls) ticks. Default 1000 ms. */
  clockMs?: number;
}

/** Rows that are always there, whatever the data. */
const SPARE_ROWS = 1; // Ink clears the whole screen on every frame once output reaches the terminal height.
const HEADER_ROWS = 2;
const FOOTER_ROWS = 1;
const PANEL_CHROME = 2; // title + column header

export interface DashboardLayout {
  header: number;
  backends: number;
  calls: number;
  details: boolean;
}

/** Splits the terminal height between the panels; exported so tests and later views share the maths. */
export function layoutRows(rows: number, backendCount: number, hasWarning: boolean): DashboardLayout {
  const header = HEADER_ROWS + (hasWarning ? 1 : 0);
  const details = rows >= 16;
  const chrome = 2 * (PANEL_CHROME + (details ? 1 : 0));
  const avail = Math.max(2, rows - SPARE_ROWS - header - FOOTER_ROWS - chrome);
  const backends = Math.max(1, Math.min(Math.max(1, backendCount), Math.ceil(avail * 0.4)));
  return { header, backends, calls: Math.max(1, avail - backends), details };
}

export function Dashboard({ store, onQuit, endpoint, columns, rows, clockMs = 1000 }: DashboardProps) {
  const snap = useDashboardSnapshot(store);
  const size = useTerminalSize({ columns, rows });
  const tick = useNow(clockMs);
  // The clock only ticks once a second; never show a call as having started in the future.
  const now = Math.max(tick, snap.lastEventAt ?? 0);
  const { isRawModeSupported } = useStdin();
  const [focus, setFocus] = useState<Focus>('calls');
  const [callsPos, setCallsPos] = useState<ListPosition<number>>({ follow: true });
  const [backendsPos, setBackendsPos] = useState<ListPosition<string>>({ follow: false });

  const warning = snap.warnings[snap.warnings.length - 1];
  const layout = layoutRows(size.rows, snap.backends.length, warning !== undefined);
  const width = Math.max(20, size.columns);

  const callIndex = useCallback((seq: number) => lowerBound(snap.calls, seq, (c) => c.seq), [snap.calls]);
  const backendIndex = useCallback(
    (name: string) => {
      const i = snap.backends.findIndex((b) => b.name === name);
      return i < 0 ? 0 : i;
    },
    [snap.backends],
  );
  const callsWin = computeWindow(snap.calls.length, layout.calls, callsPos, callIndex);
  const backendsWin = computeWindow(snap.backends.length, layout.backends, backendsPos, backendIndex);

  // Keys can arrive faster than renders (key repeat, paste), so the handler reads the latest focus
  // from a ref and moves with functional updates rather than trusting its render's closure.
  const focusRef = useRef(focus);
  focusRef.current = focus;
  const changeFocus = (next: Focus | ((f: Focus) => Focus)) => {
    focusRef.current = typeof next === 'function' ? next(focusRef.current) : next;
    setFocus(focusRef.current);
  };
  const move = (m: Move) => {
    if (focusRef.current === 'calls') {
      setCallsPos((pos) => moveSelection(snap.calls.length, layout.calls, pos, m, (i) => (snap.calls[i] as { seq: number }).seq, callIndex));
    } else {
      setBackendsPos((pos) => {
        const next = moveSelection(snap.backends.length, layout.backends, pos, m, (i) => (snap.backends[i] as { name: string }).name, backendIndex);
        // Backends never "follow"; pin the last one instead.
        return next.follow ? { follow: false, selected: snap.backends[snap.backends.length - 1]?.name } : next;
      });
    }
  };

  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) {
        onQuit(key.ctrl ? 'ctrl-c' : 'q');
        return;
      }
      if (key.ctrl || (key.meta && !key.escape)) return;
      if (input === 'b') changeFocus('backends');
      else if (input === 'c') changeFocus('calls');
      else if (key.tab) changeFocus((f) => (f === 'calls' ? 'backends' : 'calls'));
      else if (key.upArrow || input === 'k') move('up');
      else if (key.downArrow || input === 'j') move('down');
      else if (key.pageUp) move('pageUp');
      else if (key.pageDown) move('pageDown');
      else if (key.home || input === 'g') move('home');
      else if (key.end || input === 'G') move('end');
      else if (key.escape && focusRef.current === 'calls') setCallsPos({ follow: true });
    },
    { isActive: isRawModeSupported },
  );

  return (
    <Box flexDirection="column" width={width}>
      <Header snap={snap} endpoint={snap.endpoint ?? endpoint} now={now} />
      {warning ? (
        <Text color={warning.kind === 'backend' ? 'red' : 'yellow'} wrap="truncate-end">
          {`⚠ ${warning.message}${snap.warnings.length > 1 ? `  (+${snap.warnings.length - 1} earlier)` : ''}`}
        </Text>
      ) : null}
      <BackendsPanel
        backends={snap.backends}
        width={width}
        height={layout.backends}
        focused={focus === 'backends'}
        selected={backendsWin.selected}
        start={backendsWin.start}
        now={now}
        showDetail={layout.details}
      />
      <CallsPanel
        calls={snap.calls}
        totals={snap.totals}
        inFlight={snap.inFlight}
        width={width}
        height={layout.calls}
        focused={focus === 'calls'}
        following={callsPos.follow}
        selected={callsWin.selected}
        start={callsWin.start}
        now={now}
        showDetail={layout.details}
      />
      <Footer focus={focus} />
    </Box>
  );
}

const PHASE_COLOUR: Record<GatewayPhase, string> = { starting: 'yellow', listening: 'green', stopping: 'yellow', stopped: 'red' };

function Header({ snap, endpoint, now }: { snap: DashboardSnapshot; endpoint?: string; now: number }) {
  const t = snap.totals;
  const catalog = [
    snap.catalog.tools === undefined ? undefined : `${snap.catalog.tools} tools`,
    snap.catalog.resources === undefined ? undefined : `${snap.catalog.resources} resources`,
    snap.catalog.resourceTemplates ? `${snap.catalog.resourceTemplates} templates` : undefined,
    snap.catalog.prompts === undefined ? undefined : `${snap.catalog.prompts} prompts`,
  ].filter(Boolean);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          Gatehouse
        </Text>
        <Text>{'  '}</Text>
        <Text bold>{endpoint ?? 'starting…'}</Text>
        <Text color={PHASE_COLOUR[snap.phase]}>{`  ● ${snap.phase}${snap.phase === 'stopping' && snap.stopReason ? ` (${snap.stopReason})` : ''}`}</Text>
        <Text dimColor>{`  up ${formatUptime(now - snap.startedAt)}`}</Text>
        {snap.transports.length > 0 ? <Text dimColor>{`  ${snap.transports.join(' · ')}`}</Text> : null}
      </Text>
      <Text wrap="truncate-end" dimColor>
        {[
          `calls ${formatCount(t.total + snap.inFlight)}`,
          `ok ${formatCount(t.ok)}`,
          `errors ${formatCount(t.error + t.timeout)}`,
          `in flight ${snap.inFlight}`,
          `sessions ${snap.sessions.open}`,
          ...catalog,
        ].join('  ·  ')}
      </Text>
    </Box>
  );
}

function Footer({ focus }: { focus: Focus }) {
  const hints: Array<[string, string]> = [
    ['q', 'quit'],
    ['↑↓ j k', 'move'],
    ['b', 'backends'],
    ['c', 'calls'],
    ['tab', 'switch'],
    ['End/Esc', 'follow'],
  ];
  return (
    <Text wrap="truncate-end">
      {hints.map(([k, label], i) => (
        <Text key={k}>
          {i > 0 ? '  ' : ''}
          <Text bold color={(k === 'b' && focus === 'backends') || (k === 'c' && focus === 'calls') ? 'cyan' : undefined}>
            {k}
          </Text>
          <Text dimColor>{` ${label}`}</Text>
        </Text>
      ))}
    </Text>
  );
}
