// Durability: every acknowledged write is still there at the end, on every node whose final
// read was recorded, and replicas that report a hash at the same revision agree.
//   register: a key's final value must come from a write (ok or indeterminate) that no
//             acknowledged write to the key strictly follows in real time; a missing key
//             with acknowledged writes is a lost write (the workload does not delete);
//   append:   every acknowledged appended element is in the key's final list.
// Final reads: observations `final-read` {node?, revision?, kvs: {key: value}}; hashes:
// `final-hash` {node, revision, hash}. Without any final read the verdict is 'unknown'.
// `final-read-behind` {node, revision, error}: a running member that never reached the final
// revision within the catch-up wait (it skipped or lost entries: its store counts fewer
// revisions than the cluster's) is a replica-behind anomaly, not a silently missing read.

import { HistoryFormatError } from '../history/errors.js';
import { parseTxn } from './append/txn.js';
import { isCompareFalse } from './linearizability/register-model.js';
import type { Json, ObservationEntry, Operation } from '../history/types.js';
import type { Anomaly, CheckResult } from './result.js';
import { canonicalJson } from './result.js';

/** How many lost writes are listed per final read (the rest are counted). */
export const LOST_WRITES_SHOWN_MAX = 20;

interface FinalRead {
  readonly node: string;
  readonly revision: number | null;
  readonly kvs: ReadonlyMap<string, Json>;
}

interface Written {
  readonly op: Operation;
  readonly value: Json;
}

export function checkDurability(operations: readonly Operation[], observations: readonly ObservationEntry[]): CheckResult {
  const reads = finalReads(observations);
  const anomalies: Anomaly[] = [];
  const registerWrites = collectRegisterWrites(operations);
  const appends = collectAppends(operations);
  let lost = 0;
  for (const read of reads) {
    const found = [...lostRegisterWrites(read, registerWrites), ...lostAppends(read, appends)];
    lost += found.length;
    anomalies.push(...found.slice(0, LOST_WRITES_SHOWN_MAX));
  }
  anomalies.push(...replicaDivergence(observations), ...finalReadsDisagree(reads), ...replicasBehind(observations));
  const valid = anomalies.length > 0 ? false : reads.length === 0 ? 'unknown' : true;
  return {
    checker: 'durability',
    valid,
    anomalies,
    stats: {
      finalReads: reads.length,
      acknowledgedWrites: [...registerWrites.values()].flat().filter((w) => w.op.type === 'ok').length +
        [...appends.values()].reduce((n, m) => n + m.size, 0),
      lostWrites: lost,
    },
  };
}

function finalReads(observations: readonly ObservationEntry[]): FinalRead[] {
  return observations.filter((o) => o.f === 'final-read').map((o) => {
    const v = (typeof o.value === 'object' && o.value !== null ? o.value : {}) as { node?: Json; revision?: Json; kvs?: Json };
    const kvs = v.kvs;
    if (typeof kvs !== 'object' || kvs === null || Array.isArray(kvs)) {
      throw new HistoryFormatError('MalformedHistory', 'final-read needs kvs: {key: value}', o.index);
    }
    return {
      node: typeof v.node === 'string' ? v.node : String(o.process),
      revision: typeof v.revision === 'number' ? v.revision : null,
      kvs: new Map(Object.entries(kvs as Record<string, Json>)),
    };
  });
}

/** Per key, every write or cas that may have taken effect (ok or indeterminate). */
function collectRegisterWrites(operations: readonly Operation[]): Map<string, Written[]> {
  const out = new Map<string, Written[]>();
  for (const op of operations) {
    if (op.type === 'fail' || op.key === undefined || (op.f !== 'write' && op.f !== 'cas') || isCompareFalse(op)) continue;
    const value = op.f === 'write' ? op.invokeValue : Array.isArray(op.invokeValue) ? (op.invokeValue[1] ?? null) : null;
    out.set(op.key, [...(out.get(op.key) ?? []), { op, value }]);
  }
  return out;
}

/** Per key, the acknowledged appended elements and the operation that appended each. */
function collectAppends(operations: readonly Operation[]): Map<string, Map<string, Written>> {
  const out = new Map<string, Map<string, Written>>();
  for (const op of operations) {
    if (op.f !== 'txn' || op.type !== 'ok') continue;
    for (const m of parseTxn(op).micro) {
      if (m.f !== 'append') continue;
      const perKey = out.get(m.key) ?? new Map<string, Written>();
      perKey.set(canonicalJson(m.element), { op, value: m.element });
      out.set(m.key, perKey);
    }
  }
  return out;
}

