// The core's read-only view of the stable log. Synchronous by design: hosts keep the log
// (since the last snapshot) in memory and persist it alongside (as etcd does with its WAL).

import type { ConfState, Entry, HardState, LogIndex, Snapshot, Term } from './types.js';

export interface Storage {
  initialState(): { readonly hardState: HardState; readonly confState: ConfState };
  /** Entries in [lo, hi), at least one if any exist, cut at `maxBytes` of data. Throws
   *  `CompactedError` if lo <= snapshot index, `UnavailableError` if hi > lastIndex + 1. */
  entries(lo: LogIndex, hi: LogIndex, maxBytes?: number): readonly Entry[];
  /** Term of the entry at `index`; the snapshot's term at its index. Throws like `entries`. */
  term(index: LogIndex): Term;
  /** Index of the first entry available (snapshot index + 1). */
  firstIndex(): LogIndex;
  lastIndex(): LogIndex;
  snapshot(): Snapshot;
}
