import { formatClock, formatDuration } from './format.js';
import type { ListSpec } from './list-spec.js';
import type { SessionView } from './snapshot.js';

type Key = 'id' | 'client' | 'era' | 'transport' | 'identity' | 'age' | 'idle' | 'calls';

export const sessionsView: ListSpec<SessionView, Key> = {
  title: 'Sessions',
  filterHint: 'client, era, transport, identity, id (closed sessions: state:closed, reason:expired)',
  emptyText: 'No sessions. 2026-era clients are stateless and open none.',
  follows: false,
  columns: [
    { key: 'id', title: 'SESSION', width: 10, priority: 60 },
    { key: 'client', title: 'CLIENT', width: 14, flex: true, priority: 100 },
    { key: 'era', title: 'ERA', width: 6, priority: 90 },
    { key: 'transport', title: 'TRANSPORT', width: 15, priority: 80 },
    { key: 'identity', title: 'IDENTITY', width: 12, priority: 70 },
    { key: 'age', title: 'AGE', width: 6, align: 'right', priority: 85 },
    { key: 'idle', title: 'IDLE', width: 19, align: 'right', priority: 84 },
    { key: 'calls', title: 'CALLS', width: 5, align: 'right', priority: 50 },
  ],
  items: (snap) => snap.sessionList,
  keyOf: (s) => `${s.id}@${s.openedAt}`,
  filterFields: (s) => ({ client: s.client, era: s.era, transport: s.transport, identity: s.identity, id: s.id, state: s.closedAt === undefined ? 'open' : 'closed', reason: s.closeReason }),
  cell(s, key, now) {
    switch (key) {
      case 'id':
        return s.id;
      case 'client':
        return s.client;
      case 'era':
        return s.era;
      case 'transport':
        return s.transport;
      case 'identity':
        return s.identity ?? '—';
      case 'age':
        return formatDuration(Math.max(0, (s.closedAt ?? now) - s.openedAt));
      case 'idle':
        return s.closedAt === undefined ? formatDuration(Math.max(0, now - s.lastActiveAt)) : s.closeReason ? `closed ${s.closeReason}` : 'closed';
      case 'calls':
        return String(s.calls);
    }
  },
  colour(s, key) {
    if (s.closedAt !== undefined) return 'dim';
    if (key === 'era') return s.era === 'modern' ? 'cyan' : undefined;
    return undefined;
  },
  detailTitle: (s) => `Session ${s.id}`,
  detail: (s, _snap, now) => [
    { text: `${s.client} · ${s.era} · ${s.transport}`, bold: true },
    { text: `Session id ${s.id}` },
    { text: `Identity   ${s.identity ?? '— (none announced)'}` },
    { text: `Opened     ${formatClock(s.openedAt)} (${formatDuration(Math.max(0, (s.closedAt ?? now) - s.openedAt))} ago)` },
    { text: `Last call  ${s.calls === 0 ? 'none yet' : `${formatClock(s.lastActiveAt)}`} · ${s.calls} calls` },
    s.closedAt === undefined ? { text: `Idle       ${formatDuration(Math.max(0, now - s.lastActiveAt))}` } : { text: `Closed     ${formatClock(s.closedAt)}${s.closeReason ? ` — ${s.closeReason}` : ''}`, colour: 'yellow' },
  ],
};
