// Infers each key's version order from the lists that committed transactions read. Every
// read of a list is the key's state at some moment, so under any consistent order all reads
// of a key are prefixes of one another; the longest one is the version order we can know.
// Reports elements duplicated inside a list and pairs of reads that are not
// prefix-compatible (incompatible orders).

import type { Json } from '../../history/types.js';
import type { Anomaly } from '../result.js';
import { canonicalJson } from '../result.js';
import type { Txn } from './txn.js';

/** At most this many incompatible-order anomalies per key: one proves the point. */
export const INCOMPATIBLE_ORDERS_PER_KEY_MAX = 4;

interface Observed {
  readonly list: readonly Json[];
  readonly txn: Txn;
}

export function inferVersionOrders(committed: readonly Txn[], anomalies: Anomaly[]): Map<string, readonly Json[]> {
  const longest = new Map<string, Observed>();
  const conflicts = new Map<string, number>();
  for (const txn of committed) {
    for (const m of txn.micro) {
      if (m.f !== 'r' || m.list === null) continue;
      reportDuplicates(txn, m.key, m.list, anomalies);
      const seen = longest.get(m.key);
      const mine: Observed = { list: m.list, txn };
      if (seen === undefined) {
        longest.set(m.key, mine);
        continue;
      }
      const [short, long] = seen.list.length <= m.list.length ? [seen, mine] : [mine, seen];
      if (isPrefix(short.list, long.list)) {
        longest.set(m.key, long);
        continue;
      }
      const n = conflicts.get(m.key) ?? 0;
      conflicts.set(m.key, n + 1);
      if (n < INCOMPATIBLE_ORDERS_PER_KEY_MAX) {
        anomalies.push({
          type: 'incompatible-order',
          message: `key ${m.key}: #${seen.txn.op.id} read ${canonicalJson(seen.list)} but #${txn.op.id} read ${canonicalJson(m.list)}; neither is a prefix of the other`,
          key: m.key,
          reads: [{ op: seen.txn.op.id, list: seen.list }, { op: txn.op.id, list: m.list }],
        });
      }
    }
  }
  return new Map([...longest].map(([k, o]) => [k, o.list]));
}

export function isPrefix(short: readonly Json[], long: readonly Json[]): boolean {
  if (short.length > long.length) return false;
  return short.every((x, i) => canonicalJson(x) === canonicalJson(long[i]));
}

function reportDuplicates(txn: Txn, key: string, list: readonly Json[], anomalies: Anomaly[]): void {
  const seen = new Set<string>();
  for (const x of list) {
    const c = canonicalJson(x);
    if (seen.has(c)) {
      anomalies.push({
        type: 'duplicate-elements',
        message: `key ${key}: #${txn.op.id} read ${canonicalJson(list)}, which holds ${c} twice`,
        key,
        element: x,
        op: txn.op.id,
        list,
      });
      return;
    }
    seen.add(c);
  }
}
