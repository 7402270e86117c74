import type { BackendDetail, BackendSummary } from './registry.js';

export interface Column<Row> {
  header: string;
  get: (row: Row) => string;
  /** This column gives up width first when the table is too wide. */
  shrink?: boolean;
}

/**
 * A plain-text table: a header row, columns padded with two spaces, no borders and no ANSI codes,
 * so it reads well in a terminal and greps well in a pipe. With `maxWidth`, the shrinkable
 * column is cut with "…" to fit.
 */
export function renderTable<Row>(columns: Column<Row>[], rows: Row[], opts: { maxWidth?: number } = {}): string {
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => c.get(r).replace(/[\r\n\t]+/g, ' ')))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const gap = 2;
  if (opts.maxWidth) {
    const total = widths.reduce((a, b) => a + b, 0) + gap * (columns.length - 1);
    const over = total - opts.maxWidth;
    const si = columns.findIndex((c) => c.shrink);
    if (over > 0 && si >= 0) widths[si] = Math.max(columns[si]!.header.length, 12, widths[si]! - over);
  }
  return cells
    .map((row) =>
      row
        .map((cell, i) => {
          const w = widths[i]!;
          const text = cell.length > w ? `${cell.slice(0, Math.max(0, w - 1))}…` : cell;
          return i === row.length - 1 ? text : text.padEnd(w + gap);
        })
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

export const backendColumns: Column<BackendSummary>[] = [
  { header: 'NAME', get: (r) => r.name },
  { header: 'TYPE', get: (r) => (r.type === 'http' && r.transport && r.transport !== 'auto' ? `http/${r.transport}` : r.type) },
  { header: 'TARGET', get: (r) => r.target, shrink: true },
  { header: 'PREFIX', get: (r) => r.prefix },
  { header: 'STATE', get: (r) => r.state },
];

export function renderBackendTable(rows: BackendSummary[], opts: { maxWidth?: number } = {}): string {
  return renderTable(backendColumns, rows, opts);
}

/** `backends show`: one "key: value" line per setting, nested maps indented under their key. */
export function renderBackendDetail(d: BackendDetail): string {
  const lines: Array<[string, string]> = [
    ['name', d.name],
    ['type', d.type],
    ['state', d.state],
    ['prefix', d.config.prefix ? d.prefix : `${d.prefix} (default: the name)`],
  ];
  const skip = new Set(['type', 'prefix', 'disabled']);
  const out: string[] = [];
  const width = Math.max(...[...lines.map(([k]) => k), 'command line', ...Object.keys(d.config)].map((k) => k.length)) + 2;
  for (const [k, v] of lines) out.push(`${`${k}:`.padEnd(width)}${v}`);
  if (d.type === 'stdio') out.push(`${'command line:'.padEnd(width)}${d.target}`);
  for (const [k, v] of Object.entries(d.config)) {
    if (skip.has(k) || v === undefined) continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      out.push(`${k}:`);
      for (const [ik, iv] of Object.entries(v as Record<string, unknown>)) out.push(`  ${ik}: ${formatValue(iv)}`);
    } else {
      out.push(`${`${k}:`.padEnd(width)}${formatValue(v)}${k === 'timeout' || k === 'refreshInterval' ? 's' : ''}`);
    }
  }
  return out.join('\n');
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? JSON.stringify(v) : `${v.length} item${v.length === 1 ? '' : 's'}`;
  if (v && typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return String(v);
}
