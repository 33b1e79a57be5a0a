// Bounded logging of events a remote party can cause at will (malformed frames, refused
// links): at most `linesMax` lines per `windowMs`, and the lines left out are counted, not
// lost: the owner logs one summary line with the count once the window is over.
//
// Invariants: fixed windows on a monotonic clock (injected, so tests step it); every event is
// either admitted or counted in exactly one summary; the limiter itself holds no timer.

import type { Logger } from './logger.js';

export interface LogRateLimitOptions {
  readonly linesMax: number;
  readonly windowMs: number;
  /** A monotonic clock in milliseconds (performance.now in production). */
  readonly nowMs: () => number;
}

export class LogRateLimiter {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private linesInWindow = 0;
  private suppressed = 0;

  constructor(private readonly opts: LogRateLimitOptions) {
    if (!(opts.linesMax >= 1) || !(opts.windowMs > 0)) throw new RangeError(`LogRateLimiter: bad limits ${opts.linesMax} lines / ${opts.windowMs} ms`);
  }

  /** Counts one event; true when its line may be written, false when it is suppressed. */
  admit(): boolean {
    const now = this.opts.nowMs();
    if (now - this.windowStartMs >= this.opts.windowMs) {
      this.windowStartMs = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow < this.opts.linesMax) {
      this.linesInWindow++;
      return true;
    }
    this.suppressed++;
    return false;
  }

  /** Milliseconds until the current window ends (0 when it already has). */
  msUntilWindowEnd(): number {
    return Math.max(0, this.windowStartMs + this.opts.windowMs - this.opts.nowMs());
  }

  /** Events suppressed since the last call; the caller reports them once. */
  takeSuppressed(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}

/**
 * A warn-level line per event through a LogRateLimiter, shared by every link of a listener (a
 * flood may come over many connections). An admitted line goes to the caller's logger (a
 * link's child logger, carrying its remote address). The first suppressed event of a window
 * arms a timer for the window's end, which logs `{ event, suppressed }` once: a flood leaves
 * at most linesMax lines plus one summary per window.
 */
export class RateLimitedWarn {
  private readonly limiter: LogRateLimiter;
  private summaryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly log: Logger,
    private readonly event: string,
    opts: LogRateLimitOptions,
  ) {
    this.limiter = new LogRateLimiter(opts);
  }

  warn(log: Logger, fields: Readonly<Record<string, unknown>>): void {
    if (this.limiter.admit()) {
      log.warn(fields, this.event);
      return;
    }
    if (this.summaryTimer !== null) return;
    this.summaryTimer = setTimeout(() => this.summarize(), this.limiter.msUntilWindowEnd());
    this.summaryTimer.unref();
  }

  private summarize(): void {
    this.summaryTimer = null;
    const suppressed = this.limiter.takeSuppressed();
    if (suppressed > 0) this.log.warn({ event: this.event, suppressed }, `${this.event}: ${suppressed} more lines suppressed (rate limit)`);
  }
}
