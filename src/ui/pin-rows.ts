import { formatClock } from './format.js';
import type { DetailLine } from './list-spec.js';
import type { PinView } from './snapshot.js';

/** The catalog view's cells for a tool withheld by pinning. */
export function heldCell(p: PinView, key: 'kind' | 'name' | 'backend' | 'info'): string {
  switch (key) {
    case 'kind':
      return 'held';
    case 'name':
      return p.tool;
    case 'backend':
      return p.backend;
    case 'info':
      return `${p.reason === 'new' ? 'new tool' : `changed: ${p.changes.join(', ') || '?'}`} · withheld until accepted (A)`;
  }
}

/** A held tool's detail: what changed, the diff (+ served now, - accepted), and how to accept it. */
export function heldDetail(p: PinView): DetailLine[] {
  const lines: DetailLine[] = [
    { text: `${p.tool} on ${p.backend}: withheld from every list and call`, bold: true, colour: 'yellow' },
    { text: p.reason === 'new' ? 'A new tool on a pinned backend (pin.newTools: hold).' : `Changed since it was accepted: ${p.changes.join(', ')}` },
    { text: `Held since ${p.since ? formatClock(p.since) : '—'}` },
    { text: 'A accepts the version the backend serves now (asks y/n first); `gatehouse catalog accept` does the same.', dim: true },
    { text: '' },
    { text: 'Diff (- accepted, + served now)', bold: true },
  ];
  if (p.diff === undefined) return [...lines, { text: '  loading from the admin API…', dim: true }];
  for (const l of p.diff.split('\n')) {
    const colour = l.startsWith('+') && !l.startsWith('+++') ? 'green' : l.startsWith('-') && !l.startsWith('---') ? 'red' : l.startsWith('@@') ? 'cyan' : undefined;
    lines.push(colour ? { text: l, colour } : { text: l });
  }
  return lines;
}
