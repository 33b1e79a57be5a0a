// The watch hub: fans committed revisions out to watchers, etcd's watchable store reworked.
//
// Groups. A watcher is in exactly one of:
// - synced: it has every matching event ≤ the hub's revision queued; it sits in the
//   WatcherIndex and receives live batches from notify();
// - unsynced: it still needs revisions [nextRevision, hub revision] and is fed from history
//   by the catch-up pump, at most catchUpRevisionsPerPass revisions per read, until
//   nextRevision passes the hub's revision; then it joins synced (no live batch can arrive in
//   between: notify() and that hand-over are both synchronous);
// - canceled.
// A synced watcher whose buffer cannot take a live revision is moved to unsynced at that
// revision (it is neither dropped nor allowed to block others) and is read for again once its
// consumer has drained it to resumeBelowEvents. A catching-up watcher whose next revision
// falls below the compaction is canceled with compactRevision (etcd: start < compactRevision).
//
// Invariants: each watcher's delivered events are strictly increasing in revision, gap-free
// within retained history, and one revision's events are never split across responses.
// Nothing here uses timers: catch-up runs on the store's promises; periodic progress is
// driven by the host calling tickProgress().

import { KiteError, WATCH_FIELDS } from '@kite/protocol';
import { TooManyWatchesError, WatchInvalidArgumentError } from './errors.js';
import { classifyRange, keyString } from './key-bytes.js';
import type { CommittedBatch, HistoryPage, RevisionEvents, Unsubscribe, WatchEvent, WatchSource } from './source.js';
import { defaultWatchHubLimits } from './types.js';
import type { WatchHubLimits, WatchRequest, WatchResponse } from './types.js';
import { WatcherIndex } from './watcher-index.js';
import { Watcher } from './watcher.js';
import type { WatcherOwner } from './watcher.js';

export interface WatchHubStats {
  /** Index entries examined for the most expensive single event so far. */
  maxExaminedPerEvent: number;
  /** Index entries examined in total (divide by eventsNotified for the mean). */
  examinedTotal: number;
  eventsNotified: number;
  /** Responses queued from live batches. */
  liveResponses: number;
  catchUpReads: number;
  /** Synced watchers moved back to catch-up because their buffer was full. */
  slowConsumerFallbacks: number;
  compactionCancels: number;
}

export class WatchHub implements WatcherOwner {
  readonly limits: WatchHubLimits;
  readonly stats: WatchHubStats = {
    maxExaminedPerEvent: 0,
    examinedTotal: 0,
    eventsNotified: 0,
    liveResponses: 0,
    catchUpReads: 0,
    slowConsumerFallbacks: 0,
    compactionCancels: 0,
  };

  private readonly synced = new WatcherIndex<Watcher>();
  private readonly unsynced = new Set<Watcher>();
  /** Unsynced watchers that may be read for now (not in flight, buffer drained enough). */
  private readonly ready = new Set<Watcher>();
  private readonly progressWatchers = new Set<Watcher>();
  private readonly live = new Map<number, Watcher>();
  private hubRevision: number;
  private nextWatchId = 1;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  private readonly unsubscribe: Unsubscribe[];

  /** Subscribes to the store's committed batches and restores until close(). */
  constructor(
    private readonly source: WatchSource,
    limits: Partial<WatchHubLimits> = {},
  ) {
    this.limits = { ...defaultWatchHubLimits, ...limits };
    if (this.limits.resumeBelowEvents > this.limits.bufferedEventsMax) {
      throw new Error('assertion: resumeBelowEvents must not exceed bufferedEventsMax');
    }
    this.hubRevision = source.currentRevision;
    this.unsubscribe = [
      source.onCommitted((batch) => this.onCommitted(batch)),
      source.onRestored(() => this.resync()),
    ];
  }

  /** The last revision handed to notify() (or the store's revision at start/resync). */
  get revision(): number {
    return this.hubRevision;
  }

  get watcherCount(): number {
    return this.live.size;
  }

  get syncedCount(): number {
    return this.synced.size;
  }

  get unsyncedCount(): number {
    return this.unsynced.size;
  }

