import type { GatewayEvent } from '../events.js';
import { eventLevel, formatEvent, LOG_LEVELS, type LogFormat, type LogLevel } from './format.js';

/** Anything with `onAny`: the gateway's EventBus, or later a remote gateway's event stream. */
export interface EventSource {
  onAny(listener: (e: GatewayEvent) => void): () => void;
}

/** The part of a writable stream the logger needs; `isTTY` only feeds colour detection. */
export interface LogStream {
  write(chunk: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
}

export interface EventLoggerOptions {
  format: LogFormat;
  stream: LogStream;
  /** Colour for pretty lines. Default: detectColor(stream). Never applied to JSON. */
  color?: boolean;
  /** Lowest level written. Default 'debug' (every event). */
  level?: LogLevel;
  /** Leading time in pretty lines. Default true. */
  timestamps?: boolean;
}

export interface EventLogger {
  /** Unsubscribes; lines already handed to the stream are not recalled. */
  stop(): void;
  /** Lines skipped because the stream was not draining (see below). */
  readonly dropped: number;
}

/**
 * Writes one line per event. The gateway never waits for us: when the stream reports back-pressure
 * (write returned false), lines are counted and dropped until it drains, and then one line says how many
 * were lost. A log reader that stalls costs log lines, never gateway latency or unbounded memory.
 */
export function createEventLogger(source: EventSource, options: EventLoggerOptions): EventLogger {
  const { format, stream } = options;
  const color = format === 'pretty' && (options.color ?? detectColor(stream));
  const minLevel = LOG_LEVELS.indexOf(options.level ?? 'debug');
  const formatOptions = { color, timestamps: options.timestamps };
  let dropped = 0;
  let droppedSinceDrain = 0;
  let blocked = false;

  const write = (line: string): void => {
    if (blocked) {
      dropped++;
      droppedSinceDrain++;
      return;
    }
    const ok = stream.write(`${line}\n`);
    if (!ok && typeof stream.once === 'function') {
      blocked = true;
      stream.once('drain', () => {
        blocked = false;
        if (droppedSinceDrain > 0) {
          const n = droppedSinceDrain;
          droppedSinceDrain = 0;
          write(droppedLine(n, format));
        }
      });
    }
  };

  const unsubscribe = source.onAny((e) => {
    if (LOG_LEVELS.indexOf(eventLevel(e)) < minLevel) return;
    let line: string;
    try {
      line = formatEvent(e, format, formatOptions);
    } catch {
      // A formatter bug must not lose the fact that something happened.
      line = format === 'json' ? JSON.stringify({ time: new Date(e.at).toISOString(), level: 'warn', type: e.type, unformattable: true }) : `${e.type} (unformattable event)`;
    }
    write(line);
  });

  return {
    stop: unsubscribe,
    get dropped() {
      return dropped;
    },
  };
}

function droppedLine(n: number, format: LogFormat): string {
  const message = `${n} log line${n === 1 ? '' : 's'} dropped: output was not keeping up`;
  return format === 'json' ? JSON.stringify({ time: new Date().toISOString(), level: 'warn', type: 'log.dropped', count: n, message }) : `WARN  log.dropped ${message}`;
}

/**
 * Colour only for a terminal, and never when NO_COLOR is set or TERM is dumb (https://no-color.org).
 * FORCE_COLOR=0 also disables it.
 */
export function detectColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}
