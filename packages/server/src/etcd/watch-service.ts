// etcd's Watch service: one bidi stream carries many watches, each a Kite hub watcher created
// through OpServer.watch (which checks the caller's read permission, now and at every auth
// change). Responses follow etcd's: a `created` response first (watch_id chosen by the client,
// or the next free id from 0 when it sends 0), then events (never splitting a revision, except
// into `fragment` pieces when the client asked for them), progress responses, and one final
// `canceled` response; a compacted start revision ends the watch with compact_revision set and
// no cancel_reason. A refused create answers `created` and `canceled` together with the reason
// (a duplicate client-chosen id: watch_id -1, as etcd). A cancel for an unknown id is ignored,
// as etcd does. A progress request is answered once every watch of the stream is synced, by a
// single response with watch_id -1 whose revision bounds what every watch has delivered.
//
// Flow control: responses are taken from the hub only while the transport wants more (`send`
// returned true), at most PUMP_RESPONSES_MAX per watch per turn; the hub buffers (bounded) and
// moves a lagging watcher to catch-up, so a slow client never grows the member's memory.

import type { WatchCreateArgs, WatchEvent } from '@kite/protocol';
import type { LinkWatchResponse, LinkWatcher } from '../client-handler.js';
import { validateArgs } from '@kite/protocol';
import type { EtcdCallContext } from './etcd-context.js';
import { ETCD_MESSAGES, etcdStatus } from './etcd-errors.js';
import { boolOf, bytesOf, eventOut, int64Of, messageOf, optionalBytesOf } from './etcd-values.js';
import { etcdHeader } from './header.js';
import type { EtcdMessage, EtcdServiceDeps, EtcdStream, ServiceHandlers } from './handlers.js';

/** Hub responses taken per watch per pump turn, so one busy watch cannot hog the loop. */
const PUMP_RESPONSES_MAX = 64;
/** etcd's id for a response that belongs to no single watch (a progress answer for all). */
const NO_WATCH_ID = -1;

interface StreamWatch {
  readonly id: number;
  readonly watcher: LinkWatcher;
  readonly fragment: boolean;
}

