import { useMemo } from 'react';
import { Box, Text, useStdin } from 'ink';
import type { ApprovalsPort, PinsPort } from '../core/admin/feed.js';
import { promptText } from './approval-keys.js';
import { DetailScreen, wrapDetail, type WrappedLine } from './DetailScreen.js';
import { Header, headerRows } from './Header.js';
import { HelpScreen, KeyLine, Tabs, type Mode } from './KeyLine.js';
import { initialNav, visibleList, type ListNav, type VisibleList } from './list-nav.js';
import { ListScreen } from './ListScreen.js';
import { Overview, overviewLayout, type OverviewFocus } from './Overview.js';
import type { DashboardSnapshot, SnapshotSource } from './store.js';
import { useDashboardSnapshot } from './use-dashboard-snapshot.js';
import { useDashboardKeys, type DashboardUiState, type NavName } from './use-dashboard-keys.js';
import { useLatestState } from './use-latest-state.js';
import { useNow } from './use-now.js';
import { useTerminalSize } from './use-terminal-size.js';
import { LIST_SPECS, type ListViewName, type ViewName } from './views.js';

export type QuitReason = 'q' | 'ctrl-c';
export type Focus = OverviewFocus;
export type { ViewName } from './views.js';

export interface DashboardProps {
  store: SnapshotSource;
  /** Called on every q or Ctrl-C; the caller decides what a second press means (e.g. force quit). */
  onQuit: (reason: QuitReason) => void;
  /** Shown until `gateway.listening` announces the bound URL. */
  endpoint?: string;
  /** Fixed size, for tests; otherwise the terminal's, following resizes. */
  columns?: number;
  rows?: number;
  /** How often the clock (uptime, running calls, countdowns) ticks. Default 1000 ms. */
  clockMs?: number;
  /** The view to open on. Default overview. */
  initialView?: ViewName;
  /** Approve and deny through the admin API, as its operator. */
  approvals?: ApprovalsPort;
  /** After a decision, so the plan list is re-read at once. */
  onDecided?: () => void;
  /** Accept tools withheld by pinning (catalog view), as its operator; and re-read them after. */
  pins?: PinsPort;
  onAccepted?: () => void;
}

/** The clock's pace while the store publishes busy snapshots: slower than any busy window, so it adds no frames. */
const BUSY_CLOCK_MS = 10_000;

/** Rows that are always there, whatever the view. */
const SPARE_ROWS = 1; // Ink clears the whole screen on every frame once output reaches the terminal height.
const TAB_ROWS = 1;
const FOOTER_ROWS = 1;

/** Rows left for the body of a view (between the tabs and the key line). */
export function bodyRows(rows: number, header: number): number {
  return Math.max(3, rows - SPARE_ROWS - header - TAB_ROWS - FOOTER_ROWS);
}

/** Everything the screen and the key handler both need, computed once per render from the same state. */
export interface Frame {
  lists: Record<NavName, VisibleList>;
  /** Item rows each list has on screen. */
  heights: Record<NavName, number>;
  /** The open detail, wrapped, when there is one. */
  detail?: { title: string; lines: WrappedLine[]; height: number };
  mode: Mode;
}

function initialState(view: ViewName): DashboardUiState {
  const navs = {} as Record<NavName, ListNav>;
  for (const [name, spec] of Object.entries(LIST_SPECS)) navs[name as ListViewName] = initialNav(spec.follows);
  navs['overview-backends'] = initialNav(false);
  navs['overview-calls'] = initialNav(true);
  return { view, focus: 'calls', help: false, navs };
}

