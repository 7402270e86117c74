// Percentiles and table formatting.

/** The q-quantile (0..1) of already sorted numbers, nearest-rank. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

export function summarize(values) {
  const s = Float64Array.from(values).sort();
  return { n: s.length, p50: quantile(s, 0.5), p90: quantile(s, 0.9), p99: quantile(s, 0.99), max: s[s.length - 1] ?? NaN, min: s[0] ?? NaN };
}

export function median(values) {
  return summarize(values).p50;
}

/** Fixed decimals, or "–" for a number we do not have. */
export function fmt(x, digits = 2) {
  if (x === undefined || x === null || !Number.isFinite(x)) return '–';
  return x.toFixed(digits);
}

export function ratio(x, base) {
  return Number.isFinite(x) && Number.isFinite(base) && base > 0 ? x / base : NaN;
}

export function markdownTable(headers, rows, align) {
  const a = align ?? headers.map((_, i) => (i === 0 ? 'l' : 'r'));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(a.map((x) => (x === 'l' ? ':--' : '--:'))), ...rows.map((r) => line(r.map((c) => String(c))))].join('\n');
}
