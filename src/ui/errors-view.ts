import { formatClock } from './format.js';
import type { ListSpec } from './list-spec.js';
import type { ErrorView } from './snapshot.js';

type Key = 'time' | 'kind' | 'backend' | 'summary';

export const errorsView: ListSpec<ErrorView, Key> = {
  title: 'Errors',
  filterHint: 'kind (call, backend, naming, auth, relay, ratelimit), backend, text',
  emptyText: 'No errors or warnings so far.',
  // No cell reads the clock: rows redraw only when they change.
  live: () => false,
  follows: true,
  columns: [
    { key: 'time', title: 'TIME', width: 8, priority: 80 },
    { key: 'kind', title: 'KIND', width: 7, priority: 90 },
    { key: 'backend', title: 'BACKEND', width: 12, priority: 60 },
    { key: 'summary', title: 'MESSAGE', width: 20, flex: true, priority: 100 },
  ],
  items: (snap) => snap.errors,
  keyOf: (e) => String(e.seq),
  filterFields: (e) => ({ kind: e.kind, backend: e.backend, text: e.text }),
  cell(e, key) {
    switch (key) {
      case 'time':
        return formatClock(e.at);
      case 'kind':
        return e.kind;
      case 'backend':
        return e.backend ?? '—';
      case 'summary':
        return e.summary;
    }
  },
  colour(e, key) {
    if (key === 'time') return 'dim';
    if (key === 'kind') return e.kind === 'call' || e.kind === 'backend' ? 'red' : 'yellow';
    return undefined;
  },
  detailTitle: (e) => `${e.kind} error at ${formatClock(e.at)}`,
  detail: (e) => [
    { text: `${formatClock(e.at, true)} · ${e.kind}${e.backend ? ` · ${e.backend}` : ''}`, bold: true },
    { text: '' },
    { text: e.text, colour: e.kind === 'call' || e.kind === 'backend' ? 'red' : 'yellow' },
    ...(e.callSeq === undefined ? [] : [{ text: '' }, { text: 'Enter opens the call.', dim: true }]),
  ],
};