export function Dashboard({ store, onQuit, endpoint, columns, rows, clockMs = 1000, initialView = 'overview', approvals, onDecided, pins, onAccepted }: DashboardProps) {
  const snap = useDashboardSnapshot(store);
  const size = useTerminalSize({ columns, rows });
  // Under load the store's publishes (every busy window) keep the time fresh; the clock stays out.
  const tick = useNow(snap.busy ? Math.max(clockMs, BUSY_CLOCK_MS) : clockMs);
  // The clock only ticks once a second; never show a call as having started in the future.
  const now = Math.max(tick, snap.lastEventAt ?? 0);
  const { isRawModeSupported } = useStdin();
  const [state, setState] = useLatestState(() => initialState(initialView));
  const ui = state.current;

  const width = Math.max(20, size.columns);
  const body = bodyRows(size.rows, headerRows(snap, now));
  const frame = useFrame(snap, ui, width, body, now);

  useDashboardKeys({ snap, frame, state, setState, onQuit, isActive: isRawModeSupported, approvals, onDecided, pins, onAccepted });

  const overview = overviewLayout(body, snap.backends.length);
  let content;
  if (ui.help) content = <HelpScreen width={width} height={body} />;
  else if (frame.detail) content = <DetailScreen title={frame.detail.title} lines={frame.detail.lines} width={width} height={frame.detail.height} scroll={ui.navs[ui.view as ListViewName].scroll} />;
  else if (ui.view === 'overview')
    content = (
      <Overview
        backends={frame.lists['overview-backends']}
        calls={frame.lists['overview-calls']}
        backendsNav={ui.navs['overview-backends']}
        callsNav={ui.navs['overview-calls']}
        focus={ui.focus}
        layout={overview}
        width={width}
        now={now}
      />
    );
  else content = <ListScreen spec={LIST_SPECS[ui.view]} list={frame.lists[ui.view]} nav={ui.navs[ui.view]} width={width} height={frame.heights[ui.view]} now={now} />;

  return (
    <Box flexDirection="column" width={width}>
      <Header snap={snap} endpoint={snap.endpoint ?? endpoint} now={now} width={width} />
      <Tabs view={ui.view} />
      {content}
      {ui.view === 'approvals' && !ui.help ? (
        <Text wrap="truncate-end" color={ui.notice?.colour} dimColor={!ui.notice}>
          {ui.notice?.text ?? (approvals ? `Decisions are recorded as ${approvals.operator}.` : 'Read-only: no admin API to decide through.')}
        </Text>
      ) : null}
      {ui.view === 'catalog' && !ui.help && catalogStatus(snap, ui) ? (
        <Text wrap="truncate-end" color={ui.notice?.colour ?? 'yellow'}>
          {ui.notice?.text ?? `${snap.pins.length} tool${snap.pins.length === 1 ? '' : 's'} withheld by pinning until accepted: ⏎ shows the diff, A accepts${pins ? ` as ${pins.operator}` : ''}.`}
        </Text>
      ) : null}
      {ui.prompt ? (
        <Text wrap="truncate-end" bold color="yellow">
          {promptText(ui.prompt, ui.prompt.action === 'accept' ? pins?.operator : approvals?.operator)}
        </Text>
      ) : (
        <KeyLine mode={frame.mode} />
      )}
    </Box>
  );
}

function useFrame(snap: DashboardSnapshot, ui: DashboardUiState, width: number, body: number, now: number): Frame {
  const overview = overviewLayout(body, snap.backends.length);
  const f = (name: ListViewName) => ui.navs[name].filter;
  // Filtering walks whole lists; do it only when the snapshot or a filter changed, not on clock ticks.
  const lists = useMemo(
    () => ({
      backends: visibleList(LIST_SPECS.backends, snap, f('backends')),
      catalog: visibleList(LIST_SPECS.catalog, snap, f('catalog')),
      calls: visibleList(LIST_SPECS.calls, snap, f('calls')),
      sessions: visibleList(LIST_SPECS.sessions, snap, f('sessions')),
      errors: visibleList(LIST_SPECS.errors, snap, f('errors')),
      approvals: visibleList(LIST_SPECS.approvals, snap, f('approvals')),
      'overview-backends': visibleList(LIST_SPECS.backends, snap, ''),
      'overview-calls': visibleList(LIST_SPECS.calls, snap, ''),
    }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [snap, f('backends'), f('catalog'), f('calls'), f('sessions'), f('errors'), f('approvals')],
  );
  const listHeight = Math.max(1, body - 2);
  const heights: Record<NavName, number> = {
    backends: listHeight,
    // A status line for held tools (pinning) or the last accept's outcome.
    catalog: catalogStatus(snap, ui) ? Math.max(1, listHeight - 1) : listHeight,
    calls: listHeight,
    sessions: listHeight,
    errors: listHeight,
    // One row goes to the approvals view's status line.
    approvals: Math.max(1, listHeight - 1),
    'overview-backends': overview.backends,
    'overview-calls': overview.calls,
  };
  let detail: Frame['detail'];
  let mode: Mode = ui.view === 'overview' ? 'overview' : 'list';
  if (ui.view !== 'overview') {
    const nav = ui.navs[ui.view];
    if (nav.editing) mode = 'filter';
    if (nav.detail !== undefined) {
      const spec = LIST_SPECS[ui.view];
      const list = lists[ui.view];
      const all = spec.items(snap);
      const item = all.find((x) => spec.keyOf(x) === nav.detail) ?? list.items[list.indexOf(nav.detail)];
      const lines = item === undefined ? [{ text: 'This item has scrolled out of the dashboard’s history.', dim: true }] : spec.detail(item, snap, now);
      detail = { title: item === undefined ? spec.title : spec.detailTitle(item), lines: wrapDetail(lines, width), height: Math.max(1, body - (ui.view === 'approvals' || (ui.view === 'catalog' && catalogStatus(snap, ui)) ? 2 : 1)) };
      mode = 'detail';
    }
  }
  if (ui.help) mode = 'help';
  return { lists, heights, detail, mode };
}

/** Whether the catalog view shows its status line: tools are held, or an accept has an outcome to tell. */
function catalogStatus(snap: DashboardSnapshot, ui: DashboardUiState): boolean {
  return snap.pins.length > 0 || ui.notice !== undefined;
}
