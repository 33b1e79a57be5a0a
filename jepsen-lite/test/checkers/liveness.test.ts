import { describe, expect, it } from 'vitest';
import { checkLiveness, healWindows } from '../../src/checkers/liveness.js';
import { pairOperations } from '../../src/history/operations.js';
import { HistoryBuilder, NS_PER_MS } from '../support/builder.js';

const check = (h: HistoryBuilder, boundMs: number) => {
  const { operations, nemesis } = pairOperations(h.entries);
  return checkLiveness(operations, nemesis, { bound: { recoveryBoundMs: boundMs } });
};

describe('liveness checker', () => {
  it('finds heal points only when every open fault has ended', () => {
    const h = new HistoryBuilder().nemesis('start-partition').nemesis('kill').nemesis('stop-partition')
      .nemesis('restart').nemesis('transfer-leader').nemesis('pause').nemesis('heal');
    expect(healWindows(pairOperations(h.entries).nemesis).map((w) => [w.healTime / NS_PER_MS, (w.nextFaultTime ?? 0) / NS_PER_MS]))
      .toEqual([[4, 5], [5, 6], [7, 0]]);
  });

  it('treats a delay window as a fault and a compaction as no fault at all', () => {
    // start-delay (1) kill (2) stop-delay (3) restart (4: heal) compact (5) compact (6)
    // start-delay (7) stop-delay (8: heal).
    const h = new HistoryBuilder().nemesis('start-delay').nemesis('kill').nemesis('stop-delay').nemesis('restart')
      .nemesis('compact', { revision: 9, outcome: 'ok' }).nemesis('compact').nemesis('start-delay').nemesis('stop-delay');
    expect(healWindows(pairOperations(h.entries).nemesis).map((w) => [w.healTime / NS_PER_MS, (w.nextFaultTime ?? 0) / NS_PER_MS]))
      .toEqual([[4, 7], [8, 0]]);
    // A write stuck until after the delay ends fails the bound measured from stop-delay.
    const slow = new HistoryBuilder().nemesis('start-delay').sleep(5000).nemesis('stop-delay').sleep(2000).op(0, 'write', 'x', 1);
    expect(check(slow, 1000).valid).toBe(false);
    expect(check(slow, 3000).valid).toBe(true);
  });

  it('accepts a write that succeeds within the bound after the heal', () => {
    const h = new HistoryBuilder().nemesis('start-partition').invoke(0, 'write', 'x', 1).sleep(500).info(0)
      .nemesis('stop-partition').sleep(300).op(1, 'write', 'x', 2).sleep(2000).op(1, 'read', 'x', null, 2);
    const r = check(h, 1000);
    expect(r.valid).toBe(true);
    expect(r.stats['recovered']).toBe(1);
  });

  it('reports no recovery when writes keep failing past the bound', () => {
    const h = new HistoryBuilder().nemesis('kill').nemesis('restart');
    for (let i = 0; i < 10; i++) h.sleep(200).invoke(0, 'write', 'x', i).fail(0);
    h.sleep(500).op(0, 'write', 'x', 99);
    const r = check(h, 1000);
    expect(r.valid).toBe(false);
    // No write anywhere, and the one client was not served either.
    expect(r.anomalies.map((a) => [a.type, a['boundMs']])).toEqual([['no-recovery', 1000], ['client-stalled', 1000]]);
    // An election-timeout bound big enough to cover the outage passes.
    const { operations, nemesis } = pairOperations(h.entries);
    expect(checkLiveness(operations, nemesis, { bound: { electionTimeoutMs: 1000, electionTimeouts: 3 } }).valid).toBe(true);
  });

  it("answers 'unknown' when the history ends before the bound, and skips windows cut by a new fault", () => {
    const ended = new HistoryBuilder().nemesis('pause').nemesis('resume').sleep(100).invoke(0, 'write', 'x', 1).fail(0);
    expect(check(ended, 1000).valid).toBe('unknown');
    const cut = new HistoryBuilder().nemesis('pause').nemesis('resume').sleep(100).nemesis('pause').sleep(5000).nemesis('resume')
      .sleep(10).op(0, 'write', 'x', 1);
    const r = check(cut, 1000);
    expect(r.valid).toBe(true);
    expect([r.stats['skipped'], r.stats['recovered']]).toEqual([1, 1]);
  });
});
