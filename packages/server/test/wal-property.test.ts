// The WAL against a model: random sequences of appends (overwriting suffixes), unsynced
// HardState writes, local snapshots with compaction, installed snapshots, restarts and power
// cuts (everything after the synced-offset hint lost), over tiny segments so rollovers and
// segment releases happen all the time. After every restart the store reloads exactly the
// model's durable state: nothing synced is lost, nothing unsynced is invented.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Entry, HardState, Snapshot } from '@kite/raft';
import { RaftLogStore } from '../src/raft-log-store.js';
import { readSyncedHint } from '../src/wal/scan.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-walprop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let seq = 0;
const SEGMENT_BYTES = 2048;
const identity = { clusterId: 'c', memberId: 'm', name: 'n' };

interface Model {
  entries: Entry[];
  snapshot: Snapshot;
  hardState: HardState | null;
}
const clone = (m: Model): Model => ({ entries: [...m.entries], snapshot: m.snapshot, hardState: m.hardState });
const lastIndex = (m: Model): number => m.entries[m.entries.length - 1]?.index ?? m.snapshot.metadata.index;
const firstIndex = (m: Model): number => m.entries[0]?.index ?? m.snapshot.metadata.index + 1;
const snap = (index: number, term: number): Snapshot => ({ metadata: { index, term, confState: { voters: ['m'], learners: [] } }, data: new Uint8Array([index & 0xff]) });

type Op =
  | { kind: 'append'; back: number; len: number; bytes: number; sync: boolean }
  | { kind: 'commit' }
  | { kind: 'compact'; at: number; keep: number }
  | { kind: 'install'; ahead: number }
  | { kind: 'restart' }
  | { kind: 'powerCut'; fraction: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), back: fc.nat(3), len: fc.integer({ min: 1, max: 5 }), bytes: fc.nat(300), sync: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), keep: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('install' as const), ahead: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('powerCut' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

/**
 * Loses the page cache: every byte after the synced offset (in that segment and later ones),
 * except a prefix of the first unsynced record (a write torn at any byte of it).
 */
function cutUnsynced(walDir: string, fraction: number): void {
  const hint = readSyncedHint(walDir);
  if (hint === null) return;
  for (const name of readdirSync(walDir).filter((f) => f.endsWith('.wal')).sort()) {
    if (name < hint.segment) continue;
    const file = path.join(walDir, name);
    const buf = readFileSync(file);
    const from = name === hint.segment ? hint.offset : 16;
    const recordBytes = from + 8 <= buf.length ? 16 + buf.readUInt32LE(from + 4) : 0;
    // Keep less than the record's last non-zero byte, so the record really is torn.
    let lastNonZero = from;
    for (let i = from; i < Math.min(buf.length, from + recordBytes); i++) if (buf[i] !== 0) lastNonZero = i;
    buf.fill(0, Math.min(from + Math.floor(recordBytes * fraction), lastNonZero));
    writeFileSync(file, buf);
  }
}

function expectLoaded(loaded: Awaited<ReturnType<RaftLogStore['load']>>, m: Model): void {
  const snapIndex = m.snapshot.metadata.index;
  expect(loaded.snapshot).toEqual(m.snapshot);
  expect(loaded.hardState).toEqual(m.hardState);
  expect(loaded.entries).toEqual(m.entries.filter((e) => e.index > snapIndex));
  expect(loaded.tail).toEqual(m.entries.filter((e) => e.index <= snapIndex));
}

describe('WAL property', () => {
  it('reloads exactly the durable model state after any sequence of appends, compactions, installs, restarts and power cuts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const dir = path.join(root, `p-${seq++}`);
        const open = (): Promise<RaftLogStore> => RaftLogStore.open(dir, { segmentBytes: SEGMENT_BYTES });
        let store = await open();
        await store.load();
        let current: Model = { entries: [], snapshot: snap(0, 0), hardState: { term: 1, vote: null, commit: 0 } };
        await store.initialize(identity, current.snapshot, current.hardState);
        let durable = clone(current);
        let term = 1;
        let lastHint = JSON.stringify(readSyncedHint(path.join(dir, 'wal')));
        try {
          for (const op of ops) {
            if (op.kind === 'append') {
              const start = Math.max(firstIndex(current), lastIndex(current) + 1 - op.back);
              const commit = current.hardState?.commit ?? 0;
              if (start <= commit) continue; // committed entries are never overwritten
              term++;
              const batch = Array.from({ length: op.len }, (_, k): Entry => ({ index: start + k, term, type: k % 3 === 2 ? 'confChange' : 'normal', data: new Uint8Array(op.bytes).fill(k) }));
              const hardState = { term, vote: 'm', commit };
              await store.persist({ entries: batch, hardState, sync: op.sync });
              current.entries = [...current.entries.filter((e) => e.index < start), ...batch];
              current.hardState = hardState;
              if (op.sync) durable = clone(current);
            } else if (op.kind === 'commit') {
              const hardState = { term, vote: 'm', commit: lastIndex(current) };
              await store.persist({ entries: [], hardState, sync: false });
              current.hardState = hardState;
            } else if (op.kind === 'compact') {
              const lo = current.snapshot.metadata.index;
              const hi = Math.min(lastIndex(current), durable === current ? lastIndex(current) : lastIndex(durable));
              if (hi <= lo) continue;
              const at = lo + 1 + Math.floor(op.at * (hi - lo - 1));
              const s = snap(at, current.entries.find((e) => e.index === at)?.term ?? term);
              const compactTo = Math.max(0, at - op.keep);
              await store.saveSnapshotAndCompact(s, compactTo);
              // Synced: everything written before is durable too.
              current.snapshot = s;
              current.entries = current.entries.filter((e) => e.index > compactTo);
              durable = clone(current);
            } else if (op.kind === 'install') {
              term++;
              const s = snap(lastIndex(current) + op.ahead, term);
              const hardState = { term, vote: null, commit: s.metadata.index };
              await store.persist({ snapshot: s, entries: [], hardState });
              current = { entries: [], snapshot: s, hardState };
              durable = clone(current);
            } else {
              await store.close();
              if (op.kind === 'powerCut') {
                cutUnsynced(path.join(dir, 'wal'), op.fraction);
                current = clone(durable);
              } else {
                durable = clone(current); // a clean stop leaves everything in the page cache
              }
              store = await open();
              expectLoaded(await store.load(), current);
              durable = clone(current); // the load made what it read durable
            }
            // A rollover fdatasyncs on its own (the old segment, the new one's header): the
            // hint moving means everything written so far is durable.
            const hint = JSON.stringify(readSyncedHint(path.join(dir, 'wal')));
            if (hint !== lastHint) durable = clone(current);
            lastHint = hint;
          }
          await store.close();
          store = await open();
          expectLoaded(await store.load(), current);
        } finally {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 100 },
    );
  });
});
