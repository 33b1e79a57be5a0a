// The tail of the log not yet persisted by the host: entries (and possibly a snapshot) that
// the next Ready hands out for persistence.
//
// Invariants: `entries[i].index === offset + i`; with a snapshot, offset === snapshot.index + 1.
// Entries below `offset` live in Storage.

import { assert } from './assert.js';
import type { Entry, LogIndex, Snapshot, Term } from './types.js';

export class Unstable {
  snapshot: Snapshot | null = null;
  entries: Entry[] = [];

  constructor(public offset: LogIndex) {}

  /** First index, if the unstable part holds a snapshot (otherwise Storage knows it). */
  maybeFirstIndex(): LogIndex | null {
    return this.snapshot === null ? null : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): LogIndex | null {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === null ? null : this.snapshot.metadata.index;
  }

  /** Term at `index` if the unstable part knows it, else null (ask Storage). */
  maybeTerm(index: LogIndex): Term | null {
    if (index < this.offset) {
      const snap = this.snapshot;
      return snap !== null && snap.metadata.index === index ? snap.metadata.term : null;
    }
    const last = this.maybeLastIndex();
    if (last === null || index > last) return null;
    return (this.entries[index - this.offset] as Entry).term;
  }

  /** The host persisted entries up to (index, term): drop them from here. */
  stableTo(index: LogIndex, term: Term): void {
    // A term mismatch means the entry was replaced after the Ready was handed out; the
    // replacement is still unstable and will be handed out again.
    if (this.maybeTerm(index) !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
  }

  stableSnapTo(index: LogIndex): void {
    if (this.snapshot !== null && this.snapshot.metadata.index === index) this.snapshot = null;
  }

  restore(snap: Snapshot): void {
    this.offset = snap.metadata.index + 1;
    this.entries = [];
    this.snapshot = snap;
  }

  /** Appends entries, dropping any conflicting suffix (unstable or stable) from their first index. */
  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      this.entries.push(...ents);
    } else if (after <= this.offset) {
      // Replaces everything unstable and some stable entries: the host's append truncates them.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.entries.slice(0, after - this.offset).concat(ents);
    }
    const last = this.entries[this.entries.length - 1] as Entry;
    assert(last.index === this.offset + this.entries.length - 1, 'unstable entries are not contiguous');
  }
}
