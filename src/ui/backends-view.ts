import { formatClock, formatCount, formatDuration, stateColour, stateGlyph } from './format.js';
import type { DetailLine, ListSpec } from './list-spec.js';
import type { BackendView, DashboardSnapshot } from './snapshot.js';

type Key = 'name' | 'state' | 'era' | 'tools' | 'calls' | 'errors' | 'restarts' | 'since' | 'detail';

/** What a backend is doing, in one phrase: its reason, retry countdown and running calls. */
export function backendDetailText(b: BackendView, now: number): string {
  const parts: string[] = [];
  if (b.reason) parts.push(b.reason);
  if (b.retryAt !== undefined && b.retryAt > now) parts.push(`retry in ${formatDuration(b.retryAt - now)}`);
  if (b.inFlight > 0) parts.push(`${b.inFlight} in flight`);
  if (parts.length === 0 && b.serverName) parts.push(`${b.serverName}${b.serverVersion ? ` ${b.serverVersion}` : ''}`);
  return parts.join(' · ');
}

export const backendsView: ListSpec<BackendView, Key> = {
  title: 'Backends',
  filterHint: 'name, state, protocol',
  emptyText: 'No backends yet.',
  follows: false,
  columns: [
    { key: 'name', title: 'BACKEND', width: 16, priority: 100 },
    { key: 'state', title: 'STATE', width: 10, priority: 99 },
    { key: 'tools', title: 'TOOLS', width: 5, align: 'right', priority: 90 },
    { key: 'calls', title: 'CALLS', width: 6, align: 'right', priority: 80 },
    { key: 'errors', title: 'ERR', width: 5, align: 'right', priority: 79 },
    { key: 'since', title: 'FOR', width: 6, align: 'right', priority: 60 },
    { key: 'restarts', title: 'RST', width: 3, align: 'right', priority: 50 },
    { key: 'era', title: 'ERA', width: 6, priority: 40 },
    { key: 'detail', title: 'DETAIL', width: 10, flex: true, priority: 95 },
  ],
  items: (snap) => snap.backends,
  keyOf: (b) => b.name,
  filterFields: (b) => ({ name: b.name, state: b.state, protocol: b.protocolVersion, era: b.era, reason: b.reason }),
  cell(b, key, now) {
    switch (key) {
      case 'name':
        return b.name;
      case 'state':
        return `${stateGlyph(b.state)} ${b.state}`;
      case 'era':
        return b.era ?? '—';
      case 'tools':
        return b.tools === undefined ? '—' : String(b.tools);
      case 'calls':
        return formatCount(b.calls.total);
      case 'errors': {
        const n = b.calls.error + b.calls.timeout;
        return n === 0 ? '·' : formatCount(n);
      }
      case 'restarts':
        return String(b.restarts);
      case 'since':
        return formatDuration(Math.max(0, now - b.since));
      case 'detail':
        return backendDetailText(b, now);
    }
  },
  colour(b, key) {
    if (key === 'state') return stateColour(b.state);
    if (key === 'errors' && b.calls.error + b.calls.timeout > 0) return 'red';
    if (key === 'detail') return b.state === 'failed' || b.state === 'degraded' ? stateColour(b.state) : 'dim';
    return undefined;
  },
  detailTitle: (b) => `Backend ${b.name}`,
  detail: backendDetail,
};

function backendDetail(b: BackendView, snap: DashboardSnapshot, now: number): DetailLine[] {
  const lines: DetailLine[] = [];
  lines.push({ text: `${stateGlyph(b.state)} ${b.state} for ${formatDuration(Math.max(0, now - b.since))}${b.reason ? ` — ${b.reason}` : ''}`, colour: stateColour(b.state), bold: true });
  if (b.retryAt !== undefined) lines.push({ text: b.retryAt > now ? `Next retry in ${formatDuration(b.retryAt - now)}` : 'Retrying now', colour: 'yellow' });
  lines.push({ text: `Server     ${b.serverName ?? '—'}${b.serverVersion ? ` ${b.serverVersion}` : ''}` });
  lines.push({ text: `Protocol   ${b.protocolVersion ?? '—'}${b.era ? ` (${b.era === 'modern' ? 'modern, stateless' : 'legacy, sessions'})` : ''}` });
  lines.push({ text: `Restarts   ${b.restarts}` });
  lines.push({ text: `Catalog    ${b.tools ?? '—'} tools · ${b.resources ?? '—'} resources · ${b.prompts ?? '—'} prompts` });
  const c = b.calls;
  lines.push({ text: `Calls      ${c.total} done (ok ${c.ok} · errors ${c.error} · timeouts ${c.timeout} · tool errors ${c.toolError} · cancelled ${c.cancelled}) · ${b.inFlight} in flight${c.total > 0 ? ` · avg ${formatDuration(b.totalDurationMs / c.total)}` : ''}` });
  lines.push({ text: '' });
  lines.push({ text: 'State history (newest first)', bold: true });
  for (const h of [...b.history].reverse()) {
    const retry = h.retryAt === undefined ? '' : ` · retry after ${formatDuration(h.retryAt - h.at)}`;
    lines.push({ text: `  ${formatClock(h.at)}  ${stateGlyph(h.state)} ${h.state}${h.reason ? ` — ${h.reason}` : ''}${retry}`, colour: stateColour(h.state) });
  }
  lines.push({ text: '' });
  // The gateway's catalog events name no backend today; the default naming policy prefixes tools
  // with the backend's name, which is the best attribution the event stream allows.
  const tools = snap.catalogEntries.filter((e) => e.kind === 'tools' && (e.backend === undefined ? e.name.startsWith(`${b.name}_`) : e.backend === b.name));
  lines.push({ text: `Tools (${tools.length} in the catalog)`, bold: true });
  if (tools.length === 0) lines.push({ text: '  none seen in catalog events', dim: true });
  for (const t of tools) lines.push({ text: `  ${t.name}${t.description ? ` — ${t.description.split('\n')[0]}` : ''}` });
  lines.push({ text: '' });
  lines.push({ text: `stderr (last ${b.stderrTail.length} lines)`, bold: true });
  if (b.stderrTail.length === 0) lines.push({ text: '  nothing on stderr', dim: true });
  for (const l of b.stderrTail) lines.push({ text: `  ${l}`, dim: true });
  return lines;
}
