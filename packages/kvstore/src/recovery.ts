// Rebuilding the in-memory state (key index, current values, leases, counters) from the
// backend, on open and after a snapshot install. Records carry their own createRevision and
// version, so a history partly deleted by an interrupted compaction rebuilds correctly; the
// caller then resumes that compaction (scheduled > finished).
//
// It also verifies the store: every value passes the backend's checksum check as it is read,
// the records found must match the record tally in meta (record-tally.ts: a lost table block
// drops records silently), and the records must be consistent with each other. Any mismatch
// throws CorruptError naming the record: serving from an index rebuilt without some records
// would answer acknowledged keys as absent.

import { keyString } from './bytes.js';
import { AUTH_PREFIX } from './auth-state.js';
import { compactKeyIndexes } from './compaction.js';
import type { MetaName } from './layout.js';
import type { LeaseRecord, RecordHead } from './layout.js';
import { LEASE_PREFIX, REV_PREFIX, decodeLease, decodeMeta, decodeRecordHead, describeKey, metaKey, prefixRange, revFromKey } from './layout.js';
import { Lease } from './lessor.js';
import type { MvccState } from './mvcc.js';
import type { RecordTally } from './record-tally.js';
import { emptyTally, tallyKey } from './record-tally.js';

export interface Recovered {
  readonly scheduledCompactRevision: number;
  readonly finishedCompactRevision: number;
}

/** Runs a record decoder; a value that passed its checksum but does not decode is damage too. */
function decoded<T>(state: MvccState, key: Uint8Array, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    // The decoder's message may quote the whole buffer: keep its first sentence.
    const why = String((err as Error).message).split(/[[{\n]/)[0]?.trim() ?? '';
    throw state.corrupt(`${describeKey(key)} does not decode (${why.slice(0, 120)})`);
  }
}

async function readMeta(state: MvccState, name: MetaName): Promise<number | undefined> {
  const key = metaKey(name);
  const v = await state.backend.get(key);
  return v === undefined ? undefined : decoded(state, key, () => decodeMeta(v));
}

/** Compares the records found with the tally written beside them. */
async function checkTally(state: MvccState, found: RecordTally): Promise<void> {
  const count = await readMeta(state, 'recordCount');
  const keyCrcSum = await readMeta(state, 'recordKeyCrcSum');
  if (count === undefined && keyCrcSum === undefined && found.count === 0) return; // a fresh store
  if (count === undefined || keyCrcSum === undefined) {
    throw state.corrupt(`${found.count} change records but no record tally in meta (meta records lost)`);
  }
  if (count !== found.count) {
    const how = found.count < count ? `${count - found.count} change records are missing` : `${found.count - count} change records too many`;
    throw state.corrupt(`${how}: the tally says ${count}, the store holds ${found.count} (lost or resurrected table data)`);
  }
  if (keyCrcSum !== found.keyCrcSum) {
    throw state.corrupt(`the change records are not the ones the tally counted (key checksum ${found.keyCrcSum} != ${keyCrcSum})`);
  }
  state.tally = found;
}

export async function rebuildState(state: MvccState, nowMs: number): Promise<Recovered> {
  const backend = state.backend;
  state.reset();
  state.appliedIndex = (await readMeta(state, 'appliedIndex')) ?? 0;
  const scheduled = (await readMeta(state, 'scheduledCompactRevision')) ?? 0;
  const finished = (await readMeta(state, 'finishedCompactRevision')) ?? 0;
  state.compactRevision = scheduled;
  for await (const batch of backend.entries(prefixRange(LEASE_PREFIX))) {
    for (const [k, v] of batch) {
      const l: LeaseRecord = decoded(state, k, () => decodeLease(v));
      state.lessor.add(new Lease(l.id, l.ttlSeconds, l.remainingTtlMs), nowMs);
    }
  }
  for await (const batch of backend.entries(prefixRange(AUTH_PREFIX))) {
    for (const [k, v] of batch) {
      if (!decoded(state, k, () => state.auth.restoreRecord(k, v))) throw state.corrupt(`${describeKey(k)} is not an auth record`);
    }
  }
  state.auth.revision = (await readMeta(state, 'authRevision')) ?? 0;
  state.auth.enabled = (await readMeta(state, 'authEnabled')) === 1;
  state.audit.nextSeq = (await readMeta(state, 'auditNextSeq')) ?? 1;
  state.audit.firstSeq = (await readMeta(state, 'auditFirstSeq')) ?? 1;
  let lastMain = 1;
  const found = emptyTally();
  for await (const batch of backend.entries(prefixRange(REV_PREFIX))) {
    for (const [k, v] of batch) {
      const rev = decoded(state, k, () => revFromKey(k));
      // The head only: the value is counted, not decoded or copied (the restart-time path).
      const rec: RecordHead = decoded(state, k, () => decodeRecordHead(v));
      tallyKey(found, k, 1);
      lastMain = rev.main;
      const key = keyString(rec.key);
      if (!rec.tombstone) {
        const ki = state.tree.getOrCreate(key);
        // The value cache starts cold: filling it here would turn every value into a string
        // (garbage for all but the last few) on the path that decides restart time.
        ki.restorePut(rev, rec.createRevision, rec.version, rec.valueLength, rec.lease);
        continue;
      }
      const ki = state.tree.get(key);
      if (ki === undefined || !ki.alive) {
        // A tombstone whose put an interrupted compaction already removed; above the
        // compaction, its put was lost.
        if (rev.main > scheduled) throw state.corrupt(`${describeKey(k)} deletes ${key}, whose put is missing`);
        continue;
      }
      ki.tombstone(rev);
      state.values.delete(ki);
    }
  }
  await checkTally(state, found);
  if (scheduled > 0) compactKeyIndexes(state, scheduled);
  for (const ki of state.tree.all()) {
    if (ki.alive && ki.lease !== 0) {
      if (!state.lessor.has(ki.lease)) throw state.corrupt(`key ${ki.key} is attached to lease ${ki.lease}, whose lease record is missing`);
      state.lessor.attach(ki.lease, ki.key);
    }
  }
  state.currentRevision = Math.max((await readMeta(state, 'currentRevision')) ?? 1, lastMain);
  return { scheduledCompactRevision: scheduled, finishedCompactRevision: finished };
}
