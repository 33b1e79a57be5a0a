// WAL replay across a released segment. A segment begins with a header (identity, snapshot,
// HardState, compact index) that stands for everything released before it. Found by the host
// simulation's soak (seed 101274): an uncommitted suffix straddled a segment boundary (106-107
// at the end of segment 1, 108 at the start of segment 2), a new leader overwrote it from 106,
// and once a compaction released segment 1, the member refused to start on its undamaged disk
// ("entry 106 overwrites below the first retained entry 108").
import { describe, expect, it } from 'vitest';
import type { Entry } from '@kite/raft';
import type { WalRecord } from '../src/wal/record.js';
import { replay } from '../src/wal/replay.js';
import { WalCorruption, type ScannedRecord } from '../src/wal/scan.js';

const entry = (index: number, term: number): WalRecord => ({ type: 'entry', entry: { term, index, type: 'normal', data: new Uint8Array(0) } as Entry });
const compact = (index: number): WalRecord => ({ type: 'compact', index });

/** Records of segment `seq`, at made-up increasing offsets. */
const segment = (seq: number, records: readonly WalRecord[]): ScannedRecord[] => records.map((record, i) => ({ seq, offset: 64 + i * 32, record }));

const indexesAndTerms = (entries: readonly Entry[]): string[] => entries.map((e) => `${e.index}@${e.term}`);

describe('WAL replay', () => {
  it('takes an overwrite below the retained entries when their start lived in a released segment', () => {
    // Segment 1 (entries 77-107, term 2) is gone: compacted through 116 below.
    const records = [
      ...segment(2, [compact(76), entry(108, 2), entry(106, 3), entry(107, 3), entry(108, 3)]),
      ...segment(3, [compact(76), ...Array.from({ length: 12 }, (_, i) => entry(109 + i, 3)), compact(116)]),
    ];
    const st = replay(records, '/wal');
    expect(st.compactIndex).toBe(116);
    expect(indexesAndTerms(st.entries)).toEqual(Array.from({ length: 4 }, (_, i) => `${117 + i}@3`));
  });

  it('still truncates and overwrites within the retained entries', () => {
    const st = replay(segment(1, [compact(10), entry(11, 1), entry(12, 1), entry(13, 1), entry(12, 2)]), '/wal');
    expect(indexesAndTerms(st.entries)).toEqual(['11@1', '12@2']);
  });

  it('refuses a gap, an entry at or below the compaction, and retained entries that do not follow the compaction', () => {
    expect(() => replay(segment(1, [compact(10), entry(11, 1), entry(13, 1)]), '/wal')).toThrow(/entry 13 leaves a gap after 11/);
    expect(() => replay(segment(1, [compact(10), entry(11, 1), entry(10, 2)]), '/wal')).toThrow(/entry 10 is at or below the compacted index 10/);
    expect(() => replay(segment(1, [compact(10), entry(14, 1), entry(15, 1)]), '/wal')).toThrow(WalCorruption);
    expect(() => replay(segment(1, [compact(10), entry(14, 1), entry(15, 1)]), '/wal')).toThrow(/start at 14, after the compacted index 10/);
  });
});
