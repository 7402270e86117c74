import { useRef } from 'react';
import { useInput, type Key } from 'ink';
import type { ApprovalsPort, PinsPort } from '../core/admin/feed.js';
import { pinKey } from './pin-keys.js';
import { approvalKey, type ApprovalUiState } from './approval-keys.js';
import type { Frame, QuitReason } from './Dashboard.js';
import type { Move } from './list-window.js';
import { moveNav, scrollNav, selectedKey, type ListNav } from './list-nav.js';
import type { OverviewFocus } from './Overview.js';
import type { DashboardSnapshot, ErrorView } from './snapshot.js';
import { LIST_SPECS, VIEWS, type ListViewName, type ViewName } from './views.js';

export type NavName = ListViewName | 'overview-backends' | 'overview-calls';

export interface DashboardUiState extends ApprovalUiState {
  view: ViewName;
  focus: OverviewFocus;
  help: boolean;
  navs: Record<NavName, ListNav>;
}

export interface DashboardKeysOptions {
  snap: DashboardSnapshot;
  frame: Frame;
  state: { readonly current: DashboardUiState };
  setState: (update: (prev: DashboardUiState) => DashboardUiState) => void;
  onQuit: (reason: QuitReason) => void;
  isActive: boolean;
  /** Approve and deny from the approvals view; absent: those keys say why they cannot. */
  approvals?: ApprovalsPort;
  onDecided?: () => void;
  /** Accept held tools from the catalog view (A); absent: the key says why it cannot. */
  pins?: PinsPort;
  onAccepted?: () => void;
}

function moveOf(input: string, key: Key): Move | undefined {
  if (key.upArrow || input === 'k') return 'up';
  if (key.downArrow || input === 'j') return 'down';
  if (key.pageUp || (key.ctrl && input === 'b')) return 'pageUp';
  if (key.pageDown || (key.ctrl && input === 'f') || input === ' ') return 'pageDown';
  if (key.home || input === 'g') return 'home';
  if (key.end || input === 'G') return 'end';
  return undefined;
}

