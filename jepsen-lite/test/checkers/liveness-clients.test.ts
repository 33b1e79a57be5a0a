// Liveness per client: after the faults heal, every client that wants something must be served
// again within the bound, not just "some write succeeded somewhere". Planted: two clients
// recover at once while a third (behind a member that never recovers) fails for the rest of
// the run. Judged by the register workload's check, as a run is.

import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checkers/index.js';
import { pairOperations } from '../../src/history/index.js';
import { recoveredSince } from '../../src/run/runner.js';
import { registerWorkload } from '../../src/workloads/register.js';
import { HistoryBuilder } from '../support/builder.js';

const BOUND_MS = 2_000;

function liveness(h: HistoryBuilder): CheckResult {
  const results = registerWorkload(0).check({ history: pairOperations(h.entries), recoveryBoundMs: BOUND_MS, endTimeNs: h.entries.length === 0 ? 0 : (h.entries[h.entries.length - 1]?.time ?? 0) });
  const r = results.find((x) => x.checker === 'liveness');
  if (r === undefined) throw new Error('no liveness result');
  return r;
}

/** A partition during which every client fails, then the heal; returns the builder after the heal. */
function faultThenHeal(): HistoryBuilder {
  const h = new HistoryBuilder().nemesis('start-partition', { kind: 'partition-leader' });
  for (let p = 0; p < 3; p++) h.invoke(p, 'write', 'k', 100 + p).fail(p);
  return h.sleep(1000).nemesis('stop-partition');
}

describe('liveness per client', () => {
  it('flags a client that stays stalled after the heal while the others recover', () => {
    const h = faultThenHeal();
    let v = 1;
    for (let i = 0; i < 20; i++) {
      h.sleep(200);
      h.op(0, 'write', 'k', v++, undefined);
      h.op(1, 'read', 'k', null, v - 1);
      h.invoke(2, 'read', 'k', null).fail(2);
    }
    const r = liveness(h);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a['client']])).toEqual([['client-stalled', 2]]);
    expect(r.stats['recovered']).toBe(1);
  });

  it('names the member that last served the stalled client', () => {
    const h = new HistoryBuilder().invoke(2, 'write', 'k', 1).ok(2, 1, { node: 'n3' });
    h.nemesis('start-partition').sleep(500).nemesis('stop-partition');
    for (let i = 0; i < 10; i++) h.sleep(300).op(0, 'write', 'k', 10 + i).invoke(2, 'write', 'k', 50 + i).fail(2);
    const r = liveness(h);
    expect(r.anomalies[0]?.message).toContain('last served by n3');
    expect(r.anomalies[0]?.['node']).toBe('n3');
  });

  it('owes nothing during the fault, and follows a client across process renames', () => {
    const planted = (renamedOk: boolean): HistoryBuilder => {
      const h = new HistoryBuilder().nemesis('start-partition', { kind: 'partition-leader' });
      h.invoke(0, 'write', 'k', 100).fail(0).invoke(1, 'write', 'k', 101).fail(1);
      // Client 2's write is stuck across the heal and times out (info); it goes on as process 5.
      h.invoke(2, 'write', 'k', 7, 2).sleep(1000).nemesis('stop-partition').sleep(500).info(2);
      for (let i = 0; i < 10; i++) {
        h.sleep(200).op(0, 'write', 'k', 10 + i).op(1, 'read', 'k', null, 10 + i).invoke(5, 'read', 'k', null, 2);
        if (renamedOk) h.ok(5, 10 + i);
        else h.fail(5);
      }
      return h;
    };
    expect(liveness(planted(true)).valid).toBe(true);
    const r = liveness(planted(false));
    expect(r.anomalies.map((a) => [a.type, a['client']])).toEqual([['client-stalled', 2]]);
    // The failing window starts at the heal (entry 6), not at the write stuck since the fault (entry 5).
    expect((r.anomalies[0]?.['window'] as { fromIndex: number }).fromIndex).toBe(6);
  });

  it('keeps the run\'s recovery phase going until every client was served again', () => {
    const h = faultThenHeal();
    const healNs = h.entries[h.entries.length - 1]?.time ?? 0;
    h.sleep(100).op(0, 'write', 'k', 1).op(1, 'read', 'k', null, 1);
    expect(recoveredSince(h.entries, healNs)).toBe(false);
    h.invoke(5, 'read', 'k', null, 2).ok(5, 1);
    expect(recoveredSince(h.entries, healNs)).toBe(true);
  });
});
