// A Watch as the user sees it: an async iterator of batches that survives link loss and
// leader changes. Resume is delegated to a WatchCursor (exactly-once event delivery across
// registrations) and registration to the WatchHub. States:
//   registering -> active -> (link lost) registering -> ... ; active <-> suspended (consumer
//   too slow: the server-side watch is dropped and re-created from the cursor once the
//   buffer drains, so memory stays bounded and nothing is lost); any -> closed.
// Terminal outcomes: cancel() / client close (iteration ends), or an error thrown from the
// iterator after every buffered batch: Compacted (details.compactRevision: resume below it is
// impossible), InvalidArgument / PermissionDenied / Unauthenticated (a server cancel for a
// permanent reason), Unavailable (the server canceled it SERVER_CANCEL_RESUMES_MAX times in a
// row without the watch making progress), or the registration error. Any other server cancel
// (member shutting down, slow consumer, limits) is resumed from the cursor like a link loss.

import { KiteError, type ResponseHeader, type Revision, type WatchEvent, type WatchPush } from '@kite/protocol';
import { WatchCursor } from './watch-cursor.js';

export interface WatchBatch {
  readonly header: ResponseHeader;
  /** Whole revisions, in order; empty for a progress batch. */
  readonly events: readonly WatchEvent[];
  /** A bookmark: every matching event with revision <= `revision` has been delivered. */
  readonly progress: boolean;
  /** The last event's revision, or the bookmark's. */
  readonly revision: Revision;
}

/** Consecutive server cancels resumed without any new event or bookmark in between. */
export const SERVER_CANCEL_RESUMES_MAX = 5;

/** Server cancel reasons that a resume cannot fix (matched as words in `cancelReason`). */
const PERMANENT_CANCEL_REASONS: ReadonlyArray<{ readonly pattern: RegExp; readonly code: 'InvalidArgument' | 'PermissionDenied' | 'Unauthenticated' }> = [
  { pattern: /\bInvalidArgument\b|\binvalid argument\b/i, code: 'InvalidArgument' },
  { pattern: /\bPermissionDenied\b|\bpermission denied\b/i, code: 'PermissionDenied' },
  { pattern: /\bUnauthenticated\b/i, code: 'Unauthenticated' },
];

export interface WatchSpec {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly startRevision: Revision;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  readonly progressNotify: boolean;
  /** Let the server split a large revision over several pushes (joined here before delivery). */
  readonly fragment?: boolean;
  /** Buffered events beyond which the watch is suspended until the consumer catches up. */
  readonly bufferEventsMax: number;
  /** Overrides SERVER_CANCEL_RESUMES_MAX (tests). */
  readonly serverCancelResumesMax?: number;
  /** The watch-resume-from-now client mutant (client-mutants.ts) only: a lost link resumes from now. */
  readonly resumeFromNow?: boolean;
}

/** What a Watch needs from the hub (kept narrow so tests can drive a Watch directly). */
export interface WatchDriver {
  /**
   * (Re)register from `startRevision` (0 = from now); the hub retries and reports back.
   * `serverCancels` > 0: a resume after that many consecutive server cancels, so the hub
   * backs off (with jitter) before the first attempt.
   */
  register(watch: Watch, startRevision: Revision, serverCancels?: number): void;
  /** Drop the current server-side registration, if any (best-effort watchCancel). */
  unregister(watch: Watch): void;
  /** Ask for a bookmark on the current registration; resolves when the server accepted it. */
  requestProgress(watch: Watch): Promise<void>;
}

export type WatchState = 'registering' | 'active' | 'suspended' | 'closed';

interface Waiter {
  resolve(r: IteratorResult<WatchBatch>): void;
  reject(e: unknown): void;
}

