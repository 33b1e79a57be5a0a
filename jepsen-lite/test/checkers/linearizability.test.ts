import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkLinearizability } from '../../src/checkers/linearizability/index.js';
import type { Model } from '../../src/checkers/linearizability/index.js';
import { canonicalJson } from '../../src/checkers/result.js';
import { pairOperations } from '../../src/history/operations.js';
import type { Json, Operation } from '../../src/history/types.js';
import { HistoryBuilder } from '../support/builder.js';
import { simulateRegisters } from '../support/register-sim.js';

const check = (h: HistoryBuilder, stepsMaxPerKey?: number) =>
  checkLinearizability(pairOperations(h.entries).operations, stepsMaxPerKey === undefined ? {} : { stepsMaxPerKey });

describe('linearizability checker (register)', () => {
  it('accepts a sequential history', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1).op(1, 'read', 'x', null, 1).op(0, 'cas', 'x', [1, 2]).op(1, 'read', 'x', null, 2);
    const r = check(h);
    expect(r.valid).toBe(true);
    expect(r.anomalies).toEqual([]);
  });

  it('accepts a read concurrent with a write seeing either value', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1)
      .invoke(0, 'write', 'x', 2).invoke(1, 'read', 'x', null).ok(1, 1).invoke(2, 'read', 'x', null).ok(2, 2).ok(0, 2);
    expect(check(h).valid).toBe(true);
  });

  it('reports a stale read with its window', () => {
    const h = new HistoryBuilder()
      .op(0, 'write', 'x', 1) // id 0
      .op(0, 'write', 'x', 2) // id 1
      .invoke(2, 'cas', 'x', [9, 10]) // id 2: concurrent, indeterminate, can never apply
      .info(2)
      .op(1, 'read', 'x', null, 1); // id 3: stale
    const r = check(h);
    expect(r.valid).toBe(false);
    expect(r.anomalies).toHaveLength(1);
    const a = r.anomalies[0] as unknown as Record<string, unknown> & { stuckOp: Operation; concurrent: Operation[] };
    expect(a.type).toBe('nonlinearizable');
    expect(a.key).toBe('x');
    expect(a.stuckOp.id).toBe(3);
    expect(a.concurrent.map((op) => op.id)).toEqual([2]);
    expect(a.stateAfterPrefix).toBe('value=2 version=2');
    expect(a.prefixTail).toMatchObject([{ id: 0 }, { id: 1 }]);
    expect(a.message).toContain('#3 read → 1');
    expect(a['explain']).toEqual([
      'key x: not linearizable',
      '  longest linearizable prefix: 2 ops:',
      '    #0 write 1  (process 0, entries 0..1)',
      '    #1 write 2  (process 0, entries 2..3)',
      '  state after it: value=2 version=2',
      '  stuck at the return of: #3 read → 1  (process 1, entries 6..7)',
      '  pending then (1):',
      '    #2 cas [9,10] (info)  (process 2, entries 4..∞)',
    ]);
  });

  it('reports a lost write: a later read sees the value from before an acknowledged write', () => {
    const h = new HistoryBuilder().op(0, 'write', 'y', 'a').op(1, 'write', 'y', 'b').op(2, 'read', 'y', null, 'a');
    const r = check(h);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a['key'], (a['stuckOp'] as { id: number }).id])).toEqual([['nonlinearizable', 'y', 2]]);
    expect(r.anomalies[0]?.['linearizedCount']).toBe(2);
  });

  it('checks keys independently and reports only the broken one', () => {
    const h = new HistoryBuilder().op(0, 'write', 'a', 1).op(0, 'read', 'a', null, 1)
      .op(1, 'write', 'b', 1).op(1, 'read', 'b', null, null);
    const r = check(h);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => a['key'])).toEqual(['b']);
    expect(r.stats['keys']).toBe(2);
  });

  it('lets an indeterminate write take effect late, or never', () => {
    const late = new HistoryBuilder().op(0, 'write', 'x', 1).invoke(1, 'write', 'x', 2).info(1)
      .op(0, 'read', 'x', null, 1).op(0, 'read', 'x', null, 2);
    expect(check(late).valid).toBe(true);
    const never = new HistoryBuilder().invoke(1, 'write', 'x', 2).info(1).op(0, 'read', 'x', null, null);
    expect(check(never).valid).toBe(true);
    // ...but once observed it cannot be undone.
    const flicker = new HistoryBuilder().op(0, 'write', 'x', 1).invoke(1, 'write', 'x', 2).info(1)
      .op(0, 'read', 'x', null, 2).op(0, 'read', 'x', null, 1);
    expect(check(flicker).valid).toBe(false);
  });

  it('ignores failed operations and honours cas', () => {
    const h = new HistoryBuilder().op(0, 'write', 'x', 1).invoke(0, 'cas', 'x', [5, 6]).fail(0)
      .op(0, 'cas', 'x', [1, 7]).op(1, 'read', 'x', null, 7);
    expect(check(h).valid).toBe(true);
    const bad = new HistoryBuilder().op(0, 'write', 'x', 1).op(0, 'cas', 'x', [5, 6]);
    expect(check(bad).valid).toBe(false);
  });

  it('explores every outcome of a nondeterministic model', () => {
    // A register whose writes may be silently lost: each write has two possible next states.
    const lossy: Model<Json> = {
      name: 'lossy-register',
      init: null,
      step: (s, op) => (op.f === 'write' ? [op.invokeValue, s] : canonicalJson(op.value) === canonicalJson(s) ? [s] : []),
      key: (s) => canonicalJson(s),
      relevant: (op) => op.type === 'ok',
      describeOp: (op) => `#${op.id} ${op.f}`,
      describeState: (s) => canonicalJson(s),
    };
    const run = (h: HistoryBuilder) => checkLinearizability(pairOperations(h.entries).operations, { model: lossy }).valid;
    expect(run(new HistoryBuilder().op(0, 'write', 'x', 1).op(0, 'read', 'x', null, 1))).toBe(true);
    expect(run(new HistoryBuilder().op(0, 'write', 'x', 1).op(0, 'read', 'x', null, null))).toBe(true);
    expect(run(new HistoryBuilder().op(0, 'write', 'x', 1).op(0, 'read', 'x', null, 2))).toBe(false);
  });

  it('checks versions when reads report them', () => {
    const ok = new HistoryBuilder().op(0, 'write', 'x', 1).op(0, 'write', 'x', 1).op(1, 'read', 'x', null, { value: 1, version: 2 });
    expect(check(ok).valid).toBe(true);
    const bad = new HistoryBuilder().op(0, 'write', 'x', 1).op(0, 'write', 'x', 1).op(1, 'read', 'x', null, { value: 1, version: 1 });
    expect(check(bad).valid).toBe(false);
  });

  it('counts a blind indeterminate write through the versions it bumps', () => {
    const base = () => new HistoryBuilder().op(0, 'write', 'x', 1).invoke(1, 'write', 'x', 2).info(1).op(0, 'write', 'x', 3);
    expect(check(base().op(0, 'read', 'x', null, { value: 3, version: 3 })).valid).toBe(true); // it took effect
    expect(check(base().op(0, 'read', 'x', null, { value: 3, version: 2 })).valid).toBe(true); // it did not
    const r = check(base().op(0, 'read', 'x', null, { value: 3, version: 4 }));
    expect(r.valid).toBe(false);
    expect(r.anomalies[0]?.['stuckOp']).toMatchObject({ id: 3 });
    // Without versions a blind write changes nothing observable and is dropped before the search.
    const plain = checkLinearizability(pairOperations(base().op(0, 'read', 'x', null, 3).entries).operations);
    expect([plain.valid, plain.stats['ops']]).toEqual([true, 3]);
  });

  it('stays polynomial with many indeterminate writes (symmetry of blind writes)', () => {
    const entries = simulateRegisters({ seed: 2, ops: 1000, keys: 2, workers: 10, infoRate: 0.1, versionedReads: true });
    const { operations } = pairOperations(entries);
    expect(operations.filter((op) => op.type === 'info').length).toBeGreaterThan(100);
    const r = checkLinearizability(operations);
    expect(r.valid).toBe(true);
    expect(r.stats['steps']).toBeLessThan(50 * operations.length);
  });

  it("answers 'unknown' when the step budget runs out, deterministically", () => {
    const entries = simulateRegisters({ seed: 7, ops: 300, keys: 1, workers: 6 });
    const ops = pairOperations(entries).operations;
    const full = checkLinearizability(ops);
    expect(full.valid).toBe(true);
    const budget = Math.floor((full.stats['steps'] ?? 0) / 2);
    const cut = checkLinearizability(ops, { stepsMaxPerKey: budget });
    expect(cut.valid).toBe('unknown');
    expect(cut.stats['steps']).toBe(budget);
    expect(cut.anomalies.map((a) => a.type)).toEqual(['search-budget-exhausted']);
  });

  it('passes a simulated concurrent history of 2,000 ops within a bounded number of steps', () => {
    const entries = simulateRegisters({ seed: 42, ops: 2000, keys: 4, workers: 10, versionedReads: true });
    const { operations } = pairOperations(entries);
    expect(operations.length).toBe(2000);
    expect(operations.filter((op) => op.type === 'info').length).toBeGreaterThan(20);
    const r = checkLinearizability(operations);
    expect(r.valid).toBe(true);
    expect(r.stats['steps']).toBeLessThan(50 * operations.length);
  });

  it('accepts every simulated history and rejects it once a read is corrupted (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const entries = simulateRegisters({ seed, ops: 200, keys: 2, workers: 5 });
        const ops = pairOperations(entries).operations;
        expect(checkLinearizability(ops).valid).toBe(true);
        // A read that returns a value nobody ever wrote can never be linearized.
        const read = ops.find((op) => op.f === 'read' && op.type === 'ok');
        if (read === undefined) return;
        const corrupted = ops.map((op) => (op === read ? { ...op, value: -1 } : op));
        const r = checkLinearizability(corrupted);
        expect(r.valid).toBe(false);
        expect(r.anomalies[0]?.['stuckOp']).toMatchObject({ id: read.id });
      }),
      { numRuns: 25 },
    );
  });
});
