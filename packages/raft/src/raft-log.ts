// The Raft log as the protocol sees it: Storage (persisted) + Unstable (not yet persisted),
// with the commit and applied indexes.
//
// Invariants: applied <= committed <= lastIndex(); firstIndex() - 1 <= applied.
// Committed entries are handed to the host only once persisted (see nextCommittedEntries), so
// no member ever applies or reports an entry it could lose in a crash.
//
// The two safety decisions of the protocol live here as methods: `isUpToDate` (vote granting,
// §5.4.1) and `maybeCommit` (commit only entries of the current term, §5.4.2 / Figure 8). The
// simulator's mutants replace them through RaftTestHooks (test-hooks.ts), never by patching.

import { assert } from './assert.js';
import { CompactedError, UnavailableError } from './errors.js';
import { Unstable } from './log-unstable.js';
import { limitSize, type Storage } from './storage.js';
import type { Entry, LogIndex, Snapshot, Term } from './types.js';

export class RaftLog {
  readonly unstable: Unstable;
  committed: LogIndex;
  applied: LogIndex;

  constructor(
    readonly storage: Storage,
    /** Upper bound on the bytes of committed entries handed out in one Ready. */
    readonly maxCommittedBytesPerReady: number,
  ) {
    const first = storage.firstIndex();
    this.unstable = new Unstable(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** Term at `index`, or null when it is compacted away or beyond the last entry. */
  term(index: LogIndex): Term | null {
    const dummy = this.firstIndex() - 1;
    if (index < dummy || index > this.lastIndex()) return null;
    const t = this.unstable.maybeTerm(index);
    if (t !== null) return t;
    try {
      return this.storage.term(index);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return null;
      throw err;
    }
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== null, 'the last entry has no term');
    return t;
  }

  matchTerm(index: LogIndex, term: Term): boolean {
    return this.term(index) === term;
  }

  /**
   * §5.4.1: a candidate's log is at least as up to date as ours if its last term is higher,
   * or equal with a last index at least ours. Used when granting (pre)votes.
   */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * §5.4.2 (Figure 8): a leader advances the commit index to `maxIndex` (the index a quorum
   * has persisted) only if that entry is of the leader's current `term`; earlier-term entries
   * are committed indirectly by it. Returns whether the commit index moved.
   */
  maybeCommit(maxIndex: LogIndex, term: Term): boolean {
    if (maxIndex > this.committed && this.term(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  commitTo(index: LogIndex): void {
    if (index <= this.committed) return; // never decreases
    assert(index <= this.lastIndex(), `commit ${index} is beyond the last index ${this.lastIndex()}`);
    this.committed = index;
  }

  appliedTo(index: LogIndex): void {
    if (index === 0) return;
    assert(index <= this.committed && index >= this.applied, `applied ${index} outside [${this.applied}, ${this.committed}]`);
    this.applied = index;
  }

  /**
   * Appends entries sent by a leader after (index, logTerm) if our log matches there; returns
   * the last index of the new entries, or null on a mismatch (the caller rejects).
   */
  maybeAppend(index: LogIndex, logTerm: Term, leaderCommit: LogIndex, entries: readonly Entry[]): LogIndex | null {
    if (!this.matchTerm(index, logTerm)) return null;
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(conflict > this.committed, `entry ${conflict} conflicts with a committed entry (commit ${this.committed})`);
      this.append(entries.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** Appends entries (which may replace an uncommitted suffix). Returns the new last index. */
  append(entries: readonly Entry[]): LogIndex {
    const first = entries[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index > this.committed, `append at ${first.index} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(entries);
    return this.lastIndex();
  }

  /** The first index among `entries` whose term differs from ours (or is new); 0 if none. */
  findConflict(entries: readonly Entry[]): LogIndex {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast back-off: the largest index <= `index` whose term is <= `term` (or the first index we
   * can still see). Entries above it cannot match a log whose entry at `index` has `term`.
   */
  findConflictByTerm(index: LogIndex, term: Term): LogIndex {
    let i = Math.min(index, this.lastIndex());
    for (; i > 0; i--) {
      const t = this.term(i);
      if (t === null || t <= term) break;
    }
    return i;
  }

  /** Entries from `lo` to the end, cut at `maxBytes`; null if `lo` is compacted. */
  entriesFrom(lo: LogIndex, maxBytes: number): readonly Entry[] | null {
    if (lo > this.lastIndex()) return [];
    return this.slice(lo, this.lastIndex() + 1, maxBytes);
  }

  /** Entries in [lo, hi) cut at `maxBytes` (at least one); null if `lo` is compacted. */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number | undefined): readonly Entry[] | null {
    if (lo >= hi) return [];
    if (lo < this.firstIndex()) return null;
    assert(hi <= this.lastIndex() + 1, `slice [${lo}, ${hi}) beyond last index ${this.lastIndex()}`);
    const u = this.unstable;
    let result: readonly Entry[] = [];
    if (lo < u.offset) {
      try {
        result = this.storage.entries(lo, Math.min(hi, u.offset), maxBytes);
      } catch (err) {
        if (err instanceof CompactedError) return null;
        throw err;
      }
      // Storage stopped early (size limit): do not add unstable entries after a gap.
      if (result.length < Math.min(hi, u.offset) - lo) return result;
    }
    if (hi > u.offset) {
      const from = Math.max(lo, u.offset);
      const tail = u.entries.slice(from - u.offset, hi - u.offset);
      result = result.length === 0 ? tail : result.concat(tail);
    }
    return limitSize(result, maxBytes);
  }

  /** The last index the host has persisted (entries past it may still be lost in a crash). */
  persistedLastIndex(): LogIndex {
    if (this.unstable.snapshot !== null) return 0;
    return this.unstable.offset - 1;
  }

  /** Committed, persisted entries not yet handed to the host for applying. */
  hasNextCommittedEntries(): boolean {
    return Math.min(this.committed, this.persistedLastIndex()) > this.applied;
  }

  nextCommittedEntries(): readonly Entry[] {
    const hi = Math.min(this.committed, this.persistedLastIndex()) + 1;
    const lo = this.applied + 1;
    if (lo >= hi) return [];
    const ents = this.slice(lo, hi, this.maxCommittedBytesPerReady);
    assert(ents !== null, `committed entries from ${lo} are compacted but not applied`);
    return ents;
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable.entries.slice();
  }

  stableTo(index: LogIndex, term: Term): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(index: LogIndex): void {
    this.unstable.stableSnapTo(index);
  }

  /** The snapshot to send a follower: the pending unstable one, else Storage's. */
  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replaces the log with a snapshot received from the leader. */
  restore(snap: Snapshot): void {
    this.committed = snap.metadata.index;
    this.unstable.restore(snap);
  }
}
