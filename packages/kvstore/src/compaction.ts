// Compaction, two-phase like etcd's:
// 1. At apply time (every replica, deterministic): the compact revision moves, the key index
//    forgets history below it, and `scheduledCompactRevision` is written in the apply batch.
// 2. Afterwards, in bounded batches between applies: records the index no longer references
//    are deleted from the backend, then `finishedCompactRevision` is written.
// A crash between the two leaves scheduled > finished; open() rebuilds the index, compacts it
// again and resumes phase 2 (deleting is idempotent). Records at exactly the compact revision
// are kept (tombstones included) so its events stay complete for watchers.

import type { Backend, BackendOp } from './backend/backend.js';
import { keyString } from './bytes.js';
import { CompactedError, FutureRevisionError } from './errors.js';
import type { KeyIndex } from './key-index.js';
import { decodeRecord, encodeMeta, metaKey, revFromKey, revKeyFromMain } from './layout.js';
import type { MvccState } from './mvcc.js';
import { tallyBatch } from './record-tally.js';

/** Records deleted per backend batch in phase 2 (bounds each batch and the lock hold time). */
export const COMPACTION_BATCH_RECORDS = 1000;

/** Phase 1. Returns the backend op recording the schedule (part of the apply batch). */
export function compactIndex(state: MvccState, revision: number): BackendOp {
  if (revision <= state.compactRevision) throw new CompactedError(revision, state.compactRevision);
  if (revision > state.currentRevision) throw new FutureRevisionError(revision, state.currentRevision);
  state.compactRevision = revision;
  compactKeyIndexes(state, revision);
  return { type: 'put', key: metaKey('scheduledCompactRevision'), value: encodeMeta(revision) };
}

export function compactKeyIndexes(state: MvccState, revision: number): void {
  const empty: KeyIndex[] = [];
  for (const ki of state.tree.all()) {
    ki.compact(revision);
    if (ki.isEmpty()) empty.push(ki);
  }
  for (const ki of empty) state.tree.delete(ki.key);
}

/**
 * Phase 2: deletes unreferenced records with main revision < `revision` (and tombstones at
 * or below it that nothing references, except at `revision` itself). `runExclusive` runs a
 * step under the store's apply lock so deletes never interleave with an apply batch;
 * `shouldStop` (checked inside each step) abandons the job without the finished marker, for
 * close and restore. Returns the number of records deleted.
 */
export async function compactBackend(
  state: MvccState,
  backend: Backend,
  revision: number,
  runExclusive: <T>(fn: () => Promise<T>) => Promise<T>,
  shouldStop: () => boolean,
): Promise<number> {
  let deleted = 0;
  let from = revKeyFromMain(1);
  const end = revKeyFromMain(revision);
  for (;;) {
    const step = await runExclusive(async (): Promise<'more' | 'done' | 'stop'> => {
      if (shouldStop()) return 'stop';
      const ops: BackendOp[] = [];
      let last: Uint8Array | undefined;
      for await (const batch of backend.entries({ gte: from, lt: end, batchEntries: COMPACTION_BATCH_RECORDS })) {
        for (const [k, v] of batch) {
          last = k;
          const rev = revFromKey(k);
          const rec = decodeRecord(v);
          const ki = state.tree.get(keyString(rec.key));
          if (ki === undefined || !ki.hasRevision(rev)) ops.push({ type: 'del', key: k });
        }
        break; // one bounded batch per lock hold
      }
      if (last === undefined) {
        await backend.write([{ type: 'put', key: metaKey('finishedCompactRevision'), value: encodeMeta(revision) }], { sync: false });
        return 'done';
      }
      const deletes = ops.length;
      // The tally moves in the same batch as the deletes (a crash keeps both or neither).
      ops.push(...tallyBatch(state.tally, ops));
      await backend.write(ops, { sync: false });
      deleted += deletes;
      from = nextKey(last);
      return 'more';
    });
    if (step !== 'more') return deleted;
  }
}

/** The smallest key after `k`. */
function nextKey(k: Uint8Array): Uint8Array {
  const out = new Uint8Array(k.byteLength + 1);
  out.set(k);
  return out;
}