export class Watch implements AsyncIterableIterator<WatchBatch> {
  readonly spec: WatchSpec;
  /** Resolves when the first registration is accepted (events after it will be seen). */
  readonly ready: Promise<void>;
  private readonly cursor: WatchCursor;
  private stateValue: WatchState = 'registering';
  private readonly buffer: WatchBatch[] = [];
  private bufferedEvents = 0;
  private waiter: Waiter | null = null;
  private failure: KiteError | null = null;
  private failureDelivered = false;
  /**
   * Events of a revision that arrived in pushes marked `fragment`, held until its last part:
   * the cursor moves past a revision only when all of it is here, so a resume never starts
   * inside one. At most one revision (what one unfragmented push would have carried).
   */
  private fragments: WatchEvent[] = [];
  /** Server cancels resumed since the cursor last moved (bounded by serverCancelResumesMax). */
  private serverCancels = 0;
  /** The watch-resume-from-now client mutant: re-registering from now after a lost link. */
  private mutantFromNow = false;
  private resolveReady!: () => void;
  private rejectReady!: (e: KiteError) => void;

  constructor(
    spec: WatchSpec,
    private readonly driver: WatchDriver,
  ) {
    this.spec = spec;
    this.cursor = new WatchCursor(spec.startRevision);
    this.ready = new Promise<void>((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined);
  }

  /** Starts the first registration (separate from the constructor so the hub can track us first). */
  start(): void {
    this.register();
  }

  get state(): WatchState {
    return this.stateValue;
  }

  /** Every matching event up to this revision has been delivered (0: not anchored yet). */
  get revision(): Revision {
    return this.cursor.deliveredRevision;
  }

  /** The revision a resume would start at. */
  get nextRevision(): Revision {
    return this.mutantFromNow ? 0 : this.cursor.nextRevision;
  }

  /** Ends the watch: the iterator finishes (buffered batches are dropped). */
  cancel(): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed'; // before unregister: the hub forgets closed watches
    this.driver.unregister(this);
    this.buffer.length = 0;
    this.bufferedEvents = 0;
    this.rejectReady(new KiteError('Canceled', 'watch canceled'));
    this.settleWaiter();
  }

  /** Asks for a bookmark; a no-op while re-registering (the resume re-anchors anyway). */
  async requestProgress(): Promise<void> {
    if (this.stateValue !== 'active') return;
    await this.driver.requestProgress(this);
  }

  // ---- hub callbacks

  /**
   * A registration was accepted but its link died before it became active: keep the anchor
   * (a from-now watch owns the events after this header) so the retry resumes right after it.
   */
  onAnchored(header: ResponseHeader): void {
    if (this.stateValue === 'registering') this.cursor.anchor(header.revision);
  }

  /** The server accepted a registration; `header` is its reply header. */
  onRegistered(header: ResponseHeader): void {
    if (this.stateValue !== 'registering') return;
    this.cursor.anchor(header.revision);
    this.mutantFromNow = false;
    this.stateValue = 'active';
    this.resolveReady();
  }

  /** The registration is gone (link lost): register again from the cursor. */
  onRegistrationLost(): void {
    // While registering, the hub's own retry loop handles a lost link.
    if (this.stateValue !== 'active') return;
    this.stateValue = 'registering';
    if (this.spec.resumeFromNow === true) this.mutantFromNow = true;
    this.register();
  }

  onPush(push: WatchPush): void {
    if (this.stateValue === 'closed' || this.stateValue === 'suspended') return;
    if (push.fragment === true) {
      for (const ev of push.events) this.fragments.push(ev);
      return;
    }
    let events = push.events;
    if (this.fragments.length > 0) {
      for (const ev of events) this.fragments.push(ev);
      events = this.fragments;
      this.fragments = [];
    }
    const fresh = this.cursor.accept(events);
    if (fresh.length > 0) {
      this.serverCancels = 0;
      const last = fresh[fresh.length - 1] as WatchEvent;
      this.enqueue({ header: push.header, events: fresh, progress: false, revision: last.kv.modRevision });
    }
    if (push.progress === true && push.events.length === 0 && this.cursor.progress(push.header.revision)) {
      this.serverCancels = 0;
      this.enqueue({ header: push.header, events: [], progress: true, revision: push.header.revision });
    }
    if (push.canceled === true) this.onServerCancel(push);
  }

