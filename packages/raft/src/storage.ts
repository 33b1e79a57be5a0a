// The core's read-only view of the stable log, plus MemoryStorage (tests, simulation).
// Synchronous by design: hosts keep the log (since the last snapshot) in memory and persist it
// alongside (as etcd does with its WAL).
//
// MemoryStorage invariant: `ents[0]` is a dummy entry at the snapshot's index and term, so
// `term(snapshotIndex)` answers without the snapshot entry itself; real entries follow it
// contiguously.
//
// What a member's storage must hold when its RawNode first starts. A member's configuration
// is its snapshot's ConfState plus the conf changes in its log after it, so every member of a
// cluster must agree on the configuration at the base of the log:
// - Initial member of a new cluster: `new MemoryStorage()` then `bootstrap(storage, voters)`
//   (bootstrap.ts): `addVoter` entries for all initial voters at indexes 1..N (term 1,
//   committed). Hosts with their own durable log persist `bootstrapState(voters)` instead. (An
//   equivalent alternative: the same snapshot at index >= 1 holding the initial ConfState on
//   every initial member, so no member's log reaches back to index 0.)
// - Joining member (added by a conf change; `--initial-cluster-state existing`): EMPTY —
//   `new MemoryStorage()`, no entries, no HardState, no ConfState. Not even its future peers:
//   it learns the configuration from the leader's log (replayed from index 1) or snapshot.
// - Restarting member: exactly what it persisted (snapshot, entries after it, HardState), and
//   RaftConfig.applied = its state machine's applied index.
// `new MemoryStorage({ confState })` (a configuration at index 0 with no log behind it) is for
// tests only, and only when every member, joiners included, is given the same confState: a
// joiner started empty next to such members could apply its own `addVoter` to an empty
// configuration (the core asserts against that; see Raft.applyConfChange).

import { assert } from './assert.js';
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from './errors.js';
import type { ConfState, Entry, HardState, LogIndex, Snapshot, Term } from './types.js';
import { emptyHardState } from './types.js';

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

/** Keeps a prefix of `entries` whose data totals at most `maxBytes`, but always the first. */
export function limitSize(entries: readonly Entry[], maxBytes: number | undefined): readonly Entry[] {
  if (maxBytes === undefined || entries.length <= 1) return entries;
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) {
    bytes += entryBytes(entries[i] as Entry);
    if (i > 0 && bytes > maxBytes) return entries.slice(0, i);
  }
  return entries;
}

/** The size an entry counts for in byte limits (its payload). */
export function entryBytes(e: Entry): number {
  return e.data.byteLength;
}

const emptyData = new Uint8Array(0);

export class MemoryStorage implements Storage {
  private hardState: HardState;
  private snap: Snapshot;
  private ents: Entry[];

  /** Brand-new storage (see the header for what initial and joining members start with). */
  constructor(init?: { hardState?: HardState; confState?: ConfState }) {
    this.hardState = init?.hardState ?? emptyHardState;
    const confState = init?.confState ?? { voters: [], learners: [] };
    this.snap = { metadata: { index: 0, term: 0, confState }, data: emptyData };
    this.ents = [{ index: 0, term: 0, type: 'normal', data: emptyData }];
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private get offset(): LogIndex {
    return (this.ents[0] as Entry).index;
  }

  firstIndex(): LogIndex {
    return this.offset + 1;
  }

  lastIndex(): LogIndex {
    return this.offset + this.ents.length - 1;
  }

  term(index: LogIndex): Term {
    if (index < this.offset) throw new CompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    return (this.ents[index - this.offset] as Entry).term;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes?: number): readonly Entry[] {
    if (lo <= this.offset) throw new CompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    return limitSize(this.ents.slice(lo - this.offset, hi - this.offset), maxBytes);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Appends entries, truncating any existing suffix from the first new index on. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index <= this.lastIndex() + 1, `append at ${first.index} leaves a gap after ${this.lastIndex()}`);
    // Entries at or below the snapshot are already covered by it. In place: a copy of the
    // whole log per append made every write cost O(entries held) (thousands between snapshots).
    const offset = this.offset;
    let from = 0;
    while (from < entries.length && (entries[from] as Entry).index <= offset) from++;
    const head = entries[from];
    if (head === undefined) return;
    this.ents.length = head.index - offset;
    for (let i = from; i < entries.length; i++) this.ents.push(entries[i] as Entry);
  }

  /** Replaces the whole log with the snapshot (a follower installing the leader's snapshot). */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.offset && this.offset > 0) {
      throw new SnapshotOutOfDateError(`snapshot at ${snap.metadata.index} is not newer than ${this.offset}`);
    }
    this.snap = snap;
    this.ents = [{ index: snap.metadata.index, term: snap.metadata.term, type: 'normal', data: emptyData }];
  }

  /**
   * Records a snapshot of the host's state machine at `index` (its applied index, which must
   * be in the log). Does not drop entries: call `compact` for that (keeping a tail helps slow
   * followers catch up without a snapshot).
   */
  createSnapshot(index: LogIndex, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.snap.metadata.index) {
      throw new SnapshotOutOfDateError(`snapshot at ${index} is not newer than ${this.snap.metadata.index}`);
    }
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /** Drops entries at or below `index` (which must not exceed the snapshot's index). */
  compact(index: LogIndex): void {
    if (index <= this.offset) throw new CompactedError(index, this.firstIndex());
    assert(index <= this.snap.metadata.index, `compact(${index}) beyond the snapshot at ${this.snap.metadata.index}`);
    const cut = index - this.offset;
    const dummy = this.ents[cut] as Entry;
    this.ents.splice(0, cut + 1, { index: dummy.index, term: dummy.term, type: 'normal', data: emptyData });
  }
}
