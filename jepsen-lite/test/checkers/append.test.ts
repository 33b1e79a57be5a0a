import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkAppend } from '../../src/checkers/append/index.js';
import type { CycleStep } from '../../src/checkers/append/index.js';
import { pairOperations } from '../../src/history/operations.js';
import type { Json, Operation } from '../../src/history/types.js';
import { HistoryBuilder } from '../support/builder.js';
import { simulateAppends } from '../support/append-sim.js';

type Micro = readonly [string, string, Json];

/** A committed read (reader, micro-op position) whose last element's writer completed before the reader began. */
function staleable(ops: readonly Operation[]): { reader: Operation; micro: number } | null {
  const writerOf = new Map<string, Operation>();
  for (const op of ops) {
    if (op.f !== 'txn' || op.type !== 'ok') continue;
    for (const m of op.value as Json[][]) if (m[0] === 'append') writerOf.set(`${String(m[1])}/${String(m[2])}`, op);
  }
  for (const reader of ops) {
    if (reader.type !== 'ok') continue;
    const micro = reader.value as Json[][];
    for (let i = 0; i < micro.length; i++) {
      const [f, key, list] = micro[i] as [string, string, Json];
      const ownBefore = micro.slice(0, i).some((m) => m[0] === 'append' && m[1] === key);
      if (f !== 'r' || ownBefore || !Array.isArray(list) || list.length === 0) continue;
      const w = writerOf.get(`${key}/${String(list[list.length - 1])}`);
      if (w !== undefined && w !== reader && w.completeIndex !== null && w.completeIndex < reader.invokeIndex) return { reader, micro: i };
    }
  }
  return null;
}
const txn = (h: HistoryBuilder, p: number, micro: readonly Micro[], result?: readonly Micro[]): HistoryBuilder =>
  h.op(p, 'txn', undefined, micro.map((m) => (m[0] === 'r' ? [m[0], m[1], null] : [...m])), (result ?? micro).map((m) => [...m]));
const check = (h: HistoryBuilder, realtime = true) => checkAppend(pairOperations(h.entries).operations, { realtime });
const types = (h: HistoryBuilder, realtime = true) => check(h, realtime).anomalies.map((a) => a.type);
const cycleOf = (h: HistoryBuilder) => {
  const cycle = check(h).anomalies[0]?.['cycle'] as CycleStep[];
  return cycle.map((s) => [s.from, s.kind, s.to]);
};

