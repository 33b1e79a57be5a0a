import { describe, expect, it } from 'vitest';
import { checkDurability } from '../../src/checkers/durability.js';
import { pairOperations } from '../../src/history/operations.js';
import type { Json, ObservationEntry } from '../../src/history/types.js';
import { HistoryBuilder } from '../support/builder.js';
import { simulateAppends } from '../support/append-sim.js';
import { simulateRegisters } from '../support/register-sim.js';

let index = 1_000_000;
const observe = (f: ObservationEntry['f'], value: Json): ObservationEntry => ({ process: 'final', type: 'info', f, value, time: index, index: index++ });
const finalRead = (node: string, kvs: Record<string, Json>, revision?: number): ObservationEntry =>
  observe('final-read', revision === undefined ? { node, kvs } : { node, kvs, revision });
const check = (h: HistoryBuilder, obs: ObservationEntry[]) => checkDurability(pairOperations(h.entries).operations, obs);

describe('durability checker', () => {
  it('accepts final values that respect acknowledged writes, including concurrent and indeterminate ones', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1)
      .invoke(0, 'write', 'x', 2).invoke(1, 'write', 'x', 3).ok(0, 2).ok(1, 3) // concurrent: either may win
      .invoke(2, 'write', 'y', 9).info(2);
    expect(check(h, [finalRead('n1', { x: 2 }), finalRead('n2', { x: 3 })]).valid).toBe(true);
    expect(check(h, [finalRead('n1', { x: 3, y: 9 })]).valid).toBe(true);
  });

  it('reports a lost write: the final value predates an acknowledged write', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1).op(1, 'write', 'x', 2);
    const r = check(h, [finalRead('n1', { x: 2 }), finalRead('n3', { x: 1 })]);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a['node'], a['key'], a['op'], a['finalValue']])).toEqual([['lost-write', 'n3', 'x', 1, 1]]);
  });

  it('reports a key that vanished', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1);
    expect(check(h, [finalRead('n1', {})]).anomalies.map((a) => [a.type, a['key']])).toEqual([['lost-write', 'x']]);
  });

  it('reports a lost append', () => {
    const h = new HistoryBuilder().op(0, 'txn', undefined, [['append', 'x', 1], ['append', 'x', 2]]);
    h.invoke(1, 'txn', undefined, [['append', 'x', 3]]).fail(1);
    const ok = check(h, [finalRead('n1', { x: [1, 2] })]);
    expect(ok.valid).toBe(true);
    const r = check(h, [finalRead('n1', { x: [1] })]);
    expect(r.anomalies.map((a) => [a.type, a['key'], a['element'], a['op']])).toEqual([['lost-write', 'x', 2, 0]]);
  });

  it('reports diverging replica hashes and final reads at one revision', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1);
    const hash = (node: string, revision: number, v: number): ObservationEntry => observe('final-hash', { node, revision, hash: v });
    expect(check(h, [finalRead('n1', { x: 1 }), hash('n1', 7, 42), hash('n2', 7, 42), hash('n3', 6, 41)]).valid).toBe(true);
    const r = check(h, [finalRead('n1', { x: 1 }), hash('n1', 7, 42), hash('n2', 7, 43)]);
    expect(r.anomalies.map((a) => [a.type, a['revision']])).toEqual([['replica-divergence', 7]]);
    const reads = check(h, [finalRead('n1', { x: 1 }, 9), finalRead('n2', { x: 1, y: 5 }, 9)]);
    expect(reads.anomalies.map((a) => [a.type, a['keys']])).toEqual([['replica-divergence', ['y']]]);
  });

  it('reports a running member that never reached the final revision (it skipped entries), not just the members that answered', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1);
    const behind = observe('final-read-behind', { node: 'n2', revision: 823, error: 'FutureRevision: revision 823 is newer than the current revision 350' });
    const r = check(h, [finalRead('n1', { x: 1 }, 823), finalRead('n3', { x: 1 }, 823), behind]);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a['node']])).toEqual([['replica-behind', 'n2']]);
    expect(r.anomalies[0]?.message).toContain('final revision 823');
  });

  it("answers 'unknown' without final reads", () => {
    expect(check(new HistoryBuilder().op(0, 'write', 'x', 1), []).valid).toBe('unknown');
  });

  it('accepts simulated histories of 1,000+ ops with legal final states, and catches a rollback', () => {
    const ops = pairOperations(simulateRegisters({ seed: 3, ops: 1200, keys: 5, workers: 8, infoRate: 0 })).operations;
    // The acknowledged write that completed last is never strictly followed by another
    // acknowledged write, so it is a legal final value for its key.
    const last = new Map<string, Json>();
    for (const op of [...ops].sort((a, b) => (a.completeIndex ?? 0) - (b.completeIndex ?? 0))) {
      if (op.type !== 'ok' || op.key === undefined || (op.f !== 'write' && op.f !== 'cas')) continue;
      last.set(op.key, op.f === 'write' ? op.invokeValue : (op.invokeValue as Json[])[1] ?? null);
    }
    const kvs = Object.fromEntries(last);
    const r = checkDurability(ops, [finalRead('n1', kvs)]);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    const appendOps = pairOperations(simulateAppends({ seed: 3, ops: 1000, keys: 4, workers: 8 })).operations;
    const lists = new Map<string, Json[]>();
    for (const op of appendOps) {
      if (op.type !== 'ok') continue;
      for (const m of op.value as Json[][]) if (m[0] === 'append') lists.set(m[1] as string, [...(lists.get(m[1] as string) ?? []), m[2] ?? null]);
    }
    expect(checkDurability(appendOps, [finalRead('n1', Object.fromEntries(lists))]).valid).toBe(true);
    const [key, list] = [...lists][0] as [string, Json[]];
    const rolledBack = checkDurability(appendOps, [finalRead('n1', { ...Object.fromEntries(lists), [key]: list.slice(0, -1) })]);
    expect(rolledBack.anomalies.map((a) => [a.type, a['key'], a['element']])).toEqual([['lost-write', key, list[list.length - 1]]]);
  });
});
