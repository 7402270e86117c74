/**
 * A backend's stderr, split into lines with bounded memory whatever the backend writes. Only new
 * bytes are scanned for newlines (a line without an end is never rescanned from its start), the
 * partial line is capped, and the tail keeps the last lines up to a byte budget. A backend printing
 * 50 MB without a newline costs one capped buffer, not 50 MB and a quadratic rescan.
 */
export interface StderrTailOptions {
  /** Longest line kept; the rest of an overlong line is counted, not stored. */
  maxLineBytes?: number;
  /** Bytes of recent lines kept for failure reasons. */
  maxTailBytes?: number;
  onLine?: (line: string) => void;
}

const CUT = '…[cut]';

export class StderrTail {
  private readonly maxLine: number;
  private readonly maxTail: number;
  private readonly onLine?: (line: string) => void;
  private partial = '';
  private skipping = false;
  private readonly lines: string[] = [];
  private tailBytes = 0;

  constructor(opts: StderrTailOptions = {}) {
    this.maxLine = opts.maxLineBytes ?? 4 * 1024;
    this.maxTail = opts.maxTailBytes ?? 64 * 1024;
    this.onLine = opts.onLine;
  }

  write(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        this.append(text.slice(start));
        return;
      }
      this.append(text.slice(start, nl));
      if (this.skipping) this.skipping = false;
      else this.finishLine();
      start = nl + 1;
    }
  }

  /** Flushes a last line without a newline (the process ended). */
  end(): void {
    if (this.partial && !this.skipping) this.finishLine();
  }

  /** The last few lines, joined for a one-line reason. */
  recent(lines = 5, maxChars = 800): string {
    return this.lines.slice(-lines).join(' | ').slice(0, maxChars);
  }

  private append(piece: string): void {
    if (!piece || this.skipping) return;
    const room = this.maxLine - this.partial.length;
    if (piece.length < room) {
      this.partial += piece;
      return;
    }
    // An overlong line is shown once, cut, as soon as it passes the cap; the rest up to its newline is skipped.
    this.partial += piece.slice(0, room);
    this.finishLine(true);
    this.skipping = true;
  }

  private finishLine(cut = false): void {
    let line = this.partial.trimEnd();
    if (cut) line = `${line}${CUT}`;
    this.partial = '';
    if (!line) return;
    this.lines.push(line);
    this.tailBytes += line.length;
    while (this.tailBytes > this.maxTail && this.lines.length > 1) this.tailBytes -= this.lines.shift()!.length;
    this.onLine?.(line);
  }
}
