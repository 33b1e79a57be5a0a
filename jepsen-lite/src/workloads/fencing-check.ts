// Fencing tokens, judged from the lock's holders: an acquire completes ok with {token, key}
// (token = the lock key's create revision) and its holder ends by invoking a release of the
// same key. A holder can outlive its lease (a pause), so two holders may overlap; the fencing
// token is what lets the protected resource refuse the older one, which works only when:
//   fencing-token-reused  no two acquisitions carry the same token;
//   fencing-token-order   an acquisition invoked after another one completed (it certainly
//                         got the lock later) carries a higher token; the anomaly says
//                         whether the two holders overlapped (the older still held it).
// Concurrent acquire calls have no known order, so only their tokens' uniqueness is checked.

import type { Anomaly, CheckResult } from '../checkers/index.js';
import type { Json, Operation } from '../history/index.js';

/** Violations listed per type (the rest are counted). */
export const FENCING_ANOMALIES_SHOWN_MAX = 10;

interface Holder {
  readonly op: Operation;
  readonly token: number;
  readonly key: string;
  /** History index where the holder let go (invoked its release); null: it never did. */
  readonly releaseIndex: number | null;
}

const lockKeyOf = (v: Json): string | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { key?: Json }).key === 'string' ? (v as { key: string }).key : null;

function holders(ops: readonly Operation[]): Holder[] {
  const releases = new Map<string, number>();
  for (const op of ops) {
    const key = op.f === 'release' ? lockKeyOf(op.invokeValue) : null;
    if (key !== null && !releases.has(key)) releases.set(key, op.invokeIndex);
  }
  const out: Holder[] = [];
  for (const op of ops) {
    if (op.f !== 'acquire' || op.type !== 'ok' || op.completeIndex === null) continue;
    const v = op.value as { token?: Json } | null;
    const key = lockKeyOf(op.value);
    if (typeof v?.token !== 'number' || key === null) continue;
    out.push({ op, token: v.token, key, releaseIndex: releases.get(key) ?? null });
  }
  return out;
}

const who = (h: Holder): string => `process ${h.op.process} (#${h.op.id})`;

export function checkFencing(ops: readonly Operation[]): CheckResult {
  const all = holders(ops);
  const anomalies: Anomaly[] = [];
  const counts = { reused: 0, order: 0 };
  const byToken = new Map<number, Holder>();
  for (const h of all) {
    const other = byToken.get(h.token);
    if (other === undefined) {
      byToken.set(h.token, h);
      continue;
    }
    if (counts.reused++ >= FENCING_ANOMALIES_SHOWN_MAX) continue;
    anomalies.push({
      type: 'fencing-token-reused',
      message: `${who(other)} and ${who(h)} both acquired the lock with token ${h.token}`,
      token: h.token, ops: [other.op.id, h.op.id], op: h.op.id,
      window: { fromIndex: Math.min(other.op.invokeIndex, h.op.invokeIndex), toIndex: Math.max(other.op.completeIndex as number, h.op.completeIndex as number) },
    });
  }
  // Sweep acquisitions in invoke order, keeping the highest token among those already complete.
  const byComplete = [...all].sort((a, b) => (a.op.completeIndex as number) - (b.op.completeIndex as number));
  const byInvoke = [...all].sort((a, b) => a.op.invokeIndex - b.op.invokeIndex);
  let done = 0;
  let highest: Holder | null = null;
  for (const later of byInvoke) {
    while (done < byComplete.length && ((byComplete[done] as Holder).op.completeIndex as number) < later.op.invokeIndex) {
      const h = byComplete[done++] as Holder;
      if (highest === null || h.token > highest.token) highest = h;
    }
    // An equal token is the same acquisition or already reported as reused.
    if (highest === null || later.token >= highest.token) continue;
    if (counts.order++ >= FENCING_ANOMALIES_SHOWN_MAX) continue;
    const earlier = highest;
    const overlapped = earlier.releaseIndex === null || earlier.releaseIndex > (later.op.completeIndex as number);
    anomalies.push({
      type: 'fencing-token-order',
      message: overlapped
        ? `${who(later)} acquired the lock with token ${later.token} while ${who(earlier)} still held it with token ${earlier.token}: the newer holder's token is lower, so fencing would refuse it and accept the stale one`
        : `${who(later)} acquired the lock with token ${later.token} after ${who(earlier)} had acquired it with token ${earlier.token}: a later holder got a lower token`,
      overlapped, token: later.token, earlierToken: earlier.token, ops: [earlier.op.id, later.op.id], op: later.op.id,
      window: { fromIndex: earlier.op.invokeIndex, toIndex: later.op.completeIndex },
    });
  }
  const violations = counts.reused + counts.order;
  return { checker: 'fencing', valid: violations === 0, anomalies, stats: { acquisitions: all.length, violations } };
}
