// Replays WAL records, in order, into the durable Raft state: identity, HardState, snapshot,
// and the retained entries. The rules are the record types' (wal/record.ts): the latest
// identity, HardState and snapshot win; an entry at index i first drops every entry >= i; a
// snapshot that replaces the log drops every entry; a compact record drops entries <= index.
// An entry below the first retained one replaces them all: it overwrites an uncommitted suffix
// whose start lived in a segment released since (a segment begins with a header that resets the
// retained entries, and a new leader may then overwrite entries written before the boundary).
// A sequence no writer produces (a gap, an entry at or below the compacted index, retained
// entries that do not follow the compaction at the end) is corruption, reported with the
// segment and offset of the record.

import type { Entry, HardState, LogIndex, Snapshot } from '@kite/raft';
import type { WalIdentity, WalRecord } from './record.js';
import { WalCorruption, segmentName, type ScannedRecord } from './scan.js';

export interface ReplayedState {
  readonly identity: WalIdentity | null;
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot | null;
  /** Retained entries, contiguous (they may start at or below the snapshot: the catch-up tail). */
  readonly entries: readonly Entry[];
  readonly compactIndex: LogIndex;
  /** Highest entry index each segment holds (0: none), for releasing segments. */
  readonly segmentMaxEntry: ReadonlyMap<number, LogIndex>;
}

export function replay(records: readonly ScannedRecord[], dir: string): ReplayedState {
  let identity: WalIdentity | null = null;
  let hardState: HardState | null = null;
  let snapshot: Snapshot | null = null;
  let entries: Entry[] = [];
  let compactIndex = 0;
  const segmentMaxEntry = new Map<number, LogIndex>();
  for (const { seq, offset, record } of records) {
    if (!segmentMaxEntry.has(seq)) segmentMaxEntry.set(seq, 0);
    const fail = (why: string): never => {
      throw new WalCorruption(`${dir}/${segmentName(seq)}`, offset, why);
    };
    const r: WalRecord = record;
    {
      switch (r.type) {
        case 'identity':
          identity = r.identity;
          break;
        case 'hardState':
          hardState = r.hardState;
          break;
        case 'snapshot':
          snapshot = r.snapshot;
          if (r.replacesLog) {
            entries = [];
            compactIndex = r.snapshot.metadata.index;
          }
          break;
        case 'compact': {
          compactIndex = Math.max(compactIndex, r.index);
          const keep = entries.findIndex((e) => e.index > r.index);
          entries = keep < 0 ? [] : entries.slice(keep);
          break;
        }
        case 'entry': {
          const e = r.entry;
          if (e.index <= compactIndex) fail(`entry ${e.index} is at or below the compacted index ${compactIndex}`);
          const first = entries[0]?.index;
          if (first !== undefined && e.index >= first) {
            const last = first + entries.length - 1;
            if (e.index > last + 1) fail(`entry ${e.index} leaves a gap after ${last}`);
            entries.length = e.index - first;
          } else {
            entries = [];
          }
          entries.push(e);
          segmentMaxEntry.set(seq, Math.max(segmentMaxEntry.get(seq) ?? 0, e.index));
          break;
        }
      }
    }
  }
  const first = entries[0]?.index;
  const lastRecord = records[records.length - 1];
  if (first !== undefined && first > compactIndex + 1 && lastRecord !== undefined) {
    throw new WalCorruption(`${dir}/${segmentName(lastRecord.seq)}`, lastRecord.offset, `the retained entries start at ${first}, after the compacted index ${compactIndex} + 1: entries between are missing`);
  }
  return { identity, hardState, snapshot, entries, compactIndex, segmentMaxEntry };
}
