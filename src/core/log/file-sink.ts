import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { createEventLogger, type EventLogger, type EventSource, type LogStream } from './logger.js';
import type { LogLevel } from './format.js';

export const LOG_FILE_DEFAULTS = { maxBytes: 10 * 1024 * 1024, files: 5 };

export interface LogFileOptions {
  path: string;
  /** Rotate before a line would take the file past this size (a longer line gets a file of its own). */
  maxBytes?: number;
  /** Rotated files kept: path.1 (newest) … path.N. 0 truncates the file instead. */
  files?: number;
}

/**
 * An append-only log file rotated by size. Writes are synchronous and whole lines, so rotation
 * happens exactly between lines and a line is never split across files; a log line is a few hundred
 * bytes, and the page cache takes it without the gateway noticing. Files are created 0600: events
 * name clients, backends and tools.
 */
export class RotatingLogFile implements LogStream {
  private fd: number;
  private size: number;
  private readonly maxBytes: number;
  private readonly files: number;
  /** Lines lost to a failing disk (full, removed folder); the log never throws into the gateway. */
  failed = 0;

  constructor(readonly path: string, opts: Omit<LogFileOptions, 'path'> = {}) {
    this.maxBytes = opts.maxBytes ?? LOG_FILE_DEFAULTS.maxBytes;
    this.files = opts.files ?? LOG_FILE_DEFAULTS.files;
    this.fd = openLog(path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  write(chunk: string): boolean {
    const bytes = Buffer.byteLength(chunk);
    try {
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      writeSync(this.fd, chunk);
      this.size += bytes;
    } catch {
      this.failed++;
    }
    return true;
  }

  private rotate(): void {
    closeSync(this.fd);
    this.fd = -1;
    if (this.files > 0) {
      rmSync(`${this.path}.${this.files}`, { force: true });
      for (let i = this.files - 1; i >= 1; i--) if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      renameSync(this.path, `${this.path}.1`);
    }
    this.fd = openLog(this.path, this.files > 0 ? 'a' : 'w');
    this.size = 0;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function openLog(path: string, flags: 'a' | 'w'): number {
  try {
    return openSync(path, flags, 0o600);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const dir = dirname(path);
    const why =
      err.code === 'ENOENT' ? `the folder ${dir} does not exist` : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied' : err.code === 'EISDIR' ? 'it is a folder' : err.message;
    throw new UserError(`Cannot open log file ${path}: ${why}.`, {
      code: 'log_file_unwritable',
      exit: ExitCode.usage,
      hint: 'Pick a writable file with --log-file (or gateway.log.file), or create its folder first.',
    });
  }
}

export interface FileLog {
  readonly file: RotatingLogFile;
  readonly logger: EventLogger;
  stop(): void;
}

/**
 * Every event at or above `level`, as redacted JSON lines (the `--log-format json` shape), in a
 * rotated file. It runs beside the dashboard or the console log, not instead of them.
 */
export function startFileLog(source: EventSource, opts: LogFileOptions & { level?: LogLevel }): FileLog {
  if (existsSync(opts.path) && statSync(opts.path).isDirectory()) {
    throw new UserError(`Cannot open log file ${opts.path}: it is a folder.`, { code: 'log_file_unwritable', exit: ExitCode.usage, hint: 'Name a file inside it, e.g. --log-file logs/gatehouse.jsonl.' });
  }
  const file = new RotatingLogFile(opts.path, opts);
  const logger = createEventLogger(source, { format: 'json', stream: file, level: opts.level ?? 'info' });
  return {
    file,
    logger,
    stop() {
      logger.stop();
      file.close();
    },
  };
}
