// The global event history indexed for the watch checker: lookup by (revision, key), each
// key's value just before a revision (for prevKv), and the events a filter selects in a
// revision range. Assumes the history is complete from revision 1 (no compaction before the
// final read), so "no earlier event" means the key did not exist.

import type { EventType, GlobalEvent, WatchFilter } from './types.js';
import { eventId, matchesFilter } from './types.js';

export class GlobalIndex {
  readonly events: readonly GlobalEvent[];
  private readonly byId = new Map<string, GlobalEvent>();
  private readonly byKey = new Map<string, GlobalEvent[]>();

  constructor(events: readonly GlobalEvent[]) {
    this.events = [...events].sort((a, b) => a.revision - b.revision);
    for (const e of this.events) {
      this.byId.set(eventId(e.revision, e.key), e);
      const list = this.byKey.get(e.key);
      if (list === undefined) this.byKey.set(e.key, [e]);
      else list.push(e);
    }
  }

  get(revision: number, key: string): GlobalEvent | undefined {
    return this.byId.get(eventId(revision, key));
  }

  /** The key's value at revision - 1, or null if it did not exist then. */
  valueBefore(key: string, revision: number): string | null {
    const list = this.byKey.get(key) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as GlobalEvent).revision < revision) lo = mid + 1;
      else hi = mid;
    }
    const before = list[lo - 1];
    return before === undefined || before.type === 'delete' ? null : before.value;
  }

  /** Events the filter selects with fromRevision <= revision <= toRevision, in order. */
  selected(filter: WatchFilter, fromRevision: number, toRevision: number): GlobalEvent[] {
    return this.events.filter((e) => e.revision >= fromRevision && e.revision <= toRevision && matchesFilter(filter, e.key, e.type as EventType));
  }
}
