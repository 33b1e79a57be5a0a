import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checkers/index.js';
import { runCommandLine } from '../../src/run/command-line.js';
import { MATRIX_RUNS_MAX, planMatrix, recordOf, renderMatrixMarkdown, type MatrixSummary } from '../../src/run/matrix.js';
import { defaultOptions } from '../../src/run/options.js';
import type { RunOutcome } from '../../src/run/runner.js';

describe('runCommandLine', () => {
  it('names the run and adds only the options that differ from the defaults', () => {
    const d = defaultOptions();
    expect(runCommandLine({ ...d, nemeses: ['kill-one', 'pause-leader'], seed: 9 }))
      .toBe('node jepsen-lite/dist/cli.js run --nodes 3 --workload register --nemesis kill-one,pause-leader --time 60 --seed 9');
    expect(runCommandLine({ ...d, nemeses: [], faultMs: 15_000, holdMs: [1500, 3000], quietMs: [500, 500], storeDir: '/tmp/a b', keepData: true }))
      .toBe("node jepsen-lite/dist/cli.js run --nodes 3 --workload register --nemesis none --time 15 --seed 1 --hold 1500..3000 --quiet 500 --store '/tmp/a b' --keep-data");
  });
});

describe('matrix', () => {
  const base = { ...defaultOptions(), nodes: 5, seed: 3, faultMs: 15_000, storeDir: '/tmp/m' };

  it('plans workload-major cells; a cell is a nemesis, a group or names joined with +', () => {
    const cells = planMatrix(base, ['register', 'lock'], ['pause', 'kill-one+delay']);
    expect(cells.map((c) => [c.workload, c.nemesis, c.options.nemeses, c.options.test])).toEqual([
      ['register', 'pause', ['pause-one', 'pause-leader'], 'register-pause-n5'],
      ['register', 'kill-one+delay', ['kill-one', 'delay'], 'register-kill-one+delay-n5'],
      ['lock', 'pause', ['pause-one', 'pause-leader'], 'lock-pause-n5'],
      ['lock', 'kill-one+delay', ['kill-one', 'delay'], 'lock-kill-one+delay-n5'],
    ]);
    expect(cells[3]?.command).toBe(runCommandLine(cells[3]!.options));
    expect(cells[3]?.command).toContain('--workload lock --nemesis kill-one,delay --time 15 --seed 3');
    expect(() => planMatrix(base, ['register'], ['no-such-fault'])).toThrow(RangeError);
    expect(() => planMatrix(base, ['register'], Array.from({ length: MATRIX_RUNS_MAX + 1 }, () => 'pause'))).toThrow(RangeError);
  });

  it('records verdicts and failing checkers, and renders the table with every run', () => {
    const [valid, broken] = planMatrix(base, ['lock-unfenced'], ['compact', 'pause']);
    const result = (checker: string, v: CheckResult['valid'], anomalies: CheckResult['anomalies'] = []): CheckResult => ({ checker, valid: v, anomalies, stats: {} });
    const ok: RunOutcome = { dir: '/tmp/m/x/1', valid: true, results: [result('mutex', true), result('liveness', true)], error: null };
    const bad: RunOutcome = {
      dir: '/tmp/m/x/2', valid: false, error: null,
      results: [result('mutex', false, [{ type: 'overlap', message: 'holders 1 | 2 overlap' }]), result('liveness', 'unknown')],
    };
    const r1 = recordOf(valid!, ok, null, 20_000);
    const r2 = recordOf(broken!, bad, null, 21_000);
    const r3 = recordOf(broken!, null, 'Error: spawn failed\n  at x', 5);
    expect([r1.valid, r1.failures, r1.checkers]).toEqual([true, [], { mutex: true, liveness: true }]);
    expect(r2.failures).toEqual([
      { checker: 'mutex', valid: false, anomalies: 1, first: 'holders 1 | 2 overlap' },
      { checker: 'liveness', valid: 'unknown', anomalies: 0, first: '' },
    ]);
    expect([r3.valid, r3.dir, r3.error]).toEqual(['unknown', null, 'Error: spawn failed\n  at x']);
    const s: MatrixSummary = {
      nodes: 5, seed: 3, workloads: ['lock-unfenced', 'lease'], nemeses: ['compact', 'pause'],
      startedAt: 'T0', finishedAt: null, planned: 4, runs: [r1, r2],
    };
    const text = renderMatrixMarkdown(s);
    expect(text).toContain('| workload | compact | pause |');
    expect(text).toContain('| lock-unfenced | valid | **INVALID** (mutex, liveness) |');
    expect(text).toContain('| lease | — | — |');
    expect(text).toContain('in progress (2 of 4 runs done)');
    expect(text).toContain(`\`${broken!.command}\``);
    expect(text).toContain('first: holders 1 \\| 2 overlap');
  });
});
