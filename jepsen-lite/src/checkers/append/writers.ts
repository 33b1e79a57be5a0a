// Who appended each element. Elements are unique per key, so an element found in a read
// names exactly one writing transaction; its position among that transaction's appends to
// the key tells whether the read saw an intermediate state (G1b).

import type { Anomaly } from '../result.js';
import type { Txn } from './txn.js';
import { elementId } from './txn.js';

export interface Writer {
  readonly txn: Txn;
  /** True if this is the transaction's last append to the key. */
  readonly final: boolean;
}

export function indexWriters(txns: readonly Txn[], anomalies: Anomaly[]): Map<string, Writer> {
  const writers = new Map<string, Writer>();
  for (const txn of txns) {
    const appends = txn.micro.filter((m) => m.f === 'append');
    appends.forEach((m, i) => {
      if (m.f !== 'append') return;
      const id = elementId(m.key, m.element);
      const prior = writers.get(id);
      if (prior !== undefined) {
        anomalies.push({
          type: 'duplicate-appends',
          message: `element ${JSON.stringify(m.element)} appended to ${m.key} by #${prior.txn.op.id} and #${txn.op.id}; the workload must append unique elements`,
          key: m.key,
          element: m.element,
          ops: [prior.txn.op.id, txn.op.id],
        });
        return;
      }
      const final = !appends.slice(i + 1).some((later) => later.key === m.key);
      writers.set(id, { txn, final });
    });
  }
  return writers;
}
