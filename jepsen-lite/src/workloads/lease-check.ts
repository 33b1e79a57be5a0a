// Lease safety and expiry, from the lease workload's operations:
//   premature-expiry   a read of a key, invoked after its put was acknowledged, returned
//                      nothing although it completed before (invoke time of the latest
//                      acknowledged grant or keepalive that completed before the read began) +
//                      the TTL that renewal granted: the server renews no earlier than the
//                      request was sent, so the lease was guaranteed alive then;
//   lease-not-expired  a key still present in a final read (taken after every lease had two
//                      TTLs plus election timeouts to expire).

import type { Anomaly, CheckResult } from '../checkers/index.js';
import type { Json, ObservationEntry, Operation } from '../history/index.js';
import { maxOf } from '../util/max.js';

const NS_PER_S = 1e9;
export const LEASE_ANOMALIES_SHOWN_MAX = 20;

interface KeyLife {
  put: Operation | null;
  /** Acknowledged renewals (grant and keepalives): [invokeTime, ttl seconds, completeTime]. */
  renewals: [number, number, number][];
}

const ttlOf = (v: Json): number | null => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const t = (v as { ttl?: Json }).ttl;
  return typeof t === 'number' ? t : null;
};

export function checkLeases(ops: readonly Operation[], observations: readonly ObservationEntry[]): CheckResult {
  const lives = new Map<string, KeyLife>();
  const life = (k: string): KeyLife => {
    let l = lives.get(k);
    if (l === undefined) lives.set(k, (l = { put: null, renewals: [] }));
    return l;
  };
  for (const op of ops) {
    if (op.key === undefined || op.type !== 'ok') continue;
    if (op.f === 'put') life(op.key).put = op;
    if ((op.f === 'grant' || op.f === 'keepalive') && op.completeTime !== null) {
      const ttl = ttlOf(op.value);
      if (ttl !== null && ttl > 0) life(op.key).renewals.push([op.invokeTime, ttl, op.completeTime]);
    }
  }
  const anomalies: Anomaly[] = [];
  let premature = 0;
  let reads = 0;
  for (const op of ops) {
    if (op.f !== 'read' || op.type !== 'ok' || op.key === undefined || op.completeTime === null) continue;
    reads++;
    const l = lives.get(op.key);
    if (op.value !== null || l?.put == null || l.put.completeTime === null || op.invokeTime < l.put.completeTime) continue;
    const aliveUntil = maxOf(l.renewals.filter(([, , done]) => done < op.invokeTime).map(([inv, ttl]) => inv + ttl * NS_PER_S), 0);
    if (op.completeTime >= aliveUntil) continue;
    premature++;
    if (anomalies.length < LEASE_ANOMALIES_SHOWN_MAX) {
      anomalies.push({
        type: 'premature-expiry',
        message: `read #${op.id} of ${op.key} found nothing at ${(op.completeTime / 1e9).toFixed(3)} s, but its lease was renewed to live until at least ${(aliveUntil / 1e9).toFixed(3)} s`,
        op: op.id, key: op.key, window: { fromIndex: op.invokeIndex, toIndex: op.completeIndex },
      });
    }
  }
  let leftovers = 0;
  for (const o of observations) {
    if (o.f !== 'final-read') continue;
    const v = o.value as { node?: Json; kvs?: Json };
    const kvs = typeof v.kvs === 'object' && v.kvs !== null && !Array.isArray(v.kvs) ? Object.keys(v.kvs) : [];
    for (const k of kvs) {
      leftovers++;
      if (anomalies.length < LEASE_ANOMALIES_SHOWN_MAX) {
        anomalies.push({ type: 'lease-not-expired', message: `member ${String(v.node)} still holds ${k} at the end, after every lease stopped renewing`, key: k });
      }
    }
  }
  const finalReads = observations.filter((o) => o.f === 'final-read').length;
  const valid = premature + leftovers > 0 ? false : finalReads === 0 ? 'unknown' : true;
  return { checker: 'lease', valid, anomalies, stats: { keys: lives.size, reads, prematureExpiries: premature, leftoverKeys: leftovers, finalReads } };
}
