/**
 * Per-backend rate limit for what a backend makes the gateway log (stderr lines, log notifications
 * nobody is waiting for). The first `burst` messages in a window pass; the rest are counted, and when
 * the window closes one summary says how many were dropped ("… 4812 more in the last 10 s"). A backend
 * flooding at thousands of lines per second then costs a few log lines per window, not megabytes.
 */
export interface LogLimiterOptions {
  windowMs?: number;
  burst?: number;
  onSuppressed: (count: number, windowMs: number, totalDropped: number) => void;
}

export class LogLimiter {
  private readonly windowMs: number;
  private readonly burst: number;
  private windowStart = 0;
  private passed = 0;
  private suppressed = 0;
  private timer?: NodeJS.Timeout;
  /** Everything dropped since this limiter was created. */
  dropped = 0;

  constructor(private readonly opts: LogLimiterOptions) {
    this.windowMs = opts.windowMs ?? 10_000;
    this.burst = opts.burst ?? 100;
  }

  /** True when this message may be logged. */
  allow(now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = now;
      this.passed = 0;
    }
    if (this.passed < this.burst) {
      this.passed++;
      return true;
    }
    this.suppressed++;
    this.dropped++;
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), Math.max(0, this.windowStart + this.windowMs - now));
      this.timer.unref();
    }
    return false;
  }

  /** Reports what the current window dropped (also called on stop). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    const n = this.suppressed;
    this.suppressed = 0;
    this.opts.onSuppressed(n, this.windowMs, this.dropped);
  }
}