  watch(req: WatchRequest): Watcher {
    if (this.live.size >= this.limits.watchersMax) throw new TooManyWatchesError(this.limits.watchersMax);
    checkWatchRequest(req);
    const start = req.startRevision ?? 0;
    const w = new Watcher(this, {
      id: this.nextWatchId++,
      range: classifyRange(req.key, req.rangeEnd),
      key: req.key,
      rangeEnd: req.rangeEnd,
      prevKv: req.prevKv === true,
      noPut: req.noPut === true,
      noDelete: req.noDelete === true,
      progressNotify: req.progressNotify === true,
    });
    this.live.set(w.id, w);
    if (w.progressNotify) this.progressWatchers.add(w);
    if (start === 0 || start > this.hubRevision) {
      w.nextRevision = start === 0 ? this.hubRevision + 1 : start;
      this.joinSynced(w);
    } else if (start < this.source.compactRevision) {
      this.cancelCompacted(w);
    } else {
      w.nextRevision = start;
      this.joinUnsynced(w);
    }
    return w;
  }

  /** Fans out one applied batch (the store publishes them in revision order). */
  private onCommitted(batch: CommittedBatch): void {
    for (const change of batch.changes) this.notifyRevision(change);
    if (batch.currentRevision < this.hubRevision) {
      throw new Error(`assertion: batch revision ${batch.currentRevision} behind hub revision ${this.hubRevision}`);
    }
    this.hubRevision = batch.currentRevision;
  }

  private notifyRevision(change: RevisionEvents): void {
    if (change.revision <= this.hubRevision) {
      throw new Error(`assertion: revision ${change.revision} not after hub revision ${this.hubRevision}`);
    }
    this.hubRevision = change.revision;
    if (this.synced.size === 0 || change.events.length === 0) return;
    if (change.events.length === 1) this.notifyOne(change.revision, change.events[0] as WatchEvent);
    else this.notifyMany(change.revision, change.events);
  }

  /**
   * Periodic progress: every synced progressNotify watcher that got nothing since the last
   * tick and has nothing queued is told the hub's revision (all its events ≤ it delivered).
   */
  tickProgress(): void {
    for (const w of this.progressWatchers) {
      const idle = !w.deliveredSinceTick;
      if (idle && w.group === 'synced' && w.queuedResponses === 0) this.enqueueProgress(w);
      w.deliveredSinceTick = false;
    }
  }

  /**
   * After the store's state was replaced (snapshot restore) the hub's revision jumps; every
   * synced watcher goes back to catch-up from where it was, so it sees the jump from history
   * (or is canceled as compacted).
   */
  resync(): void {
    const old = this.hubRevision;
    const now = this.source.currentRevision;
    if (now < old) throw new Error(`assertion: store revision went back from ${old} to ${now}`);
    this.hubRevision = now;
    const moved = [...this.live.values()].filter((w) => w.group === 'synced');
    for (const w of moved) {
      const next = Math.max(w.nextRevision, old + 1);
      if (next > now) continue;
      this.synced.remove(w);
      w.nextRevision = next;
      this.joinUnsynced(w);
    }
  }