  /** The server dropped the registration (the hub already forgot it): surface or resume. */
  private onServerCancel(push: WatchPush): void {
    if (push.compactRevision !== undefined && push.compactRevision > 0) {
      this.fail(compactedError(push.compactRevision, this.cursor.nextRevision));
      return;
    }
    const reason = push.cancelReason ?? 'no reason given';
    const permanent = PERMANENT_CANCEL_REASONS.find((p) => p.pattern.test(reason));
    if (permanent !== undefined) {
      this.fail(new KiteError(permanent.code, `watch canceled by the server: ${reason}`, { cancelReason: reason }));
      return;
    }
    const max = this.spec.serverCancelResumesMax ?? SERVER_CANCEL_RESUMES_MAX;
    if (this.serverCancels >= max) {
      this.fail(new KiteError('Unavailable', `watch canceled by the server ${this.serverCancels + 1} times in a row without progress: ${reason}`, {
        cancelReason: reason,
        limit: max,
      }));
      return;
    }
    this.serverCancels++;
    // A suspended watch is not registered (the resume happens when the buffer drains).
    if (this.stateValue === 'suspended') return;
    this.stateValue = 'registering';
    this.register(this.serverCancels);
  }

  /** A terminal error (after buffered batches are consumed, next() throws it). */
  fail(err: KiteError): void {
    if (this.stateValue === 'closed') return;
    this.stateValue = 'closed';
    this.driver.unregister(this);
    this.failure = err;
    this.rejectReady(err);
    this.settleWaiter();
  }

  // ---- async iterator

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchBatch> {
    return this;
  }

  next(): Promise<IteratorResult<WatchBatch>> {
    if (this.waiter !== null) {
      return Promise.reject(new KiteError('InvalidArgument', 'a watch has one consumer: next() called while another next() waits'));
    }
    const batch = this.take();
    if (batch !== undefined) return Promise.resolve({ done: false, value: batch });
    if (this.stateValue === 'closed') return this.finished();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<WatchBatch>> {
    this.cancel();
    return Promise.resolve({ done: true, value: undefined });
  }

  /**
   * (Re)registers from the cursor. Parts of a fragmented revision from the registration that
   * ended are dropped here, before any push of the next one can arrive: it sends the revision again.
   */
  private register(serverCancels?: number): void {
    this.fragments = [];
    this.driver.register(this, this.nextRevision, serverCancels);
  }

  private take(): WatchBatch | undefined {
    const batch = this.buffer.shift();
    if (batch === undefined) return undefined;
    this.bufferedEvents -= batch.events.length;
    // Resume a suspended watch once the consumer has drained half the buffer.
    if (this.stateValue === 'suspended' && this.bufferedEvents <= this.spec.bufferEventsMax / 2) {
      this.stateValue = 'registering';
      this.register();
    }
    return batch;
  }

  private finished(): Promise<IteratorResult<WatchBatch>> {
    if (this.failure !== null && !this.failureDelivered) {
      this.failureDelivered = true;
      return Promise.reject(this.failure);
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  private enqueue(batch: WatchBatch): void {
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve({ done: false, value: batch });
      return;
    }
    this.buffer.push(batch);
    this.bufferedEvents += batch.events.length;
    const live = this.stateValue === 'active' || this.stateValue === 'registering';
    if (this.bufferedEvents > this.spec.bufferEventsMax && live) {
      this.stateValue = 'suspended';
      this.driver.unregister(this);
    }
  }

  private settleWaiter(): void {
    if (this.waiter === null) return;
    const w = this.waiter;
    this.waiter = null;
    this.finished().then(w.resolve, w.reject);
  }
}

export function compactedError(compactRevision: Revision, wantedRevision: Revision): KiteError {
  return new KiteError(
    'Compacted',
    `watch cannot resume at revision ${wantedRevision}: history is compacted up to ${compactRevision}`,
    { compactRevision },
  );
}
