// Linearizable reads waiting on ReadIndex. Reads arriving in one loop turn share one readIndex
// request (one heartbeat round on the leader); each batch moves unsent -> sent (awaiting its
// ReadState by context) -> indexed (awaiting apply >= its read index) -> released. A forwarded
// write's reply waits here too, indexed at once by the leader's applied index (apply before
// reply on the forwarding member).
//
// Invariants: a waiter is settled exactly once (released, failed or timed out); at most
// `limit` waiters exist at once; batches are released in read-index order. Deadlines share
// one timer (deadlines.ts), not one per read.

import { KiteError } from '@kite/protocol';
import { monotonicMs, type MonotonicClock } from './clock.js';
import { DEADLINE_RESOLUTION_MS, Deadlines } from './deadlines.js';
import { nodeTimers, type Timers } from './timers.js';

/** Distinct read timeouts whose error maker is kept (a member uses one or two). */
const READ_TIMEOUTS_CACHED_MAX = 16;

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  /** The error a timeout gives it. */
  readonly timeoutError: () => Error;
  /** Its bucket in the queue's deadlines. */
  deadlineAt: number;
  settled: boolean;
}

export class ReadIndexQueue {
  private unsent: Waiter[] = [];
  private readonly sent = new Map<string, Waiter[]>();
  private indexed: { index: number; waiters: Waiter[] }[] = [];
  private count = 0;
  private readonly deadlines: Deadlines<Waiter>;

  constructor(
    private readonly limit: number,
    nowMs: MonotonicClock = monotonicMs,
    timers: Timers = nodeTimers,
  ) {
    this.deadlines = new Deadlines(nowMs, (w) => this.settle(w, w.timeoutError()), DEADLINE_RESOLUTION_MS, timers);
  }

  get size(): number {
    return this.count;
  }

  get hasUnsent(): boolean {
    return this.unsent.length > 0;
  }

  /** A read that resolves once released; fails with Timeout after timeoutMs. */
  add(timeoutMs: number): Promise<void> {
    return this.newWaiter(timeoutMs, readTimeoutError(timeoutMs), (w) => this.unsent.push(w));
  }

  /** Resolves once `release` sees applied >= index; fails with `timeoutError()` after timeoutMs. */
  addApplied(index: number, timeoutMs: number, timeoutError: () => Error): Promise<void> {
    return this.newWaiter(timeoutMs, timeoutError, (w) => this.index(index, [w]));
  }

  private newWaiter(timeoutMs: number, timeoutError: () => Error, enqueue: (w: Waiter) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.count >= this.limit) {
        reject(new KiteError('Unavailable', `too many reads pending (limit ${this.limit})`));
        return;
      }
      const w: Waiter = { resolve, reject, timeoutError, settled: false, deadlineAt: 0 };
      w.deadlineAt = this.deadlines.add(w, timeoutMs);
      this.count++;
      enqueue(w);
    });
  }

  /** Takes the unsent batch; the caller sends it (sent), puts it back (requeue) or fails it. */
  takeUnsent(): readonly Waiter[] | null {
    const batch = this.unsent.filter((w) => !w.settled);
    this.unsent = [];
    return batch.length > 0 ? batch : null;
  }

  sentAs(context: string, batch: readonly Waiter[]): void {
    this.sent.set(context, [...batch]);
  }

  requeue(batch: readonly Waiter[]): void {
    this.unsent.push(...batch);
  }

  fail(batch: readonly Waiter[], err: Error): void {
    for (const w of batch) this.settle(w, err);
  }

  /** The ReadState for `context` arrived: its batch waits for apply >= index. */
  onReadState(context: string, index: number): void {
    const batch = this.sent.get(context);
    if (batch === undefined) return;
    this.sent.delete(context);
    this.index(index, batch);
  }

  /** Files `batch` under `index`, keeping `indexed` sorted (binary search: forwarded writes arrive in bulk). */
  private index(index: number, batch: Waiter[]): void {
    let lo = 0;
    let hi = this.indexed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.indexed[mid]?.index ?? Infinity) < index) lo = mid + 1;
      else hi = mid;
    }
    const slot = this.indexed[lo];
    if (slot !== undefined && slot.index === index) slot.waiters.push(...batch);
    else this.indexed.splice(lo, 0, { index, waiters: batch });
  }

  /** Releases every batch whose read index is applied. */
  release(appliedIndex: number): void {
    while (this.indexed.length > 0 && (this.indexed[0]?.index ?? Infinity) <= appliedIndex) {
      for (const w of this.indexed.shift()?.waiters ?? []) this.settle(w, null);
    }
  }

  /** The leader changed: requests sent to the old one may never be answered; send again. */
  resendAll(): void {
    for (const batch of this.sent.values()) this.unsent.push(...batch.filter((w) => !w.settled));
    this.sent.clear();
  }

  /**
   * Fails the reads not yet given a read index (the member has no leader to ask); reads
   * already indexed only wait for the local apply and are kept.
   */
  failUnindexed(err: Error): void {
    const waiting = [...this.unsent, ...[...this.sent.values()].flat()];
    this.unsent = [];
    this.sent.clear();
    for (const w of waiting) this.settle(w, err);
  }

  failAll(err: Error): void {
    const all = [...this.unsent, ...[...this.sent.values()].flat(), ...this.indexed.flatMap((s) => s.waiters)];
    this.unsent = [];
    this.sent.clear();
    this.indexed = [];
    for (const w of all) this.settle(w, err);
  }

  private settle(w: Waiter, err: Error | null): void {
    if (w.settled) return;
    w.settled = true;
    this.count--;
    this.deadlines.delete(w, w.deadlineAt);
    if (err === null) w.resolve();
    else w.reject(err);
  }
}

/** One timeout-error maker per distinct timeout (reads use the member's request timeout): no closure per read. */
const readTimeoutErrors = new Map<number, () => Error>();
function readTimeoutError(timeoutMs: number): () => Error {
  let make = readTimeoutErrors.get(timeoutMs);
  if (make === undefined) {
    make = () => new KiteError('Timeout', `no read index within ${timeoutMs} ms`);
    if (readTimeoutErrors.size < READ_TIMEOUTS_CACHED_MAX) readTimeoutErrors.set(timeoutMs, make);
  }
  return make;
}
