// One timer for many deadlines. What waits for an answer (a proposal, a linearizable read, a
// forwarded request) registers its deadline here instead of arming a setTimeout of its own:
// no timer object, closure and timer-list insert and removal per request on the hot path.
//
// Deadlines are grouped in buckets of `resolutionMs` (a deadline's bucket is the first bucket
// boundary at or after it), and a single timer is armed for the earliest bucket. So an item
// expires at most resolutionMs late and never early, by the injected monotonic clock.
//
// Invariants: an item is in at most one bucket; `onExpire` is called once per item, only for
// items still registered when their bucket is due, after the item was removed. The timer is
// left armed when the last item is deleted (one request at a time would otherwise arm and
// clear a timer per request); it is unref'd, so it never holds a stopped process open, and
// re-armed on firing only while items remain.

import type { MonotonicClock } from './clock.js';
import { nodeTimers, type TimerHandle, type Timers } from './timers.js';

/** How late a deadline may fire, at most. Fine against the request timeouts (seconds). */
export const DEADLINE_RESOLUTION_MS = 10;

export class Deadlines<T> {
  /** Bucket boundary (ms) → its items. */
  private readonly buckets = new Map<number, Set<T>>();
  /** Bucket boundaries, ascending (nearly always appended: timeouts are mostly equal). */
  private readonly order: number[] = [];
  private timer: TimerHandle | null = null;
  private armedFor = Infinity;

  constructor(
    private readonly nowMs: MonotonicClock,
    private readonly onExpire: (item: T) => void,
    private readonly resolutionMs = DEADLINE_RESOLUTION_MS,
    private readonly timers: Timers = nodeTimers,
  ) {}

  /** Items registered. */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  /** Registers `item` to expire `timeoutMs` from now; returns its bucket (for delete). */
  add(item: T, timeoutMs: number): number {
    const at = Math.ceil((this.nowMs() + Math.max(0, timeoutMs)) / this.resolutionMs) * this.resolutionMs;
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(at, bucket);
      this.insertOrder(at);
    }
    bucket.add(item);
    if (at < this.armedFor) this.arm(at);
    return at;
  }

  /** Unregisters `item` (settled before its deadline); a no-op when it is not registered. */
  delete(item: T, bucketAt: number): void {
    const bucket = this.buckets.get(bucketAt);
    if (bucket === undefined || !bucket.delete(item) || bucket.size > 0) return;
    this.buckets.delete(bucketAt);
    const i = this.order.indexOf(bucketAt);
    if (i >= 0) this.order.splice(i, 1);
  }

  /** Unregisters everything (every item was settled otherwise). */
  clear(): void {
    this.buckets.clear();
    this.order.length = 0;
    this.disarm();
  }

  private insertOrder(at: number): void {
    let i = this.order.length;
    while (i > 0 && (this.order[i - 1] as number) > at) i--;
    this.order.splice(i, 0, at);
  }

  private arm(at: number): void {
    this.disarm();
    this.armedFor = at;
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(1, at - this.nowMs()));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.armedFor = Infinity;
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = this.nowMs();
    while (this.order.length > 0 && (this.order[0] as number) <= now) {
      const at = this.order.shift() as number;
      const bucket = this.buckets.get(at);
      this.buckets.delete(at);
      for (const item of bucket ?? []) this.onExpire(item);
    }
    const next = this.order[0];
    // A clock that has not reached the bucket yet (an injected one) is asked again later.
    if (next !== undefined && this.timer === null) this.arm(Math.max(next, now + this.resolutionMs));
  }
}
