import { formatClock } from './format.js';
import type { DetailLine, ListSpec } from './list-spec.js';
import type { AliasView, CatalogEntryView, DashboardSnapshot, PinView } from './snapshot.js';
import { heldCell, heldDetail } from './pin-rows.js';

type Key = 'kind' | 'name' | 'backend' | 'info';

/** Catalog entries and aliases in one list, so `/` filters both and Enter opens either. */
export type CatalogRow = { type: 'entry'; entry: CatalogEntryView } | { type: 'alias'; alias: AliasView } | { type: 'held'; pin: PinView };

const KIND_LABEL: Record<CatalogEntryView['kind'], string> = { tools: 'tool', prompts: 'prompt', resources: 'resource', resourceTemplates: 'template' };

// The store keeps both arrays' identity until they change, so rows are rebuilt only after a change.
const cache = new WeakMap<readonly CatalogEntryView[], { aliases: readonly AliasView[]; pins: readonly PinView[]; rows: readonly CatalogRow[] }>();

function rows(snap: DashboardSnapshot): readonly CatalogRow[] {
  const hit = cache.get(snap.catalogEntries);
  if (hit && hit.aliases === snap.aliases && hit.pins === snap.pins) return hit.rows;
  // Withheld tools first: they wait for a person.
  const out: CatalogRow[] = snap.pins.map((pin) => ({ type: 'held', pin }));
  for (const entry of snap.catalogEntries) out.push({ type: 'entry', entry });
  for (const alias of snap.aliases) out.push({ type: 'alias', alias });
  cache.set(snap.catalogEntries, { aliases: snap.aliases, pins: snap.pins, rows: out });
  return out;
}

export const catalogView: ListSpec<CatalogRow, Key> = {
  title: 'Catalog',
  filterHint: 'name, kind (tool, prompt, resource, alias, held), backend, description, policy',
  emptyText: 'No tools, prompts or resources announced yet.',
  // No cell reads the clock: rows redraw only when they change.
  live: () => false,
  follows: false,
  columns: [
    { key: 'kind', title: 'KIND', width: 8, priority: 90 },
    { key: 'name', title: 'NAME', width: 24, priority: 100 },
    { key: 'backend', title: 'BACKEND', width: 12, priority: 50 },
    { key: 'info', title: 'DESCRIPTION / ALIAS USES', width: 10, flex: true, priority: 80 },
  ],
  items: rows,
  keyOf: (r) => (r.type === 'entry' ? `${r.entry.kind}:${r.entry.name}` : r.type === 'held' ? `held:${r.pin.backend}:${r.pin.tool}` : `alias:${r.alias.alias}`),
  filterFields: (r) =>
    r.type === 'held'
      ? { name: r.pin.tool, kind: 'held', backend: r.pin.backend, changes: r.pin.changes.join(' ') }
      : r.type === 'entry'
      ? { name: r.entry.name, kind: KIND_LABEL[r.entry.kind], backend: r.entry.backend, description: r.entry.description, policy: r.entry.policy }
      : { name: r.alias.alias, kind: 'alias', target: r.alias.target, client: r.alias.lastClient },
  cell(r, key) {
    if (r.type === 'held') return heldCell(r.pin, key);
    if (r.type === 'alias') {
      switch (key) {
        case 'kind':
          return 'alias';
        case 'name':
          return r.alias.alias;
        case 'backend':
          return '—';
        case 'info':
          return `→ ${r.alias.target} · used ${r.alias.uses}×${r.alias.expiredUses ? ` (${r.alias.expiredUses} expired)` : ''}`;
      }
    }
    switch (key) {
      case 'kind':
        return KIND_LABEL[r.entry.kind];
      case 'name':
        return r.entry.name;
      case 'backend':
        return r.entry.backend ?? '—';
      case 'info':
        return `${r.entry.policy?.startsWith('guarded') ? '[guarded] ' : ''}${r.entry.description?.split('\n')[0] ?? ''}`;
    }
  },
  colour(r, key) {
    if (r.type === 'held') return key === 'name' ? undefined : 'yellow';
    if (key === 'kind') return r.type === 'alias' ? 'magenta' : 'cyan';
    if (key === 'info' || key === 'backend') return 'dim';
    return undefined;
  },
  detailTitle: (r) => (r.type === 'entry' ? `${KIND_LABEL[r.entry.kind]} ${r.entry.name}` : r.type === 'held' ? `held tool ${r.pin.tool} on ${r.pin.backend}` : `alias ${r.alias.alias}`),
  detail(r): DetailLine[] {
    if (r.type === 'held') return heldDetail(r.pin);
    if (r.type === 'alias') {
      const a = r.alias;
      return [
        { text: `${a.alias} → ${a.target}`, bold: true },
        { text: `Used ${a.uses} times${a.expiredUses ? `, ${a.expiredUses} of them after it expired` : ''}` },
        { text: `Last used by ${a.lastClient} at ${formatClock(a.lastAt)}` },
      ];
    }
    const e = r.entry;
    const lines: DetailLine[] = [{ text: `${KIND_LABEL[e.kind]} ${e.name}`, bold: true }, { text: `Backend    ${e.backend ?? '—'}` }, { text: `Listed     since ${formatClock(e.since)}` }, { text: '' }];
    if (e.policy !== undefined) {
      lines.push({ text: 'Policy', bold: true });
      lines.push({ text: `  ${e.policy}` });
      if (e.constraints?.length) lines.push({ text: `  constrained arguments: ${e.constraints.join(', ')}` });
      lines.push({ text: '' });
    }
    lines.push({ text: 'Description', bold: true });
    lines.push(e.description === undefined ? { text: '  not in the event stream', dim: true } : { text: e.description });
    lines.push({ text: '' });
    lines.push({ text: e.kind === 'tools' ? 'Input schema' : e.kind === 'prompts' ? 'Arguments' : 'URI', bold: true });
    lines.push(e.schema === undefined ? { text: '  not in the event stream', dim: true } : { text: e.schema });
    return lines;
  },
};