describe('append checker (Elle-style)', () => {
  it('accepts a serial history', () => {
    const h = new HistoryBuilder();
    txn(h, 0, [['append', 'x', 1], ['r', 'x', [1]]]);
    txn(h, 1, [['r', 'x', [1]], ['append', 'x', 2]]);
    txn(h, 0, [['r', 'x', [1, 2]]]);
    const r = check(h);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats['ww']).toBe(1);
  });

  it('finds G0 (write cycle) and reports its edges', () => {
    const h = new HistoryBuilder();
    txn(h, 0, [['append', 'x', 1], ['append', 'y', 1]]); // #0
    txn(h, 1, [['append', 'x', 2], ['append', 'y', 2]]); // #1
    txn(h, 2, [['r', 'x', [1, 2]]]); // #2
    txn(h, 2, [['r', 'y', [2, 1]]]); // #3
    expect(types(h)).toEqual(['G0']);
    expect(cycleOf(h)).toEqual([[0, 'ww', 1], [1, 'ww', 0]]);
    expect(check(h).anomalies[0]?.message).toBe('G0: #0 -ww x:[1,2]-> #1 -ww y:[2,1]-> #0');
  });

  it('finds G1c (circular information flow)', () => {
    const h = new HistoryBuilder()
      .invoke(0, 'txn', undefined, [['append', 'x', 1], ['r', 'y', null]])
      .invoke(1, 'txn', undefined, [['append', 'y', 1], ['r', 'x', null]])
      .ok(0, [['append', 'x', 1], ['r', 'y', [1]]])
      .ok(1, [['append', 'y', 1], ['r', 'x', [1]]]);
    expect(types(h)).toEqual(['G1c']);
    expect(cycleOf(h)).toEqual([[0, 'wr', 1], [1, 'wr', 0]]);
  });

  it('finds G-single (read skew: one anti-dependency)', () => {
    const h = new HistoryBuilder()
      .invoke(0, 'txn', undefined, [['r', 'x', null], ['r', 'y', null]])
      .invoke(1, 'txn', undefined, [['append', 'x', 1], ['append', 'y', 1]])
      .ok(1, [['append', 'x', 1], ['append', 'y', 1]])
      .ok(0, [['r', 'x', []], ['r', 'y', [1]]]);
    txn(h, 2, [['r', 'x', [1]]]);
    expect(types(h)).toEqual(['G-single']);
    const cycle = cycleOf(h);
    expect(cycle.map((e) => e[1]).sort()).toEqual(['rw', 'wr']);
    expect(new Set(cycle.map((e) => e[0]))).toEqual(new Set([0, 1]));
  });

  it('finds G2 (write skew: two anti-dependencies)', () => {
    const h = new HistoryBuilder()
      .invoke(0, 'txn', undefined, [['r', 'x', null], ['append', 'y', 1]])
      .invoke(1, 'txn', undefined, [['r', 'y', null], ['append', 'x', 1]])
      .ok(0, [['r', 'x', []], ['append', 'y', 1]])
      .ok(1, [['r', 'y', []], ['append', 'x', 1]]);
    txn(h, 2, [['r', 'x', [1]], ['r', 'y', [1]]]);
    expect(types(h)).toEqual(['G2']);
    expect(cycleOf(h)).toEqual([[0, 'rw', 1], [1, 'rw', 0]]);
  });

  it('finds G1a (aborted read)', () => {
    const h = new HistoryBuilder().invoke(0, 'txn', undefined, [['append', 'x', 1]]).fail(0);
    txn(h, 1, [['r', 'x', [1]]]);
    const r = check(h);
    expect(r.anomalies.map((a) => [a.type, a['op'], a['writer']])).toEqual([['G1a', 1, 0]]);
  });

  it('finds G1b (intermediate read)', () => {
    const h = new HistoryBuilder();
    txn(h, 0, [['append', 'x', 1], ['append', 'x', 2]]);
    txn(h, 1, [['r', 'x', [1]]]);
    expect(check(h).anomalies.map((a) => [a.type, a['op'], a['writer'], a['element']])).toEqual([['G1b', 1, 0, 1]]);
  });

  it('finds duplicates in a list', () => {
    const h = new HistoryBuilder();
    txn(h, 0, [['append', 'x', 1]]);
    txn(h, 1, [['r', 'x', [1, 1]]]);
    expect(check(h).anomalies.map((a) => [a.type, a['key'], a['element']])).toEqual([['duplicate-elements', 'x', 1]]);
  });

  it('finds incompatible orders', () => {
    const h = new HistoryBuilder();
    txn(h, 0, [['append', 'x', 1]]);
    txn(h, 1, [['append', 'x', 2]]);
    txn(h, 2, [['r', 'x', [1, 2]]]);
    txn(h, 3, [['r', 'x', [2, 1]]]);
    const r = check(h);
    expect(r.anomalies.map((a) => [a.type, a['key']])).toEqual([['incompatible-order', 'x']]);
  });

  it('finds a stale read only as a real-time cycle (strict serializability)', () => {
    const h = new HistoryBuilder();
    txn(h, 0, [['append', 'x', 1]]); // #0 completes...
    txn(h, 1, [['r', 'x', []]]); // #1 ...before this starts, yet misses it
    txn(h, 2, [['r', 'x', [1]]]);
    expect(types(h)).toEqual(['G-single-realtime']);
    expect(cycleOf(h)).toEqual([[0, 'rt', 1], [1, 'rw', 0]]);
    expect(types(h, false)).toEqual([]);
  });

  it('flags reads that miss their own appends', () => {
    const h = new HistoryBuilder();
    txn(h, 0, [['append', 'x', 1], ['r', 'x', []]]);
    expect(types(h)).toEqual(['internal']);
  });

  it('passes a simulated concurrent history of 1,500 transactions with bounded work', () => {
    const entries = simulateAppends({ seed: 11, ops: 1500, keys: 6, workers: 10 });
    const { operations } = pairOperations(entries);
    expect(operations.length).toBe(1500);
    expect(operations.filter((op) => op.type === 'info').length).toBeGreaterThan(10);
    const r = checkAppend(operations);
    expect(r.anomalies).toEqual([]);
    expect(r.valid).toBe(true);
    expect(r.stats['cycleSearchSteps']).toBe(0);
    expect((r.stats['ww'] ?? 0) + (r.stats['wr'] ?? 0) + (r.stats['rw'] ?? 0)).toBeLessThan(10 * operations.length);
    expect(r.stats['rt']).toBeLessThan(20 * operations.length);
  });

  it('accepts every simulated history, and catches a read made stale (property)', () => {
    let exercised = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const ops = pairOperations(simulateAppends({ seed, ops: 150, keys: 3, workers: 5 })).operations;
        expect(checkAppend(ops).anomalies).toEqual([]);
        // Drop the last element of a read whose writer finished before the reader started.
        const target = staleable(ops);
        if (target === null) return;
        exercised++;
        const { reader, micro } = target;
        const stale = ops.map((op) => (op !== reader ? op : {
          ...op,
          value: (op.value as Json[][]).map((m, i) => (i !== micro ? m : ['r', m[1] ?? null, (m[2] as Json[]).slice(0, -1)])),
        }));
        const r = checkAppend(stale);
        expect(r.valid).toBe(false);
        expect(r.anomalies.some((a) => Array.isArray(a['ops']) && (a['ops'] as number[]).includes(reader.id))).toBe(true);
      }),
      { numRuns: 20 },
    );
    expect(exercised).toBeGreaterThanOrEqual(15);
  });
});
