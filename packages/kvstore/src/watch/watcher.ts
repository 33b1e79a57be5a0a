// One watcher: its request, its place in the hub (synced / unsynced / canceled, and the next
// revision it needs), and the bounded queue its consumer takes responses from.
//
// Consumer contract: responses are taken with `poll()` or the async iterator; taking is the
// acknowledgement that frees buffer space. `onReadable` fires when the queue goes from empty
// to non-empty. Invariant: `bufferedEvents` ≤ the hub's bufferedEventsMax, except for one
// revision larger than the limit delivered while no other events were buffered (revisions are
// never split; responses without events, such as progress, may be queued beside it).

import type { KeyRange } from './key-bytes.js';
import type { WatchResponse } from './types.js';

export type WatcherGroup = 'synced' | 'unsynced' | 'canceled';

/** What a watcher needs from its hub (kept narrow so the watcher can be tested alone). */
export interface WatcherOwner {
  taken(w: Watcher): void;
  requestProgress(w: Watcher): void;
  cancel(w: Watcher): void;
}

export interface WatcherOptions {
  readonly id: number;
  readonly range: KeyRange;
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array | undefined;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
}

const queueCompactAt = 1_024;

export class Watcher {
  readonly id: number;
  readonly range: KeyRange;
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array | undefined;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;

  // Hub-owned state (the hub is the only writer). A new watcher counts as unsynced (in no
  // index) until the hub places it.
  group: WatcherGroup = 'unsynced';
  /**
   * Unsynced: the first revision not yet delivered. Synced: the start revision (events below
   * it are skipped); the effective next revision is max(this, hub revision + 1).
   */
  nextRevision = 0;
  catchUpInFlight = false;
  /**
   * The last catch-up pass stopped because the next revision did not fit the buffer; the
   * watcher is read for again only after its consumer takes something (guarantees progress:
   * eventually the buffer is empty and any revision fits).
   */
  waitingForTake = false;
  /** A progress request arrived while unsynced; answered when the watcher is synced. */
  progressPending = false;
  /** Something was queued since the last progress tick (so the watcher was not idle). */
  deliveredSinceTick = false;

  private readonly queue: WatchResponse[] = [];
  private head = 0;
  private bufferedEventCount = 0;
  private readableListener: (() => void) | undefined = undefined;
  private waiter: ((r: IteratorResult<WatchResponse>) => void) | undefined = undefined;

  constructor(
    private readonly owner: WatcherOwner,
    opts: WatcherOptions,
  ) {
    this.id = opts.id;
    this.range = opts.range;
    this.key = opts.key;
    this.rangeEnd = opts.rangeEnd;
    this.prevKv = opts.prevKv;
    this.noPut = opts.noPut;
    this.noDelete = opts.noDelete;
    this.progressNotify = opts.progressNotify;
  }

  /** Events delivered to this watcher and not yet taken by its consumer. */
  get bufferedEvents(): number {
    return this.bufferedEventCount;
  }

  get queuedResponses(): number {
    return this.queue.length - this.head;
  }

  /** Queued responses that carry events (what the buffer invariant above counts). */
  get queuedEventResponses(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) if (this.queue[i]?.kind === 'events') n++;
    return n;
  }

  /** True once canceled and the consumer has taken everything (nothing more will come). */
  get done(): boolean {
    return this.group === 'canceled' && this.queuedResponses === 0;
  }

  /** Registers the callback fired when the queue goes from empty to non-empty. */
  onReadable(listener: (() => void) | undefined): void {
    this.readableListener = listener;
  }

  /** Takes up to `max` queued responses (the acknowledgement that frees buffer space). */
  poll(max = Number.POSITIVE_INFINITY): WatchResponse[] {
    const out: WatchResponse[] = [];
    while (out.length < max && this.head < this.queue.length) out.push(this.shift());
    if (out.length > 0) this.owner.taken(this);
    return out;
  }

  /** Asks for a progress notification: the hub's revision once all events ≤ it are queued. */
  requestProgress(): void {
    this.owner.requestProgress(this);
  }

  /** Stops the watch now; queued responses are dropped and the iterator ends. */
  cancel(): void {
    if (this.group !== 'canceled') this.owner.cancel(this);
    this.dropQueue();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchResponse> {
    return { next: () => this.next() };
  }

  next(): Promise<IteratorResult<WatchResponse>> {
    if (this.head < this.queue.length) {
      const value = this.shift();
      this.owner.taken(this);
      return Promise.resolve({ done: false, value });
    }
    if (this.group === 'canceled') return Promise.resolve({ done: true, value: undefined });
    if (this.waiter !== undefined) throw new Error('assertion: one pending next() per watcher');
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  // ---- hub side ----

  /** Queues a response. Progress responses coalesce with a trailing progress response. */
  enqueue(resp: WatchResponse): void {
    const last = this.queue[this.queue.length - 1];
    if (resp.kind === 'progress' && this.head < this.queue.length && last?.kind === 'progress') {
      this.queue[this.queue.length - 1] = resp;
      return;
    }
    if (resp.kind === 'events') this.bufferedEventCount += resp.events.length;
    this.deliveredSinceTick = true;
    const wasEmpty = this.head === this.queue.length;
    this.queue.push(resp);
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      const value = this.shift();
      waiter({ done: false, value });
      this.owner.taken(this);
      return;
    }
    if (wasEmpty) this.readableListener?.();
  }

  /** Called by the hub when it cancels the watcher itself (the final response is queued). */
  endIterator(): void {
    if (this.head === this.queue.length && this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter({ done: true, value: undefined });
    }
  }

  private shift(): WatchResponse {
    const resp = this.queue[this.head] as WatchResponse;
    this.head++;
    if (resp.kind === 'events') this.bufferedEventCount -= resp.events.length;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head >= queueCompactAt) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return resp;
  }

  private dropQueue(): void {
    this.queue.length = 0;
    this.head = 0;
    this.bufferedEventCount = 0;
    this.endIterator();
  }
}
