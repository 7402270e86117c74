import type { CallOutcome } from '../core/events.js';
import { formatBytes } from '../core/log/units.js';
import type { BackendViewState, CallView } from './store.js';

export { formatBytes, formatClock, formatDuration, formatUptime } from '../core/log/units.js';

/**
 * Pads or cuts `text` to exactly `width` columns, ending a cut with `…`. Counts code points, which is
 * right for the ASCII names gateways deal in; wide CJK glyphs may overrun by a column.
 */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = Array.from(text);
  if (chars.length > width) return width === 1 ? '…' : `${chars.slice(0, width - 1).join('')}…`;
  const pad = ' '.repeat(width - chars.length);
  return align === 'right' ? pad + text : text + pad;
}

export type Colour = 'green' | 'yellow' | 'red' | 'gray' | 'cyan' | 'blue' | 'magenta' | undefined;

export function stateColour(state: BackendViewState): Colour {
  switch (state) {
    case 'ready':
      return 'green';
    case 'starting':
    case 'degraded':
      return 'yellow';
    case 'failed':
      return 'red';
    default:
      return 'gray';
  }
}

export function stateGlyph(state: BackendViewState): string {
  switch (state) {
    case 'ready':
      return '●';
    case 'starting':
      return '◌';
    case 'degraded':
      return '◐';
    case 'failed':
      return '✗';
    default:
      return '○';
  }
}

export function outcomeLabel(outcome: CallOutcome | undefined): string {
  switch (outcome) {
    case undefined:
      return '… running';
    case 'ok':
      return '✓ ok';
    case 'tool-error':
      return '! tool';
    case 'error':
      return '✗ error';
    case 'timeout':
      return '✗ timeout';
    case 'cancelled':
      return '- cancel';
  }
}

export function outcomeColour(outcome: CallOutcome | undefined): Colour {
  switch (outcome) {
    case undefined:
      return 'cyan';
    case 'ok':
      return 'green';
    case 'tool-error':
    case 'cancelled':
      return 'yellow';
    default:
      return 'red';
  }
}

/** What a call did, in one phrase: the tool for tools/call, else the method and its subject. */
export function callTarget(call: Pick<CallView, 'method' | 'name'>): string {
  if (call.method === 'tools/call' && call.name) return call.name;
  return call.name ? `${call.method} ${call.name}` : call.method;
}

/** 120B→3.4K, or 120B→ while in flight. */
export function callSizes(call: Pick<CallView, 'requestBytes' | 'responseBytes'>): string {
  const req = call.requestBytes === undefined ? '' : formatBytes(call.requestBytes);
  const resp = call.responseBytes === undefined ? '' : formatBytes(call.responseBytes);
  return `${req}→${resp}`;
}

/** 1234 → 1234, 12345 → 12.3k, 1234567 → 1.2M: counters stay narrow. */
export function formatCount(n: number): string {
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}
