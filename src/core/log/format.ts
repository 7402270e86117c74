import type { GatewayEvent, GatewayEventName } from '../events.js';
import { redact } from './redact.js';
import { singleLine } from './text.js';
import { formatBytes, formatClock, formatDuration } from './units.js';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface FormatOptions {
  /** SGR colour codes in pretty lines. Only ever true for a terminal; JSON is never coloured. */
  color?: boolean;
  /** Leading wall-clock time in pretty lines (JSON always carries `time`). Default true. */
  timestamps?: boolean;
}

/** How loud an event is; drives colour and the logger's level filter. */
export function eventLevel(e: GatewayEvent): LogLevel {
  switch (e.type) {
    case 'call.started':
      return 'debug';
    case 'call.finished':
      return e.outcome === 'error' || e.outcome === 'timeout' ? 'warn' : 'info';
    case 'backend.state':
      return e.state === 'failed' ? 'error' : e.state === 'degraded' ? 'warn' : 'info';
    case 'naming.warning':
    case 'relay.unattributed':
    case 'backend.invalid':
    case 'backend.warning':
    case 'backend.suppressed':
    case 'auth.failed':
    case 'config.restart_needed':
    case 'ratelimit.limited':
    case 'ratelimit.degraded':
    case 'tracing.warning':
      return 'warn';
    case 'config.invalid':
      return 'error';
    default:
      return 'info';
  }
}

/**
 * One JSON object, no newline. The event keeps its own shape (`type`, `at` and the payload), so a line
 * can be read back as a GatewayEvent; `time` and `level` are added for log tooling.
 */
export function formatJson(e: GatewayEvent): string {
  // A catalog change's entries (descriptions and schemas, for the dashboard) would make one log line
  // of every tool at start; the log keeps the diff, which names them.
  const safe = redactEvent(e.type === 'catalog.changed' && e.entries ? (({ entries: _, ...rest }) => rest as GatewayEvent)(e) : e);
  return JSON.stringify({ time: new Date(e.at).toISOString(), level: eventLevel(e), ...safe });
}

const TRACE_ID_RE = /^[0-9a-f]{32}$/;

/**
 * A redacted copy. A W3C trace id (32 hex digits) has the shape the redactor hides as a key, but it
 * is an identifier that exists to be logged and correlated; one of exactly that shape is kept.
 */
function redactEvent(e: GatewayEvent): GatewayEvent {
  const safe = redact(e) as GatewayEvent;
  const traceId = (e as { traceId?: unknown }).traceId;
  if (typeof traceId === 'string' && TRACE_ID_RE.test(traceId)) (safe as { traceId?: string }).traceId = traceId;
  return safe;
}

/** One human line, no newline: `12:00:01.234 INFO  call.finished  tools/call echo ok 12ms … key=value`. */
export function formatPretty(e: GatewayEvent, options: FormatOptions = {}): string {
  const c = options.color ? ansi : plain;
  const safe = redactEvent(e);
  const level = eventLevel(e);
  const { message, fields } = describe(safe, c);
  const parts: string[] = [];
  if (options.timestamps !== false) parts.push(c.dim(formatClock(e.at, true)));
  parts.push(levelStyle(level, c)(level.toUpperCase().padEnd(5)));
  parts.push(c.dim(e.type.padEnd(TYPE_WIDTH)));
  parts.push(message);
  for (const [k, v] of fields) {
    if (v === undefined || v === '') continue;
    parts.push(`${c.dim(`${k}=`)}${quote(v)}`);
  }
  return parts.join(' ');
}

export function formatEvent(e: GatewayEvent, format: LogFormat, options: FormatOptions = {}): string {
  return format === 'json' ? formatJson(e) : formatPretty(e, options);
}

const TYPE_WIDTH = Math.max(...(['relay.unattributed', 'gateway.listening'] satisfies GatewayEventName[]).map((t) => t.length));

type Fields = Array<[string, string | number | undefined]>;