function lostRegisterWrites(read: FinalRead, writes: ReadonlyMap<string, readonly Written[]>): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [key, ws] of writes) {
    const acked = ws.filter((w) => w.op.type === 'ok');
    if (acked.length === 0) continue;
    const final = read.kvs.get(key) ?? null;
    const sources = ws.filter((w) => canonicalJson(w.value) === canonicalJson(final));
    // The final value survives only if some write of it is not strictly followed by an acked one.
    const overwriter = (w: Written): Written | undefined =>
      acked.find((a) => w.op.completeIndex !== null && w.op.completeIndex < a.op.invokeIndex);
    const proof = lostWriteProof(sources, acked, overwriter);
    if (proof === undefined) continue;
    out.push({
      type: 'lost-write',
      message: `node ${read.node}: key ${key} ends as ${canonicalJson(final)}, but acknowledged #${proof.op.id} wrote ${canonicalJson(proof.value)} after that value was written`,
      node: read.node, key, finalValue: final, op: proof.op.id, value: proof.value,
    });
  }
  return out;
}

/**
 * An acknowledged write the final value contradicts, if any: the newest acknowledged write
 * when no write produced the final value at all, else the write that overwrote its producer
 * when every possible producer was overwritten.
 */
function lostWriteProof(
  sources: readonly Written[],
  acked: readonly Written[],
  overwriter: (w: Written) => Written | undefined,
): Written | undefined {
  if (sources.length === 0) return acked[acked.length - 1];
  if (!sources.every((w) => overwriter(w) !== undefined)) return undefined;
  return overwriter(sources[sources.length - 1] as Written);
}

function lostAppends(read: FinalRead, appends: ReadonlyMap<string, ReadonlyMap<string, Written>>): Anomaly[] {
  const out: Anomaly[] = [];
  for (const [key, elements] of appends) {
    const list = read.kvs.get(key);
    const present = new Set(Array.isArray(list) ? list.map(canonicalJson) : []);
    for (const [c, w] of elements) {
      if (present.has(c)) continue;
      out.push({
        type: 'lost-write',
        message: `node ${read.node}: key ${key} lacks ${c}, appended by acknowledged #${w.op.id}`,
        node: read.node, key, element: w.value, op: w.op.id,
      });
    }
  }
  return out;
}

function replicasBehind(observations: readonly ObservationEntry[]): Anomaly[] {
  return observations.filter((o) => o.f === 'final-read-behind').map((o): Anomaly => {
    const v = (typeof o.value === 'object' && o.value !== null ? o.value : {}) as { node?: Json; revision?: Json; error?: Json };
    const node = typeof v.node === 'string' ? v.node : String(o.process);
    return {
      type: 'replica-behind',
      message: `node ${node} never reached the final revision ${String(v.revision)} while running (${String(v.error)}): it skipped or lost entries`,
      node,
    };
  });
}

function replicaDivergence(observations: readonly ObservationEntry[]): Anomaly[] {
  const byRevision = new Map<number, Map<string, string>>();
  for (const o of observations) {
    if (o.f !== 'final-hash') continue;
    const v = o.value as { node?: Json; revision?: Json; hash?: Json };
    if (typeof v.revision !== 'number') continue;
    const hashes = byRevision.get(v.revision) ?? new Map<string, string>();
    hashes.set(typeof v.node === 'string' ? v.node : String(o.process), canonicalJson(v.hash ?? null));
    byRevision.set(v.revision, hashes);
  }
  const out: Anomaly[] = [];
  for (const [revision, hashes] of byRevision) {
    if (new Set(hashes.values()).size <= 1) continue;
    out.push({
      type: 'replica-divergence',
      message: `replicas disagree at revision ${revision}: ${[...hashes].map(([n, h]) => `${n}=${h}`).join(', ')}`,
      revision, hashes: Object.fromEntries(hashes),
    });
  }
  return out;
}

/** Final reads taken at the same revision must be identical. */
function finalReadsDisagree(reads: readonly FinalRead[]): Anomaly[] {
  const out: Anomaly[] = [];
  const byRevision = new Map<number, FinalRead>();
  for (const r of reads) {
    if (r.revision === null) continue;
    const other = byRevision.get(r.revision);
    if (other === undefined) {
      byRevision.set(r.revision, r);
      continue;
    }
    const keys = new Set([...r.kvs.keys(), ...other.kvs.keys()]);
    const differing = [...keys].filter((k) => canonicalJson(r.kvs.get(k) ?? null) !== canonicalJson(other.kvs.get(k) ?? null));
    if (differing.length === 0) continue;
    out.push({
      type: 'replica-divergence',
      message: `final reads of ${other.node} and ${r.node} at revision ${r.revision} differ on ${differing.slice(0, 5).join(', ')}`,
      revision: r.revision, nodes: [other.node, r.node], keys: differing,
    });
  }
  return out;
}
