// The resume state of one watch, as a pure state machine (no I/O), so the guarantees can be
// tested exhaustively. It tracks `nextRevision`: every matching event below it has been
// delivered, and the next registration must start exactly there. Invariants:
// - accepted event revisions never decrease, and no event revision is accepted twice
//   (a replayed overlap after a resume is dropped);
// - a bookmark (progress) at R moves nextRevision to R+1 and is reported only if it does not
//   go backwards (a lagging member's stale progress is dropped);
// - nextRevision 0 means "from now, not yet anchored": the first registration's reply header
//   anchors it (events after that header revision are the watch's).

import type { Revision, WatchEvent } from '@kite/protocol';

export class WatchCursor {
  private next: Revision;

  constructor(startRevision: Revision) {
    this.next = startRevision > 0 ? startRevision : 0;
  }

  /** The revision the watch must (re)start at; 0 = not anchored yet (start from now). */
  get nextRevision(): Revision {
    return this.next;
  }

  /** The highest revision known to be fully delivered, or 0 when not anchored. */
  get deliveredRevision(): Revision {
    return this.next > 0 ? this.next - 1 : 0;
  }

  /** A registration was accepted; `headerRevision` is the store revision at that moment. */
  anchor(headerRevision: Revision): void {
    if (this.next === 0) this.next = headerRevision + 1;
  }

  /**
   * Filters one push's events (all of one or more whole revisions, in order) to the ones not
   * yet delivered, and advances the cursor past them.
   */
  accept(events: readonly WatchEvent[]): WatchEvent[] {
    const fresh: WatchEvent[] = [];
    let high = this.next - 1;
    for (const ev of events) {
      const rev = ev.kv.modRevision;
      if (rev < this.next) continue; // already delivered before a resume
      if (rev < high) continue; // out of order within a push: a server bug, never re-deliver
      fresh.push(ev);
      high = rev;
    }
    if (fresh.length > 0) this.next = high + 1;
    return fresh;
  }

  /** A progress bookmark at `revision`; returns whether it is news (not behind the cursor). */
  progress(revision: Revision): boolean {
    if (this.next !== 0 && revision + 1 < this.next) return false;
    this.next = revision + 1;
    return true;
  }
}