interface Style {
  dim(s: string): string;
  bold(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const plain: Style = { dim: id, bold: id, red: id, yellow: id, green: id, cyan: id };
const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const ansi: Style = { dim: sgr(2, 22), bold: sgr(1, 22), red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39) };

function id(s: string): string {
  return s;
}

function levelStyle(level: LogLevel, c: Style): (s: string) => string {
  return level === 'error' ? c.red : level === 'warn' ? c.yellow : level === 'debug' ? c.dim : c.cyan;
}

/** Every interpolated value is untrusted text: one line, no escapes. */
function t(v: string | undefined): string {
  return v === undefined ? '' : singleLine(v);
}

function quote(v: string | number): string {
  if (typeof v === 'number') return String(v);
  const s = singleLine(v);
  return s === '' || /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

function target(method: string, name: string | undefined): string {
  return name ? `${t(method)} ${t(name)}` : t(method);
}

function describe(e: GatewayEvent, c: Style): { message: string; fields: Fields } {
  switch (e.type) {
    case 'gateway.listening':
      return { message: `listening on ${c.bold(t(e.url))}`, fields: [['transports', e.transports.map(t).join(',')]] };
    case 'gateway.stopping':
      return { message: `stopping: ${t(e.reason)}`, fields: [['inFlight', e.inFlight]] };
    case 'gateway.stopped':
      return { message: 'stopped', fields: [] };
    case 'backend.state': {
      const state = e.state === 'ready' ? c.green(e.state) : e.state === 'failed' ? c.red(e.state) : e.state === 'degraded' ? c.yellow(e.state) : e.state;
      const server = e.serverName ? `${t(e.serverName)}${e.serverVersion ? `@${t(e.serverVersion)}` : ''}` : undefined;
      return {
        message: `${c.bold(t(e.backend))} ${state}${e.reason ? `: ${t(e.reason)}` : ''}`,
        fields: [
          ['tools', e.tools],
          ['resources', e.resources],
          ['prompts', e.prompts],
          ['protocol', e.protocolVersion],
          ['server', server],
          ['retryIn', e.retryInMs === undefined ? undefined : formatDuration(e.retryInMs)],
        ],
      };
    }
    case 'backend.stderr':
      return { message: `${c.bold(t(e.backend))} ${c.dim('|')} ${t(e.line)}`, fields: [] };
    case 'catalog.changed':
      return {
        message: `${e.kind} +${e.diff.added.length} -${e.diff.removed.length} ~${e.diff.changed.length}`,
        fields: [
          ['total', e.total],
          ['backend', e.backend],
        ],
      };
    case 'naming.warning':
      return {
        message: t(e.message),
        fields: [
          ['backend', e.backend],
          ['name', e.name],
        ],
      };
    case 'session.opened':
      return {
        message: `${t(e.client)} ${e.era} ${t(e.transport)}`,
        fields: [['session', e.sessionId]],
      };
    case 'session.closed':
      return { message: t(e.client), fields: [['session', e.sessionId], ['reason', e.reason]] };
    case 'session.taken_over':
      return { message: `${t(e.client)} taken over from replica ${t(e.from)}`, fields: [['session', e.sessionId], ['by', e.by]] };
    case 'call.started':
      return {
        message: target(e.method, e.name),
        fields: [
          ['client', e.client],
          ['backend', e.backend],
          ['req', formatBytes(e.requestBytes)],
          ['id', e.callId],
          ['session', e.sessionId],
          ['trace', e.traceId],
        ],
      };
    case 'call.finished': {
      const outcome = e.outcome === 'ok' ? c.green(e.outcome) : e.outcome === 'cancelled' || e.outcome === 'tool-error' ? c.yellow(e.outcome) : c.red(e.outcome);
      return {
        message: `${target(e.method, e.name)} ${outcome} ${formatDuration(e.durationMs)}`,
        fields: [
          ['client', e.client],
          ['backend', e.backend],
          ['resp', formatBytes(e.responseBytes)],
          ['id', e.callId],
          ['session', e.sessionId],
          ['trace', e.traceId],
          ['error', e.error],
        ],
      };
    }
    case 'relay.unattributed':
      return { message: `${c.bold(t(e.backend))} ${t(e.method)}: ${t(e.reason)}`, fields: [['message', e.message]] };
    case 'backend.invalid':
      return { message: `${c.bold(t(e.backend))} dropped ${e.dropped} invalid ${e.kind === 'result' ? 'result' : e.kind}: ${e.reasons.map(t).join('; ')}`, fields: [] };
    case 'backend.warning':
      return { message: `${c.bold(t(e.backend))} ${t(e.message)}`, fields: [] };
    case 'backend.suppressed':
      return {
        message: `${c.bold(t(e.backend))} … ${e.count} more ${e.source === 'stderr' ? 'stderr lines' : 'log messages'} in the last ${formatDuration(e.windowMs)}`,
        fields: [['dropped', e.totalDropped]],
      };
    case 'auth.failed':
      return { message: t(e.reason), fields: [['remote', e.remote]] };
    case 'config.reloaded': {
      const list = (xs: string[]) => (xs.length ? xs.map(t).join(',') : undefined);
      const noChange = !e.added.length && !e.removed.length && !e.restarted.length && !e.settings.length && !e.restartNeeded.length;
      return {
        message: `${t(e.source)} ${noChange ? 'applied, no changes' : `+${e.added.length} -${e.removed.length} ~${e.restarted.length} =${e.unchanged.length}`}`,
        fields: [
          ['trigger', e.trigger],
          ['added', list(e.added)],
          ['removed', list(e.removed)],
          ['restarted', list(e.restarted)],
          ['settings', list(e.settings)],
          ['restartNeeded', list(e.restartNeeded)],
        ],
      };
    }
    case 'config.invalid':
      // The message is multi-line (one line per issue); one log line keeps them joined with " | ".
      return { message: `${t(e.source)} not applied, still serving the last good configuration: ${e.error.split('\n').map((l) => t(l.trim())).filter(Boolean).join(' | ')}`, fields: [['trigger', e.trigger], ['fix', e.hint]] };
    case 'config.restart_needed':
      return { message: `restart needed to apply ${e.settings.map(t).join(', ')}`, fields: [['source', e.source]] };
    default: {
      // An event type added after this formatter: still one line, still redacted.
      const { type: _type, at: _at, ...rest } = e as { type: string; at: number };
      return { message: '', fields: Object.entries(rest).map(([k, v]) => [k, typeof v === 'number' ? v : typeof v === 'string' ? v : JSON.stringify(v)]) as Fields };
    }
  }
}
