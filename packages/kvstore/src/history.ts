// History reads for watch catch-up: the changes of a key range between two revisions, read
// from a consistent backend snapshot in revision order, grouped by revision, bounded per call.

import type { Backend } from './backend/backend.js';
import { intervalContains, keyInterval, keyString } from './bytes.js';
import { CompactedError } from './errors.js';
import type { KeyAt, KeyIndex } from './key-index.js';
import { decodeRecord, revFromKey, revKeyFromMain } from './layout.js';
import type { MvccState } from './mvcc.js';
import type { KeyValue } from './types.js';
import type { HistoryPage, RevisionEvents, WatchEvent } from './watch-source.js';
import { deletedKv } from './watch-source.js';

/** Records scanned per call at most (the call stops at the next revision boundary after it). */
export const HISTORY_SCAN_RECORDS_MAX = 10_000;
/**
 * Record bytes read per call at most, checked at revision boundaries like the record bound:
 * 10,000 records of large values would otherwise be gigabytes in one catch-up pass.
 */
export const HISTORY_PAGE_BYTES_MAX = 4 * 1024 * 1024;

interface Pending {
  readonly event: { type: 'put' | 'delete'; kv: KeyValue; prevKv?: KeyValue };
  readonly ki: KeyIndex | undefined;
  readonly revision: number;
}

export async function readHistory(
  state: MvccState,
  backend: Backend,
  publishedRevision: number,
  key: Uint8Array,
  rangeEnd: Uint8Array | undefined,
  fromRevision: number,
  toRevision: number,
  limitRevisions: number,
): Promise<HistoryPage> {
  const from = Math.max(1, fromRevision);
  if (from < state.compactRevision) throw new CompactedError(from, state.compactRevision);
  const to = Math.min(toRevision, publishedRevision);
  if (from > to || limitRevisions <= 0) return { changes: [], nextRevision: from };
  const iv = keyInterval(key, rangeEnd);
  const snap = backend.snapshot();
  const changes: { revision: number; events: Pending[] }[] = [];
  let nextRevision = to + 1;
  try {
    let scanned = 0;
    let scannedBytes = 0;
    let current: { revision: number; events: Pending[] } | undefined;
    scan: for await (const batch of snap.entries({ gte: revKeyFromMain(from), lt: revKeyFromMain(to + 1) })) {
      for (const [k, v] of batch) {
        const rev = revFromKey(k);
        if (current === undefined || rev.main !== current.revision) {
          if (current !== undefined && current.events.length > 0) changes.push(current);
          if (changes.length >= limitRevisions || scanned >= HISTORY_SCAN_RECORDS_MAX || scannedBytes >= HISTORY_PAGE_BYTES_MAX) {
            nextRevision = rev.main;
            current = undefined;
            break scan;
          }
          current = { revision: rev.main, events: [] };
        }
        scanned++;
        scannedBytes += k.byteLength + v.byteLength;
        const rec = decodeRecord(v);
        const ks = keyString(rec.key);
        if (!intervalContains(iv, ks)) continue;
        const kv: KeyValue = rec.tombstone
          ? deletedKv(rec.key, rev.main)
          : { key: rec.key, value: rec.value, createRevision: rec.createRevision, modRevision: rev.main, version: rec.version, lease: rec.lease };
        current.events.push({ event: { type: rec.tombstone ? 'delete' : 'put', kv }, ki: state.tree.get(ks), revision: rev.main });
      }
    }
    if (current !== undefined && current.events.length > 0) changes.push(current);

    // prevKv = the key at revision - 1, when that is not compacted.
    const need: { p: Pending; ki: KeyIndex; at: KeyAt }[] = [];
    for (const c of changes) {
      for (const p of c.events) {
        if (p.ki === undefined || p.revision - 1 < Math.max(1, state.compactRevision)) continue;
        const at = p.ki.get(p.revision - 1);
        if (at !== undefined) need.push({ p, ki: p.ki, at });
      }
    }
    const prevs = await state.materialize(need, snap);
    need.forEach(({ p }, i) => {
      const prev = prevs[i];
      if (prev !== undefined) p.event.prevKv = prev;
    });
  } finally {
    await snap.close();
  }
  // A compaction that overtook this read may have removed prevKvs or events: refuse the page.
  if (from < state.compactRevision) throw new CompactedError(from, state.compactRevision);
  const out: RevisionEvents[] = changes.map((c) => ({ revision: c.revision, events: c.events.map((p) => p.event as WatchEvent) }));
  return { changes: out, nextRevision };
}
