// The contract between the MVCC store and the watch hub (src/watch/). The store implements
// WatchSource; the hub only uses this interface, never store internals.
//
// Invariants the store guarantees:
// 1. `onCommitted` listeners are called once per applied batch, AFTER the batch is durably
//    written, with that batch's changes grouped by revision in strictly increasing revision
//    order. Batches are published in apply order; a revision is never split across batches
//    and never published twice. Batches whose requests changed nothing are published with
//    `changes: []` (so listeners still learn the new appliedIndex; revision is unchanged).
// 2. Every event carries `prevKv` when the key existed at revision - 1 (the hub strips it for
//    watchers that did not ask). A delete event's `kv` has the key, modRevision = the delete
//    revision, version 0, empty value, lease 0; createRevision is 0.
// 3. When `currentRevision` (the getter) reads R, every change <= R has already been passed
//    to the listeners or is readable through `eventsBetween`.
// 4. `eventsBetween` reads history from the backend and is consistent with what listeners
//    saw: the same revisions, the same events in the same order.
// 5. After `restore` (a snapshot install) the store's state jumps; `onRestored` listeners are
//    called once the new state is readable. Revisions never go back in a healthy cluster
//    (a follower only installs a snapshot newer than its state), so watchers resume through
//    `eventsBetween` from their next revision (which may now be compacted).
// Listeners must not throw (an exception is re-thrown asynchronously and crashes the process)
// and must not call back into the store synchronously in a way that waits on apply.

import { EMPTY_BYTES } from './bytes.js';
import type { KeyValue } from './types.js';

export type WatchEventType = 'put' | 'delete';

export interface WatchEvent {
  readonly type: WatchEventType;
  readonly kv: KeyValue;
  /** The key's value at revision - 1, when it existed (and, in history reads, is not compacted). */
  readonly prevKv?: KeyValue;
}

/** The `kv` of a delete event (invariant 2); apply and history reads both build it here. */
export function deletedKv(key: Uint8Array, modRevision: number): KeyValue {
  return { key, value: EMPTY_BYTES, createRevision: 0, modRevision, version: 0, lease: 0 };
}

/** All events of one revision, in sub-revision order. */
export interface RevisionEvents {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

export interface CommittedBatch {
  /** Raft index of the last entry of the batch (the store's appliedIndex after it). */
  readonly appliedIndex: number;
  /** The store's current revision after the batch. */
  readonly currentRevision: number;
  /** Changes of this batch, by increasing revision; empty when nothing changed. */
  readonly changes: readonly RevisionEvents[];
}

export interface RestoredState {
  readonly appliedIndex: number;
  readonly currentRevision: number;
  readonly compactRevision: number;
}

/** One page of history (see WatchSource.eventsBetween). */
export interface HistoryPage {
  readonly changes: readonly RevisionEvents[];
  /** The first revision not yet covered: resume from here. */
  readonly nextRevision: number;
}

export type Unsubscribe = () => void;

export interface WatchSource {
  /** The latest revision whose changes have been published. */
  readonly currentRevision: number;
  /** History below this revision is gone; reads at it still work (0 = never compacted). */
  readonly compactRevision: number;
  onCommitted(listener: (batch: CommittedBatch) => void): Unsubscribe;
  onRestored(listener: (state: RestoredState) => void): Unsubscribe;
  /**
   * History of keys in [key, rangeEnd) (just `key` when rangeEnd is undefined or empty; `[0]`
   * = every key >= key) for revisions fromRevision..toRevision inclusive, in revision order.
   * Revisions without a matching event are skipped. One call returns at most `limitRevisions`
   * revisions with matching events and scans a bounded number of records; continue from
   * `nextRevision` while it is <= the toRevision you want (toRevision above currentRevision
   * is clamped to it, so `nextRevision > currentRevision` means "caught up").
   * Throws CompactedError when fromRevision < compactRevision (etcd semantics), also when a
   * compaction overtakes the read. The events of the compacted revision itself are complete
   * (Kite keeps its tombstones), but their prevKv, being at compactRevision - 1, is absent.
   */
  eventsBetween(
    key: Uint8Array,
    rangeEnd: Uint8Array | undefined,
    fromRevision: number,
    toRevision: number,
    limitRevisions: number,
  ): Promise<HistoryPage>;
}
