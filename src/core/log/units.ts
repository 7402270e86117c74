/** Compact units shared by log lines and the dashboard, so both read the same. */

/** 0ms, 12ms, 950ms, 1.2s, 12s, 2m05s, 1h02m. At most 6 characters. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1) return ms === 0 ? '0ms' : '<1ms';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 10) {
    const fixed = s.toFixed(1);
    // 9.96s rounds to "10.0"; fall through to whole seconds instead.
    if (fixed !== '10.0') return `${fixed}s`;
  }
  if (s < 59.5) return `${Math.round(s)}s`;
  const totalS = Math.round(s);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.floor(totalS / 60);
  if (totalM < 24 * 60) return `${Math.floor(totalM / 60)}h${String(totalM % 60).padStart(2, '0')}m`;
  return `${Math.floor(totalM / 1440)}d${String(Math.floor((totalM % 1440) / 60)).padStart(2, '0')}h`;
}

/** 0B, 512B, 1.5K, 16K, 2.3M, 1.1G (binary multiples). At most 5 characters. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n) || n < 0) return '—';
  if (n < 1024) return `${Math.round(n)}B`;
  const units = ['K', 'M', 'G', 'T'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (v < 10) {
    const fixed = v.toFixed(1);
    if (fixed !== '10.0') return `${fixed.endsWith('.0') ? fixed.slice(0, -2) : fixed}${units[i]}`;
  }
  const r = Math.round(v);
  if (r >= 1024 && i < units.length - 1) return `1${units[i + 1]}`;
  return `${r}${units[i]}`;
}

/** Uptime as a clock: 0:05, 12:34, 1:02:03, 3d 04:05:06. */
export function formatUptime(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  if (d > 0) return `${d}d ${pad(h)}:${pad(m)}:${pad(s)}`;
  if (h > 0) return `${h}:${pad(m)}:${pad(s)}`;
  return `${m}:${pad(s)}`;
}

/** Local wall-clock time, HH:MM:SS (with .mmm when asked). */
export function formatClock(at: number, millis = false): string {
  const d = new Date(at);
  const pad = (x: number, w = 2) => String(x).padStart(w, '0');
  const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return millis ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}
