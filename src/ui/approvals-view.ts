import { formatClock, formatDuration } from './format.js';
import type { DetailLine, ListSpec } from './list-spec.js';
import type { ApprovalView } from './snapshot.js';

type Key = 'id' | 'state' | 'tool' | 'backend' | 'by' | 'age' | 'expires';

/** Expiry as the list shows it: a countdown while pending, else nothing. */
function expiresIn(p: ApprovalView, now: number): string {
  if (p.expiresAt === undefined) return '—';
  if (p.state !== 'pending') return '';
  const left = p.expiresAt - now;
  return left <= 0 ? 'expired' : formatDuration(left);
}

function stateColour(state: string): 'yellow' | 'green' | 'red' | 'cyan' | undefined {
  if (state === 'pending') return 'yellow';
  if (state === 'approved' || state === 'done') return 'green';
  if (state === 'denied' || state === 'failed' || state === 'expired') return 'red';
  if (state === 'executing') return 'cyan';
  return undefined;
}

export const approvalsView: ListSpec<ApprovalView, Key> = {
  title: 'Approvals',
  filterHint: 'state, tool, backend, by, id',
  emptyText: 'No plans. A guarded tool call makes one; a to approve, d to deny.',
  follows: false,
  columns: [
    { key: 'id', title: 'PLAN', width: 21, priority: 70 },
    { key: 'state', title: 'STATE', width: 9, priority: 100 },
    { key: 'tool', title: 'TOOL', width: 16, flex: true, priority: 95 },
    { key: 'backend', title: 'BACKEND', width: 10, priority: 60 },
    { key: 'by', title: 'ASKED BY', width: 12, priority: 80 },
    { key: 'age', title: 'AGE', width: 6, align: 'right', priority: 50 },
    { key: 'expires', title: 'EXPIRES', width: 8, align: 'right', priority: 85 },
  ],
  items: (snap) => snap.approvals,
  keyOf: (p) => p.id,
  filterFields: (p) => ({ state: p.state, tool: p.exposedName ?? p.tool, backend: p.backend, by: p.requestedBy, id: p.id }),
  cell(p, key, now) {
    switch (key) {
      case 'id':
        return p.id;
      case 'state':
        return p.state;
      case 'tool':
        return p.exposedName ?? p.tool;
      case 'backend':
        return p.backend;
      case 'by':
        return p.requestedBy ?? '—';
      case 'age':
        return p.createdAt === undefined ? '—' : formatDuration(Math.max(0, now - p.createdAt));
      case 'expires':
        return expiresIn(p, now);
    }
  },
  colour(p, key) {
    if (key === 'state') return stateColour(p.state);
    if (p.state !== 'pending') return 'dim';
    return undefined;
  },
  detailTitle: (p) => `Plan ${p.id}`,
  detail(p, _snap, now) {
    const lines: DetailLine[] = [
      { text: `${p.exposedName ?? p.tool} on ${p.backend} · ${p.state}`, bold: true, colour: stateColour(p.state) },
      { text: `Backend    ${p.backend}` },
      { text: `Tool       ${p.tool}${p.exposedName && p.exposedName !== p.tool ? ` (exposed as ${p.exposedName})` : ''}` },
      { text: `Asked by   ${p.requestedBy ?? '— (the admin API has not said yet)'}${p.via ? ` via ${p.via}` : ''}` },
      { text: `Asked at   ${p.createdAt === undefined ? '—' : `${formatClock(p.createdAt, true)} (${formatDuration(Math.max(0, now - p.createdAt))} ago)`}` },
      { text: `Expires    ${p.expiresAt === undefined ? '—' : `${formatClock(p.expiresAt, true)}${p.state === 'pending' ? ` (in ${expiresIn(p, now)})` : ''}`}` },
      { text: `Digest     ${p.digest}` },
    ];
    if (p.decidedBy) lines.push({ text: `Decided    ${p.state === 'denied' ? 'denied' : 'approved'} by ${p.decidedBy}${p.decidedAt ? ` at ${formatClock(p.decidedAt, true)}` : ''}${p.reason ? ` — ${p.reason}` : ''}` });
    lines.push({ text: '' }, { text: 'What will be sent', bold: true }, { text: p.summary });
    lines.push({ text: '' }, { text: 'Arguments (redacted)', bold: true }, { text: p.arguments ?? '— (loading from the admin API)', dim: p.arguments === undefined });
    if (p.state === 'pending') lines.push({ text: '' }, { text: 'a approve · d deny (each asks first)', dim: true });
    return lines;
  },
};
