// Rebuilding the in-memory state (key index, current values, leases, counters) from the
// backend, on open and after a snapshot install. Records carry their own createRevision and
// version, so a history partly deleted by an interrupted compaction rebuilds correctly; the
// caller then resumes that compaction (scheduled > finished).

import { assert } from './assert.js';
import { keyString } from './bytes.js';
import { compactKeyIndexes } from './compaction.js';
import type { MetaName } from './layout.js';
import { LEASE_PREFIX, REV_PREFIX, decodeLease, decodeMeta, decodeRecord, metaKey, prefixRange, revFromKey } from './layout.js';
import { Lease } from './lessor.js';
import type { MvccState } from './mvcc.js';

export interface Recovered {
  readonly scheduledCompactRevision: number;
  readonly finishedCompactRevision: number;
}

async function readMeta(state: MvccState, name: MetaName): Promise<number | undefined> {
  const v = await state.backend.get(metaKey(name));
  return v === undefined ? undefined : decodeMeta(v);
}

export async function rebuildState(state: MvccState, nowMs: number): Promise<Recovered> {
  const backend = state.backend;
  state.reset();
  state.appliedIndex = (await readMeta(state, 'appliedIndex')) ?? 0;
  const scheduled = (await readMeta(state, 'scheduledCompactRevision')) ?? 0;
  const finished = (await readMeta(state, 'finishedCompactRevision')) ?? 0;
  state.compactRevision = scheduled;
  for await (const batch of backend.entries(prefixRange(LEASE_PREFIX))) {
    for (const [, v] of batch) {
      const l = decodeLease(v);
      state.lessor.add(new Lease(l.id, l.ttlSeconds, l.remainingTtlMs), nowMs);
    }
  }
  let lastMain = 1;
  for await (const batch of backend.entries(prefixRange(REV_PREFIX))) {
    for (const [k, v] of batch) {
      const rev = revFromKey(k);
      const rec = decodeRecord(v);
      lastMain = rev.main;
      const key = keyString(rec.key);
      if (!rec.tombstone) {
        state.tree.getOrCreate(key).restorePut(rev, rec.createRevision, rec.version, rec.value, rec.lease);
        continue;
      }
      const ki = state.tree.get(key);
      if (ki === undefined || !ki.alive) {
        // A tombstone whose put an interrupted compaction already removed.
        assert(rev.main <= scheduled, `orphan tombstone of ${key} at ${rev.main} above the compaction`);
        continue;
      }
      ki.tombstone(rev);
    }
  }
  if (scheduled > 0) compactKeyIndexes(state, scheduled);
  for (const ki of state.tree.all()) {
    if (ki.alive && ki.lease !== 0) {
      assert(state.lessor.has(ki.lease), `key ${ki.key} attached to missing lease ${ki.lease}`);
      state.lessor.attach(ki.lease, ki.key);
    }
  }
  state.currentRevision = Math.max((await readMeta(state, 'currentRevision')) ?? 1, lastMain);
  return { scheduledCompactRevision: scheduled, finishedCompactRevision: finished };
}
