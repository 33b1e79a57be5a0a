// Mutual exclusion, judged through the counter the lock protects: every critical section
// reads the count N and writes N + 1, so while the lock excludes, each acknowledged write
// writes a different count. Two acknowledged writes of the same count mean two holders read
// the same N: both were inside the critical section at once.

import type { Anomaly, CheckResult } from '../checkers/index.js';
import type { Operation } from '../history/index.js';

/**
 * The counter's operations as a register's: reads, plain writes, and fenced writes the fence
 * let through (or may have: indeterminate) as writes; a fenced write the fence refused (ok,
 * false) had no effect, like a failed one, and is left out.
 */
export function counterRegister(ops: readonly Operation[], counterKey: string): Operation[] {
  const out: Operation[] = [];
  for (const op of ops) {
    if (op.key !== counterKey) continue;
    if (op.f === 'read' || op.f === 'write') out.push(op);
    else if (op.f === 'fenced-write' && !(op.type === 'ok' && op.value === false)) out.push({ ...op, f: 'write' });
  }
  return out;
}

/** Violations listed (the rest are counted). */
export const MUTEX_ANOMALIES_SHOWN_MAX = 10;

export function checkMutex(ops: readonly Operation[]): CheckResult {
  const byCount = new Map<string, Operation[]>();
  let writes = 0;
  for (const op of ops) {
    if (op.f !== 'write' || op.type !== 'ok') continue;
    writes++;
    const k = JSON.stringify(op.invokeValue);
    byCount.set(k, [...(byCount.get(k) ?? []), op]);
  }
  const anomalies: Anomaly[] = [];
  let violations = 0;
  for (const [count, same] of byCount) {
    if (same.length < 2) continue;
    violations++;
    if (anomalies.length >= MUTEX_ANOMALIES_SHOWN_MAX) continue;
    const first = same[0] as Operation;
    anomalies.push({
      type: 'mutual-exclusion-violated',
      message: `count ${count} was written by ${same.length} critical sections (${same.map((o) => `#${o.id} by process ${o.process}`).join(', ')}): their holders overlapped`,
      ops: same.map((o) => o.id),
      op: first.id,
      window: { fromIndex: Math.min(...same.map((o) => o.invokeIndex)), toIndex: Math.max(...same.map((o) => o.completeIndex ?? o.invokeIndex)) },
    });
  }
  return { checker: 'mutex', valid: violations === 0, anomalies, stats: { acknowledgedWrites: writes, violations } };
}
