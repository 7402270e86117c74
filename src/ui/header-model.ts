import { formatDuration } from './format.js';
import type { CallCounters, DashboardSnapshot, LinkView } from './snapshot.js';

export interface CountPart {
  label: string;
  n: number;
  colour?: 'green' | 'red' | 'yellow' | 'cyan';
}

/**
 * The header's call counts. Every call is in exactly one part (done by outcome, or in flight), so the
 * parts always add up to the total shown; outcomes that have not happened are left out, never hidden
 * inside another.
 */
export function callBreakdown(t: CallCounters, inFlight: number): { total: number; parts: CountPart[] } {
  const parts: CountPart[] = [
    { label: 'ok', n: t.ok, colour: 'green' },
    { label: 'errors', n: t.error, colour: t.error > 0 ? 'red' : undefined },
  ];
  if (t.timeout > 0) parts.push({ label: 'timeouts', n: t.timeout, colour: 'red' });
  if (t.toolError > 0) parts.push({ label: 'tool errors', n: t.toolError, colour: 'yellow' });
  if (t.cancelled > 0) parts.push({ label: 'cancelled', n: t.cancelled, colour: 'yellow' });
  parts.push({ label: 'in flight', n: inFlight, colour: inFlight > 0 ? 'cyan' : undefined });
  return { total: t.total + inFlight, parts };
}

export interface Banner {
  text: string;
  colour: 'red' | 'yellow';
}

/**
 * The one-line banner: backends that are down *now* (so it clears when they recover), else the latest
 * warning of another kind. The error history keeps everything; the banner says how to open it.
 */
export function bannerFor(snap: DashboardSnapshot, now: number): Banner | undefined {
  const down = snap.backends.filter((b) => b.state === 'failed' || b.state === 'degraded');
  const history = snap.errors.length > 0 ? `  (${snap.errors.length} in errors: press 6)` : '';
  const first = down[0];
  if (first) {
    const retry = first.retryAt !== undefined && first.retryAt > now ? ` · retry in ${formatDuration(first.retryAt - now)}` : '';
    const more = down.length > 1 ? ` · +${down.length - 1} more down` : '';
    return { text: `⚠ ${first.name} ${first.state}${first.reason ? `: ${first.reason}` : ''}${retry}${more}${history}`, colour: first.state === 'failed' ? 'red' : 'yellow' };
  }
  for (let i = snap.warnings.length - 1; i >= 0; i--) {
    const w = snap.warnings[i];
    if (w && w.kind !== 'backend') return { text: `⚠ ${w.message}${history}`, colour: 'yellow' };
  }
  return undefined;
}

/** An attached dashboard's link: quiet when connected, loud while the stream is down. */
export function linkText(link: LinkView | undefined, now: number): { text: string; colour: 'green' | 'yellow' | 'red' } | undefined {
  if (!link) return undefined;
  switch (link.state) {
    case 'connected':
      return { text: '⇄ attached', colour: 'green' };
    case 'connecting':
      return { text: '⇄ connecting…', colour: 'yellow' };
    case 'stopped':
      return { text: '⇄ detached', colour: 'yellow' };
    case 'reconnecting': {
      const wait = link.retryAt !== undefined && link.retryAt > now ? ` in ${formatDuration(link.retryAt - now)}` : ' now';
      return { text: `⇄ stream lost${link.error ? ` (${link.error})` : ''}: reconnecting${wait}, attempt ${link.attempt}`, colour: 'red' };
    }
  }
}
