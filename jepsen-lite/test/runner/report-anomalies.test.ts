// What the report says about a run: a cas whose compare did not hold is an answer (ok, false),
// not a failure, and the checkers judge it as one; a failing window covers the operations that
// answered around the violation, not an indeterminate write pending since an old fault; an
// anomaly names the member that served the operations it points at.

import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/checkers/index.js';
import { renderReport, runRates } from '../../src/report/report-html.js';
import { defaultOptions } from '../../src/run/options.js';
import { HistoryBuilder } from '../support/builder.js';

const verdicts = (h: HistoryBuilder) => {
  const v = checkHistory(h.entries, { workload: 'register' });
  return Object.fromEntries(v.results.map((r) => [r.checker, r]));
};

describe('a cas whose compare did not hold', () => {
  const planted = (held: number): HistoryBuilder => new HistoryBuilder()
    .op(0, 'write', 'k', held, held)
    .invoke(1, 'cas', 'k', [2, 3]).ok(1, false)
    .op(0, 'read', 'k', null, held)
    .observe('n1', 'final-read', { node: 'n1', kvs: { k: held } });

  it('is ok with value false: linearizable, no lost write, counted as ok in the report', () => {
    const h = planted(1);
    const r = verdicts(h);
    expect(r['linearizability/register']?.valid).toBe(true);
    expect(r['durability']?.valid).toBe(true);
    const html = renderReport({ title: 't', entries: h.entries, phases: [], events: [], results: [], valid: true, error: null, options: defaultOptions() });
    expect(html).toContain('Operations: 3 (ok 3, of which 1 answered false: a compare that did not hold, fail 0, info 0)');
  });

  it('is refuted when the register held the expected value', () => {
    const r = verdicts(planted(2));
    expect(r['linearizability/register']?.valid).toBe(false);
    expect(r['linearizability/register']?.anomalies[0]?.message).toContain('cas [2,3] → false');
  });
});

describe('anomalies in the report', () => {
  function staleRead(): HistoryBuilder {
    // Process 9's write hangs from the start (never answered, read back at the very end, so it
    // is still pending at the violation); much later n3 serves a stale read.
    const h = new HistoryBuilder().invoke(9, 'write', 'k', 5).sleep(30_000);
    for (let v = 1; v <= 3; v++) h.invoke(0, 'write', 'k', v).ok(0, v, { node: 'n1' });
    return h.invoke(1, 'read', 'k', null).ok(1, 2, { node: 'n3' }).op(1, 'read', 'k', null, 5);
  }

  it('draws the failing window around the answered ops, not back to an old pending write', () => {
    const lin = verdicts(staleRead())['linearizability/register'];
    expect(lin?.valid).toBe(false);
    expect(lin?.anomalies[0]?.['concurrent']).toMatchObject([{ process: 9, type: 'info' }]);
    const w = lin?.anomalies[0]?.['window'] as { fromIndex: number; toIndex: number };
    expect(w.fromIndex).toBe(7);
    expect(w.toIndex).toBe(8);
  });

  it('names the member that served the offending operation', () => {
    const a = verdicts(staleRead())['linearizability/register']?.anomalies[0];
    expect(a?.message).toContain('(served by #4 n3)');
    expect(a?.['servedBy']).toEqual({ 4: 'n3' });
  });
});

describe('rates per span', () => {
  it('gives ok operations per second in each phase and each fault window', () => {
    const h = new HistoryBuilder();
    for (let i = 0; i < 10; i++) h.sleep(100).op(0, 'write', 'k', i).sleep(98);
    h.nemesis('start-delay', { kind: 'gray-leader', node: 'n1' });
    for (let i = 0; i < 2; i++) h.sleep(500).op(0, 'read', 'k', null, 9).sleep(498);
    h.nemesis('stop-delay', { kind: 'gray-leader', node: 'n1' });
    const calmEndNs = h.entries[20]?.time ?? 0;
    const rates = runRates(h.entries, [{ name: 'calm', startNs: 0, endNs: calmEndNs }]);
    expect(rates.map((r) => [r.label, r.okPerS, r.okWritesPerS])).toEqual([['phase calm', 5, 5], ['gray-leader n1', 1, 0]]);
  });
});