class WatchStream implements EtcdStream {
  private readonly watches = new Map<number, StreamWatch>();
  private readonly ready = new Set<number>();
  private nextAutoId = 0;
  private closed = false;
  /** The transport's buffer is full: take nothing from the hub until it drains. */
  private paused = false;
  private pumpScheduled = false;
  /** Watches a progress request still waits on, and the lowest revision they reported. */
  private progressPending = new Set<number>();
  private progressRevision = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly deps: EtcdServiceDeps,
    private readonly ctx: EtcdCallContext,
    private readonly send: (resp: EtcdMessage) => boolean,
  ) {}

  write(req: EtcdMessage): void {
    if (this.closed) return;
    switch (req['request_union']) {
      case 'create_request': return this.create(messageOf(req, 'create_request'));
      case 'cancel_request': return this.cancel(int64Of(messageOf(req, 'cancel_request'), 'watch_id'));
      case 'progress_request': return this.requestProgress();
      default: return;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watches.values()]) this.drop(w);
  }

  drained(): void {
    this.paused = false;
    this.schedulePump();
  }

  /** etcd keeps a half-closed watch stream sending until the client cancels the call. */
  halfClosed(): void {}

  private header(revision?: number): EtcdMessage {
    return { ...etcdHeader(this.deps.ops.header(revision)) };
  }

  private refuse(watchId: number, reason: string): void {
    this.send({ header: this.header(), watch_id: String(watchId), created: true, canceled: true, cancel_reason: reason });
  }

  private create(c: EtcdMessage): void {
    let id = int64Of(c, 'watch_id');
    if (id < 0) return this.refuse(id, 'etcdserver: watch_id must not be negative');
    if (id !== 0 && this.watches.has(id)) return this.refuse(NO_WATCH_ID, ETCD_MESSAGES.watchIdDuplicate);
    if (this.watches.size >= this.deps.config.maxWatchesPerConnection) {
      return this.refuse(id, `etcdserver: too many watches on this stream (limit ${this.deps.config.maxWatchesPerConnection})`);
    }
    if (id === 0) {
      while (this.watches.has(this.nextAutoId)) this.nextAutoId++;
      id = this.nextAutoId++;
    }
    let watcher: LinkWatcher;
    try {
      const args = watchArgs(id, c);
      validateArgs('watchCreate', args);
      watcher = this.deps.ops.watch(args, this.ctx.session);
    } catch (err) {
      return this.refuse(id, etcdStatus(err).message);
    }
    const w: StreamWatch = { id, watcher, fragment: boolOf(c, 'fragment') };
    this.watches.set(id, w);
    this.deps.ops.onWatchCountChange();
    // The created response goes first: events for this watch only follow it.
    this.send({ header: this.header(), watch_id: String(id), created: true });
    watcher.onReadable(() => this.markReady(id));
    this.markReady(id);
  }

  private cancel(id: number): void {
    const w = this.watches.get(id);
    if (w === undefined) return;
    this.drop(w);
    this.send({ header: this.header(), watch_id: String(id), canceled: true });
    this.progressAnswered(id, Number.MAX_SAFE_INTEGER);
  }

  private requestProgress(): void {
    if (this.watches.size === 0) {
      this.send({ header: this.header(), watch_id: String(NO_WATCH_ID) });
      return;
    }
    for (const w of this.watches.values()) {
      this.progressPending.add(w.id);
      w.watcher.requestProgress();
    }
  }

  /** A watch reported progress (or ended): once none is pending, one answer for all. */
  private progressAnswered(id: number, revision: number): void {
    if (!this.progressPending.delete(id)) return;
    this.progressRevision = Math.min(this.progressRevision, revision);
    if (this.progressPending.size > 0) return;
    const rev = this.progressRevision === Number.MAX_SAFE_INTEGER ? undefined : this.progressRevision;
    this.progressRevision = Number.MAX_SAFE_INTEGER;
    this.send({ header: this.header(rev), watch_id: String(NO_WATCH_ID) });
  }

  private drop(w: StreamWatch): void {
    if (!this.watches.delete(w.id)) return;
    this.ready.delete(w.id);
    w.watcher.onReadable(undefined);
    w.watcher.cancel();
    this.deps.ops.onWatchCountChange();
  }

  private markReady(id: number): void {
    this.ready.add(id);
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed || this.paused) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    for (const id of [...this.ready]) {
      if (this.closed || this.paused) return;
      const w = this.watches.get(id);
      if (w === undefined) {
        this.ready.delete(id);
        continue;
      }
      const batch = w.watcher.poll(PUMP_RESPONSES_MAX);
      if (batch.length < PUMP_RESPONSES_MAX) this.ready.delete(id);
      for (const resp of batch) {
        if (!this.deliver(w, resp)) this.paused = true;
        if (resp.kind === 'canceled') {
          this.watches.delete(id);
          this.ready.delete(id);
          this.deps.ops.onWatchCountChange();
          this.progressAnswered(id, Number.MAX_SAFE_INTEGER);
          break;
        }
      }
    }
    if (this.ready.size > 0) this.schedulePump();
  }

  /** Sends one hub response as etcd's; false when the transport wants no more for now. */
  private deliver(w: StreamWatch, resp: LinkWatchResponse): boolean {
    const watch_id = String(w.id);
    const header = this.header(resp.revision);
    switch (resp.kind) {
      case 'events': {
        let more = true;
        for (const part of this.fragments(w, resp.events as readonly WatchEvent[])) more = this.send({ header, watch_id, ...part });
        return more;
      }
      case 'progress':
        if (this.progressPending.has(w.id)) {
          this.progressAnswered(w.id, resp.revision);
          return true;
        }
        return this.send({ header, watch_id, events: [] });
      case 'canceled':
        // etcd ends a watch whose history was compacted with compact_revision and no reason.
        return resp.compactRevision !== undefined
          ? this.send({ header, watch_id, canceled: true, compact_revision: String(resp.compactRevision) })
          : this.send({ header, watch_id, canceled: true, cancel_reason: cancelReason(resp.cancelReason) });
    }
  }

  /** One response's events, split into pieces of at most the request limit when the watch asked for fragments. */
  private fragments(w: StreamWatch, events: readonly WatchEvent[]): EtcdMessage[] {
    const out = events.map(eventOut);
    const limitBytes = this.deps.config.maxRequestBytes;
    if (!w.fragment || eventsBytes(events) <= limitBytes) return [{ events: out }];
    const parts: EtcdMessage[][] = [[]];
    let partBytes = 0;
    for (const [i, e] of events.entries()) {
      const bytes = eventBytes(e);
      const current = parts[parts.length - 1] as EtcdMessage[];
      if (current.length > 0 && partBytes + bytes > limitBytes) {
        parts.push([]);
        partBytes = 0;
      }
      (parts[parts.length - 1] as EtcdMessage[]).push(out[i] as EtcdMessage);
      partBytes += bytes;
    }
    return parts.map((p, i) => (i < parts.length - 1 ? { events: p, fragment: true } : { events: p }));
  }
}

/** An estimate of one event's encoded size (keys and values dominate; fields add a little). */
function eventBytes(e: WatchEvent): number {
  const kvBytes = (kv: WatchEvent['kv']): number => kv.key.length + kv.value.length + 48;
  return kvBytes(e.kv) + (e.prevKv === undefined ? 0 : kvBytes(e.prevKv)) + 8;
}

function eventsBytes(events: readonly WatchEvent[]): number {
  return events.reduce((sum, e) => sum + eventBytes(e), 0);
}

/** A hub cancel reason in etcd's words where etcd has them. */
function cancelReason(reason: string): string {
  return /permission/i.test(reason) ? ETCD_MESSAGES.permissionDenied : reason;
}

function watchArgs(watchId: number, c: EtcdMessage): WatchCreateArgs {
  const filters = Array.isArray(c['filters']) ? (c['filters'] as unknown[]).map(String) : [];
  const rangeEnd = optionalBytesOf(c, 'range_end');
  const startRevision = int64Of(c, 'start_revision');
  return {
    watchId,
    key: bytesOf(c, 'key'),
    ...(rangeEnd !== undefined ? { rangeEnd } : {}),
    ...(startRevision > 0 ? { startRevision } : {}),
    ...(boolOf(c, 'prev_kv') ? { prevKv: true } : {}),
    ...(filters.includes('NOPUT') ? { noPut: true } : {}),
    ...(filters.includes('NODELETE') ? { noDelete: true } : {}),
    ...(boolOf(c, 'progress_notify') ? { progressNotify: true } : {}),
  };
}

export function watchService(deps: EtcdServiceDeps): ServiceHandlers {
  return {
    unary: {},
    streams: {
      Watch: (ctx, send) => new WatchStream(deps, ctx, send),
    },
  };
}