  /** Resolves when the catch-up pump has nothing it can do (tests and orderly shutdown). */
  settle(): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Unsubscribes from the store and cancels every watcher (each gets a canceled response). */
  close(reason = 'watch hub closed'): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    for (const w of [...this.live.values()]) this.cancelWith(w, reason, undefined);
  }

  // ---- WatcherOwner ----

  taken(w: Watcher): void {
    w.waitingForTake = false;
    if (w.group === 'unsynced') this.maybeReady(w);
  }

  requestProgress(w: Watcher): void {
    if (w.group === 'synced') this.enqueueProgress(w);
    else if (w.group === 'unsynced') w.progressPending = true;
  }

  cancel(w: Watcher): void {
    if (w.group === 'canceled') return;
    this.leaveGroups(w);
  }

  // ---- live fan-out ----

  private notifyOne(revision: number, ev: WatchEvent): void {
    const targets: Watcher[] = [];
    this.countExamined(this.synced.match(keyString(ev.kv.key), (w) => targets.push(w)));
    if (targets.length === 0) return;
    let withPrev: readonly WatchEvent[] | undefined;
    let withoutPrev: readonly WatchEvent[] | undefined;
    for (const w of targets) {
      if (revision < w.nextRevision || filteredOut(w, ev)) continue;
      let events: readonly WatchEvent[];
      if (w.prevKv || ev.prevKv === undefined) events = withPrev ??= [ev];
      else events = withoutPrev ??= [stripPrev(ev)];
      this.deliverLive(w, revision, events);
    }
  }

  private notifyMany(revision: number, events: readonly WatchEvent[]): void {
    const perWatcher = new Map<Watcher, number[]>();
    for (let i = 0; i < events.length; i++) {
      const ev = events[i] as WatchEvent;
      const examined = this.synced.match(keyString(ev.kv.key), (w) => {
        if (revision < w.nextRevision || filteredOut(w, ev)) return;
        const list = perWatcher.get(w);
        if (list === undefined) perWatcher.set(w, [i]);
        else list.push(i);
      });
      this.countExamined(examined);
    }
    const stripped: (WatchEvent | undefined)[] = [];
    for (const [w, indexes] of perWatcher) {
      const out = indexes.map((i) => {
        const ev = events[i] as WatchEvent;
        if (w.prevKv || ev.prevKv === undefined) return ev;
        return (stripped[i] ??= stripPrev(ev));
      });
      this.deliverLive(w, revision, out);
    }
  }

  private deliverLive(w: Watcher, revision: number, events: readonly WatchEvent[]): void {
    if (w.group !== 'synced') return; // canceled by a consumer callback during this fan-out
    const buffered = w.bufferedEvents;
    if (buffered > 0 && buffered + events.length > this.limits.bufferedEventsMax) {
      this.stats.slowConsumerFallbacks++;
      this.synced.remove(w);
      w.nextRevision = revision;
      w.waitingForTake = true;
      this.joinUnsynced(w);
      return;
    }
    this.stats.liveResponses++;
    w.enqueue({ kind: 'events', watchId: w.id, revision, events });
  }

  private countExamined(n: number): void {
    this.stats.eventsNotified++;
    this.stats.examinedTotal += n;
    if (n > this.stats.maxExaminedPerEvent) this.stats.maxExaminedPerEvent = n;
  }

  // ---- catch-up from history ----

  private maybeReady(w: Watcher): void {
    if (w.group !== 'unsynced' || w.catchUpInFlight || w.waitingForTake) return;
    if (w.bufferedEvents > this.limits.resumeBelowEvents) return;
    this.ready.add(w);
    if (!this.pumping) {
      this.pumping = true;
      queueMicrotask(() => void this.pump());
    }
  }

  private async pump(): Promise<void> {
    try {
      while (this.ready.size > 0) {
        const batch: Watcher[] = [];
        for (const w of this.ready) {
          batch.push(w);
          if (batch.length >= this.limits.catchUpWatchersPerPass) break;
        }
        for (const w of batch) this.ready.delete(w);
        await Promise.all(batch.map((w) => this.catchUp(w)));
      }
    } finally {
      this.pumping = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** One bounded history read for `w`, then delivery of whole revisions that fit its buffer. */
  private async catchUp(w: Watcher): Promise<void> {
    if (w.group !== 'unsynced') return;
    const from = w.nextRevision;
    if (from < this.source.compactRevision) {
      this.cancelCompacted(w);
      return;
    }
    const to = Math.min(this.hubRevision, from + this.limits.catchUpRevisionsPerPass - 1);
    if (from > to) {
      this.promote(w);
      return;
    }
    w.catchUpInFlight = true;
    let page: HistoryPage;
    try {
      page = await this.source.eventsBetween(w.key, w.rangeEnd, from, to, this.limits.catchUpRevisionsPerPass);
    } catch (err) {
      w.catchUpInFlight = false;
      if (w.group !== 'unsynced') return;
      if (errorCode(err) === 'Compacted') this.cancelCompacted(w);
      else this.cancelWith(w, `history read failed: ${String(err)}`, undefined);
      return;
    }
    w.catchUpInFlight = false;
    if (w.group !== 'unsynced') return;
    // A compaction that ran during the read may have removed part of what it scanned.
    if (from < this.source.compactRevision) {
      this.cancelCompacted(w);
      return;
    }
    this.stats.catchUpReads++;
    // A page may stop early (revision or scan bound); it covers [from, page.nextRevision).
    if (page.nextRevision <= from) throw new Error(`assertion: history page made no progress at ${from}`);
    const through = Math.min(to, page.nextRevision - 1);
    const next = this.deliverHistory(w, page.changes, from, through);
    w.waitingForTake = next <= through;
    w.nextRevision = next;
    if (next > this.hubRevision) this.promote(w);
    else this.maybeReady(w);
  }

  /**
   * Queues the events of [from, through] (whole revisions, filtered) while they fit the
   * buffer; returns the first revision not delivered.
   */
  private deliverHistory(w: Watcher, history: readonly RevisionEvents[], from: number, through: number): number {
    const { bufferedEventsMax, responseEventsMax } = this.limits;
    let pending: WatchEvent[] = [];
    let buffered = w.bufferedEvents;
    const flush = (upTo: number): void => {
      if (pending.length === 0) return;
      w.enqueue({ kind: 'events', watchId: w.id, revision: upTo, events: pending });
      buffered += pending.length;
      pending = [];
    };
    let lastRevision = from - 1;
    for (const { revision, events } of history) {
      if (revision <= lastRevision || revision > through) {
        throw new Error(`assertion: history revision ${revision} outside (${lastRevision}, ${through}]`);
      }
      lastRevision = revision;
      const group: WatchEvent[] = [];
      for (const ev of events) {
        if (filteredOut(w, ev)) continue;
        group.push(w.prevKv || ev.prevKv === undefined ? ev : stripPrev(ev));
      }
      if (group.length === 0) continue;
      const total = buffered + pending.length;
      if (total > 0 && total + group.length > bufferedEventsMax) {
        flush(revision - 1);
        return revision;
      }
      if (pending.length > 0 && pending.length + group.length > responseEventsMax) flush(revision - 1);
      pending.push(...group);
    }
    flush(through);
    return through + 1;
  }

  // ---- group moves ----

  private joinSynced(w: Watcher): void {
    w.group = 'synced';
    this.synced.add(w);
  }

  private joinUnsynced(w: Watcher): void {
    w.group = 'unsynced';
    this.unsynced.add(w);
    this.maybeReady(w);
  }

  private promote(w: Watcher): void {
    this.unsynced.delete(w);
    this.ready.delete(w);
    w.nextRevision = this.hubRevision + 1;
    this.joinSynced(w);
    if (w.progressPending) {
      w.progressPending = false;
      this.enqueueProgress(w);
    }
  }

  private leaveGroups(w: Watcher): void {
    if (w.group === 'synced') this.synced.remove(w);
    else if (w.group === 'unsynced') {
      this.unsynced.delete(w);
      this.ready.delete(w);
    }
    w.group = 'canceled';
    this.progressWatchers.delete(w);
    this.live.delete(w.id);
  }

  private cancelCompacted(w: Watcher): void {
    this.stats.compactionCancels++;
    const compactRevision = this.source.compactRevision;
    this.cancelWith(w, `required revision ${w.nextRevision} has been compacted (compactRevision ${compactRevision})`, compactRevision);
  }

  private cancelWith(w: Watcher, reason: string, compactRevision: number | undefined): void {
    this.leaveGroups(w);
    const resp: WatchResponse =
      compactRevision === undefined
        ? { kind: 'canceled', watchId: w.id, revision: this.hubRevision, cancelReason: reason }
        : { kind: 'canceled', watchId: w.id, revision: this.hubRevision, compactRevision, cancelReason: reason };
    w.enqueue(resp);
    w.endIterator();
  }

  private enqueueProgress(w: Watcher): void {
    w.enqueue({ kind: 'progress', watchId: w.id, revision: this.hubRevision });
  }
}

function filteredOut(w: Watcher, ev: WatchEvent): boolean {
  return ev.type === 'put' ? w.noPut : w.noDelete;
}

function stripPrev(ev: WatchEvent): WatchEvent {
  return { type: ev.type, kv: ev.kv };
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null && 'code' in err ? (err as { code: unknown }).code : undefined;
}

/**
 * The op schema's startRevision check (the server checked every watch field already; the hub
 * itself also takes an empty key, meaning the start of the key space).
 */
function checkWatchRequest(req: WatchRequest): void {
  if (req.startRevision === undefined) return;
  try {
    WATCH_FIELDS.startRevision.check(req.startRevision, 'startRevision');
  } catch (err) {
    throw err instanceof KiteError ? new WatchInvalidArgumentError(err.message) : err;
  }
}
