// Names the member that served each operation an anomaly points at (its `op`, `ops` or
// `stuckOp`), so a reader of results.json or report.html sees which member gave the bad answer
// without opening the history: the message gains "(served by #12 n2, …)" and the anomaly a
// `servedBy` map. Operations whose completion named no member (unanswered ones) are skipped.

import type { Operation } from '../history/types.js';
import type { Anomaly, CheckResult } from './result.js';

/** Operations named per anomaly (the rest stay in the anomaly's structured fields). */
export const SERVING_MEMBERS_NAMED_MAX = 8;

function opIds(a: Anomaly): number[] {
  const ids: number[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'number' && Number.isInteger(v) && !ids.includes(v)) ids.push(v);
  };
  add(a['op']);
  const stuck = a['stuckOp'];
  if (typeof stuck === 'object' && stuck !== null) add((stuck as { id?: unknown }).id);
  const ops = a['ops'];
  if (Array.isArray(ops)) for (const id of ops) add(id);
  return ids;
}

export function nameServingMembers(results: readonly CheckResult[], operations: readonly Operation[]): CheckResult[] {
  return results.map((r) => ({
    ...r,
    anomalies: r.anomalies.map((a) => {
      const served = opIds(a)
        .map((id) => operations[id])
        .filter((op): op is Operation & { node: string } => op?.node !== undefined)
        .slice(0, SERVING_MEMBERS_NAMED_MAX);
      if (served.length === 0) return a;
      return {
        ...a,
        message: `${a.message} (served by ${served.map((op) => `#${op.id} ${op.node}`).join(', ')})`,
        servedBy: Object.fromEntries(served.map((op) => [String(op.id), op.node])),
      };
    }),
  }));
}
