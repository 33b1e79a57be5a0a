// corrupt-serving: a member whose synced files were damaged must not answer until it is re-added
// from a clean directory. Planted histories: it answers in between (flagged, with the op), only
// before the damage or after its re-add (valid), and never re-added (window to the end).

import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/checkers/check-history.js';
import { checkCorruptServing } from '../../src/checkers/corrupt-serving.js';
import { pairOperations } from '../../src/history/operations.js';
import { HistoryBuilder } from '../support/builder.js';

const corrupt = (b: HistoryBuilder): HistoryBuilder => b.nemesis('kill', { kind: 'corrupt', nodes: ['n2'], damage: null }).sleep(10).nemesis('restart', { nodes: ['n2'], kind: 'corrupt' });

function verdict(b: HistoryBuilder): ReturnType<typeof checkCorruptServing> {
  const { operations, nemesis } = pairOperations(b.entries);
  return checkCorruptServing(operations, nemesis);
}

describe('corrupt-serving', () => {
  it('flags an answer from the damaged member before its re-add', () => {
    const b = corrupt(new HistoryBuilder().invoke(0, 'read', 'r/1', null).ok(0, 1, { node: 'n2' }).sleep(10));
    b.invoke(1, 'read', 'r/1', null).sleep(5).ok(1, 1, { node: 'n2' }).sleep(10).nemesis('add-member', { node: 'n2', id: 'x' });
    const r = verdict(b);
    expect(r.valid).toBe(false);
    expect(r.anomalies).toEqual([expect.objectContaining({ type: 'served-after-corruption', node: 'n2', ops: [1], count: 1 })]);
    // It reaches the run's verdict through checkHistory too.
    expect(checkHistory(b.entries, { workload: 'register' }).results.map((x) => x.checker)).toContain('corrupt-serving');
  });

  it('is valid when the member answers only before the damage and after a clean re-add', () => {
    const b = corrupt(new HistoryBuilder().invoke(0, 'read', 'r/1', null).ok(0, 1, { node: 'n2' }).sleep(10));
    b.invoke(1, 'read', 'r/1', null).sleep(5).ok(1, 1, { node: 'n1' }).nemesis('add-member', { node: 'n2', id: 'x' });
    b.sleep(10).invoke(2, 'read', 'r/1', null).ok(2, 1, { node: 'n2' });
    const r = verdict(b);
    expect(r.valid).toBe(true);
    expect(r.stats['corruptions']).toBe(1);
  });

  it('keeps the window open to the end when the member is never re-added', () => {
    const b = corrupt(new HistoryBuilder()).sleep(10).invoke(0, 'write', 'r/1', 3).ok(0, null, { node: 'n2' });
    expect(verdict(b).anomalies.map((a) => a['ops'])).toEqual([[0]]);
  });

  it('flags a member the nemesis saw start on damaged files, served ops or not', () => {
    const b = corrupt(new HistoryBuilder()).nemesis('corrupt', { node: 'n2', damage: { how: 'truncate-tail' }, outcome: 'running' });
    expect(verdict(b).anomalies).toEqual([expect.objectContaining({ type: 'started-on-corruption', node: 'n2' })]);
    const refused = corrupt(new HistoryBuilder()).nemesis('corrupt', { node: 'n2', damage: null, outcome: 'refused' });
    expect(verdict(refused).valid).toBe(true);
  });

  it('stays out of histories without a corruption', () => {
    const b = new HistoryBuilder().invoke(0, 'read', 'r/1', null).ok(0, null, { node: 'n2' });
    expect(checkHistory(b.entries, { workload: 'register' }).results.map((x) => x.checker)).not.toContain('corrupt-serving');
  });
});