/** Every key the dashboard takes, in one place, so the key line and the help describe one behaviour. */
export function useDashboardKeys({ frame: current, state, setState, onQuit, isActive, approvals, onDecided, pins, onAccepted }: DashboardKeysOptions): void {
  // Ink re-subscribes the handler in a passive effect, which can run after the next key has already
  // arrived; reading the frame through a ref means a key always acts on what is on screen.
  const frameRef = useRef(current);
  frameRef.current = current;
  const setNav = (name: NavName, update: (nav: ListNav) => ListNav) => setState((s) => ({ ...s, navs: { ...s.navs, [name]: update(s.navs[name]) } }));
  const switchView = (view: ViewName) => setState((s) => ({ ...s, view, help: false }));
  const cycleView = (delta: number) =>
    setState((s) => {
      const i = VIEWS.findIndex((v) => v.name === s.view);
      const next = VIEWS[(i + delta + VIEWS.length) % VIEWS.length] as (typeof VIEWS)[number];
      return { ...s, view: next.name, help: false };
    });
  /** Opens one item's detail in a list view, selecting it there. */
  const open = (view: ListViewName, key: string) =>
    setState((s) => {
      const nav = s.navs[view];
      const visible = frameRef.current.lists[view].indexOf(key) >= 0;
      return { ...s, view, help: false, navs: { ...s.navs, [view]: { ...nav, filter: visible ? nav.filter : '', editing: false, detail: key, scroll: 0, pos: { follow: false, selected: key } } } };
    });

  const handle = (input: string, key: Key): void => {
    const s = state.current;
    const frame = frameRef.current;
    if (key.ctrl && input === 'c') return onQuit('ctrl-c');
    const listView = s.view === 'overview' ? undefined : s.view;
    const nav = listView ? s.navs[listView] : undefined;

    if (listView && nav?.editing) {
      if (key.escape) setNav(listView, (n) => ({ ...n, editing: false, filter: '' }));
      else if (key.return) setNav(listView, (n) => ({ ...n, editing: false }));
      else if (key.backspace || key.delete) setNav(listView, (n) => ({ ...n, filter: Array.from(n.filter).slice(0, -1).join('') }));
      else if (input && !key.ctrl && !key.meta && !/[\u0000-\u001f]/.test(input)) setNav(listView, (n) => ({ ...n, filter: n.filter + input, pos: { follow: LIST_SPECS[listView].follows } }));
      return;
    }
    const set = (u: (p: ApprovalUiState) => ApprovalUiState) => setState((x) => ({ ...x, ...u(x) }));
    const approvalCtx = { ui: s, list: frame.lists.approvals, height: frame.heights.approvals, port: approvals, onDecided, pins, onAccepted, set };
    if (!s.help && approvalKey(input, key, approvalCtx)) return;
    if (!s.help && pinKey(input, { ui: s, list: frame.lists.catalog, height: frame.heights.catalog, port: pins, onAccepted, set })) return;
    if (input === 'q') return onQuit('q');
    if (key.ctrl || (key.meta && !key.escape)) return;
    if (input === '?') return setState((x) => ({ ...x, help: !x.help }));
    if (s.help && (key.escape || key.return || key.backspace)) return setState((x) => ({ ...x, help: false }));
    const tab = VIEWS.find((v) => v.key === input);
    if (tab) return switchView(tab.name);
    if (key.rightArrow || input === 'l') return cycleView(1);
    if (key.leftArrow || input === 'h') return cycleView(-1);
    if (s.help) return;
    const move = moveOf(input, key);

    if (!listView) {
      if (input === 'b') return setState((x) => ({ ...x, focus: 'backends' }));
      if (input === 'c') return setState((x) => ({ ...x, focus: 'calls' }));
      if (key.tab) return setState((x) => ({ ...x, focus: x.focus === 'calls' ? 'backends' : 'calls' }));
      const name: NavName = s.focus === 'calls' ? 'overview-calls' : 'overview-backends';
      if (move) return setNav(name, (n) => moveNav(n, frame.lists[name], frame.heights[name], move, s.focus === 'calls'));
      if (key.escape && s.focus === 'calls') return setNav(name, (n) => ({ ...n, pos: { follow: true } }));
      if (key.return) {
        const k = selectedKey(frame.lists[name], frame.heights[name], s.navs[name]);
        if (k !== undefined) open(s.focus === 'calls' ? 'calls' : 'backends', k);
      }
      return;
    }

    const spec = LIST_SPECS[listView];
    if (nav?.detail !== undefined) {
      if (key.escape || key.backspace || key.delete) return setNav(listView, (n) => ({ ...n, detail: undefined, scroll: 0 }));
      if (move && frame.detail) {
        const d = frame.detail;
        return setNav(listView, (n) => scrollNav(n, d.lines.length, d.height, move));
      }
      if (key.return && listView === 'errors') {
        const entry = (frame.lists.errors.items as readonly ErrorView[]).find((e) => String(e.seq) === nav.detail) ?? undefined;
        if (entry?.callSeq !== undefined) open('calls', String(entry.callSeq));
      }
      return;
    }
    if (move) return setNav(listView, (n) => moveNav(n, frame.lists[listView], frame.heights[listView], move, spec.follows));
    if (input === '/') return setNav(listView, (n) => ({ ...n, editing: true }));
    if (key.escape) return setNav(listView, (n) => (n.filter !== '' ? { ...n, filter: '' } : spec.follows ? { ...n, pos: { follow: true } } : n));
    if (key.return) {
      const k = selectedKey(frame.lists[listView], frame.heights[listView], nav as ListNav);
      if (k !== undefined) setNav(listView, (n) => ({ ...n, detail: k, scroll: 0, pos: n.pos.follow ? { follow: false, selected: k } : n.pos }));
    }
  };

  useInput(
    (input, key) => {
      // Keys typed faster than the terminal is read (a paste, tmux send-keys, key repeat) arrive as one
      // chunk; take them one by one so "/echo⏎" filters and "jjj" moves three rows.
      const chunk = splitChunk(input, key);
      if (chunk) for (const [i, k] of chunk) handle(i, k);
      // Esc pressed twice in one read comes as one meta-Escape whose input is the second Esc.
      else if (key.escape && input === '\u001b') {
        handle('', { ...NO_KEY, escape: true });
        handle('', { ...NO_KEY, escape: true });
      } else if (key.meta && !key.escape && !key.ctrl && Array.from(input).length === 1 && !/[\u0000-\u001f]/.test(input)) {
        // Esc then a key in one read ("\u001b5") parses as Alt+key; this dashboard binds no Alt keys,
        // so it is the two keys the user pressed.
        handle('', { ...NO_KEY, escape: true });
        handle(input, { ...NO_KEY, shift: /[A-Z]/.test(input) });
      } else handle(input, key);
    },
    { isActive },
  );
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** Splits a multi-character chunk of plain keys (printable, Enter, Tab, Backspace); undefined otherwise. */
export function splitChunk(input: string, key: Key): Array<[string, Key]> | undefined {
  const chars = Array.from(input);
  if (chars.length < 2 || key.ctrl || key.meta || input.includes('\u001b')) return undefined;
  if (!chars.every((c) => c === '\r' || c === '\t' || c === '\u007f' || c === '\b' || !/[\u0000-\u001f]/.test(c))) return undefined;
  return chars.map((c): [string, Key] => {
    if (c === '\r') return ['', { ...NO_KEY, return: true }];
    if (c === '\t') return ['', { ...NO_KEY, tab: true }];
    if (c === '\u007f' || c === '\b') return ['', { ...NO_KEY, backspace: true }];
    return [c, { ...NO_KEY, shift: /[A-Z]/.test(c) }];
  });
}
