import { callSizes, callTarget, formatBytes, formatClock, formatDuration, outcomeColour, outcomeLabel } from './format.js';
import type { DetailLine, ListSpec } from './list-spec.js';
import type { CallView } from './snapshot.js';

type Key = 'time' | 'outcome' | 'duration' | 'target' | 'backend' | 'client' | 'sizes';

export const callsView: ListSpec<CallView, Key> = {
  title: 'Calls',
  filterHint: 'tool, backend, client, outcome (e.g. backend:github outcome:error)',
  emptyText: 'Waiting for calls…',
  follows: true,
  columns: [
    { key: 'time', title: 'TIME', width: 8, priority: 60 },
    { key: 'outcome', title: 'RESULT', width: 9, priority: 100 },
    { key: 'duration', title: 'DUR', width: 6, align: 'right', priority: 90 },
    { key: 'target', title: 'TOOL / METHOD', width: 16, flex: true, priority: 100 },
    { key: 'backend', title: 'BACKEND', width: 12, priority: 70 },
    { key: 'client', title: 'CLIENT', width: 14, priority: 40 },
    { key: 'sizes', title: 'SIZE', width: 11, align: 'right', priority: 50 },
  ],
  items: (snap) => snap.calls,
  keyOf: (c) => String(c.seq),
  filterFields: (c) => ({ tool: callTarget(c), backend: c.backend, client: c.client, identity: c.identity, outcome: c.outcome ?? 'running', method: c.method }),
  cell(c, key, now) {
    switch (key) {
      case 'time':
        return formatClock(c.startedAt);
      case 'outcome':
        return outcomeLabel(c.outcome);
      case 'duration':
        return c.outcome === undefined ? formatDuration(Math.max(0, now - c.startedAt)) : formatDuration(c.durationMs);
      case 'target':
        return callTarget(c);
      case 'backend':
        return c.backend ?? '—';
      case 'client':
        return c.client;
      case 'sizes':
        return callSizes(c);
    }
  },
  colour(c, key) {
    if (key === 'outcome') return outcomeColour(c.outcome);
    if (key === 'time' || key === 'sizes' || (key === 'duration' && c.outcome === undefined)) return 'dim';
    return undefined;
  },
  // Only a running call's duration moves with the clock.
  live: (c) => c.outcome === undefined,
  detailTitle: (c) => `Call ${callTarget(c)}`,
  detail: (c, _snap, now) => callDetail(c, now),
};

export function callDetail(c: CallView, now: number): DetailLine[] {
  const lines: DetailLine[] = [];
  lines.push({ text: `${outcomeLabel(c.outcome)}  ${callTarget(c)}`, colour: outcomeColour(c.outcome), bold: true });
  lines.push({ text: `Method     ${c.method}${c.name ? ` ${c.name}` : ''}` });
  lines.push({ text: `Backend    ${c.backend ?? '—'}` });
  lines.push({ text: `Client     ${c.client}${c.identity ? ` · identity ${c.identity}` : ''}${c.sessionId ? ` · session ${c.sessionId}` : ''}` });
  lines.push({ text: `Call id    ${c.callId}${c.traceId ? ` · trace ${c.traceId}` : ''}` });
  lines.push({ text: `Started    ${formatClock(c.startedAt, true)}` });
  lines.push({ text: c.outcome === undefined ? `Running    ${formatDuration(Math.max(0, now - c.startedAt))}` : `Duration   ${formatDuration(c.durationMs)}` });
  lines.push({ text: `Sizes      request ${formatBytes(c.requestBytes)} · response ${c.outcome === undefined ? '…' : formatBytes(c.responseBytes)}` });
  lines.push({ text: '' });
  lines.push({ text: 'Arguments', bold: true });
  lines.push(c.arguments === undefined ? { text: '  not in the event stream', dim: true } : { text: c.arguments });
  if (c.error !== undefined) {
    lines.push({ text: '' });
    lines.push({ text: 'Error', bold: true, colour: outcomeColour(c.outcome) });
    lines.push({ text: c.error, colour: outcomeColour(c.outcome) });
  }
  if (c.result !== undefined) {
    lines.push({ text: '' });
    lines.push({ text: 'Result', bold: true });
    lines.push({ text: c.result });
  }
  return lines;
}
