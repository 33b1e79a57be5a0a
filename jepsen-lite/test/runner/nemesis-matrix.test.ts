// Issue 15's nemesis matrix: the cells it plans (rows × workloads × sizes, then one seed per
// mutant on both builds) and the table it renders, with unexpected verdicts in bold.
import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/checkers/index.js';
import { recordOf } from '../../src/run/matrix.js';
import { MATRIX_ROWS, MUTANT_PROOFS, planNemesisMatrix, renderNemesisMatrix, type RecordedRuns } from '../../src/run/nemesis-matrix.js';
import { defaultOptions } from '../../src/run/options.js';
import type { RunOutcome } from '../../src/run/runner.js';

const base = { ...defaultOptions(), faultMs: 20_000, calmMs: 2_000 };

describe('nemesis matrix plan', () => {
  const cells = planNemesisMatrix(base);

  it('has every row on register/append/watch × 3/5 members, then each mutant on one seed with and without KITE_MUTANT', () => {
    expect(cells.length).toBe(MATRIX_ROWS.length * 6 + MUTANT_PROOFS.length * 2);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    const clock5 = cells.find((c) => c.id === 'clock/watch/n5');
    expect(clock5?.options.serverEnv).toEqual({ KITE_LEASE_READS: 'true' });
    expect(clock5?.command).toContain('--nodes 5 --workload watch --nemesis clock --time 20 --seed 1');
    const netns = cells.find((c) => c.id === 'partition (netns)/append/n3');
    expect(netns?.options.net).toBe('netns');
    expect(netns?.options.nemeses).toContain('partition-one-way');
    expect(netns?.command).toContain('--net netns');
    const healthy = cells.find((c) => c.id === 'mutant/blackhole-snapshot/healthy');
    const mutant = cells.find((c) => c.id === 'mutant/blackhole-snapshot/watch-ignore-restore');
    expect([healthy?.expect, mutant?.expect]).toEqual(['valid', 'invalid']);
    expect(mutant?.command).toBe(`${healthy?.command ?? ''} --server-env KITE_MUTANT=watch-ignore-restore`);
  });

  it('pairs every nemesis row with a mutant but gray-follower: client mutants by --client-mutant, partitions on netns', () => {
    const rows = new Set(MATRIX_ROWS.map((r) => r.label.replace(' (netns)', '')));
    for (const p of MUTANT_PROOFS) rows.delete(p.label.replace(' (netns)', '').replace(/^partition-leader$/, 'partition'));
    expect([...rows]).toEqual(['gray-follower']);
    const healthy = cells.find((c) => c.id === 'mutant/client-delay/healthy');
    const mutant = cells.find((c) => c.id === 'mutant/client-delay/watch-resume-from-now');
    expect(healthy?.options.clientMutant).toBeNull();
    expect(healthy?.options.serverEnv).toEqual({});
    expect(mutant?.command).toBe(`${healthy?.command ?? ''} --client-mutant watch-resume-from-now`);
    const netns = cells.find((c) => c.id === 'mutant/partition-leader (netns)/leader-reads-without-quorum');
    expect(netns?.command).toContain('--nemesis partition-leader');
    expect(netns?.command).toContain('--net netns --server-env KITE_MUTANT=leader-reads-without-quorum');
    const gray = cells.find((c) => c.id === 'mutant/gray-leader/healthy');
    expect(gray?.command).toContain('--concurrency 10');
    expect(renderNemesisMatrix(cells, {}, ['# t'])).toContain('| gray-leader | register, 10 clients | 3 | server follower-local-reads | — | — |');
  });

  it('renders recorded cells, dashes for the rest, and bolds a verdict that is not the expected one', () => {
    const result = (checker: string, v: CheckResult['valid'], message = ''): CheckResult => ({ checker, valid: v, anomalies: message === '' ? [] : [{ type: 'x', message }], stats: {} });
    const ok: RunOutcome = { dir: '/tmp/a', valid: true, results: [result('liveness', true)], error: null };
    const bad: RunOutcome = { dir: '/tmp/b', valid: false, results: [result('watch', false, 'revision went back')], error: null };
    const at = (id: string) => cells.find((c) => c.id === id)!;
    const runs: RecordedRuns = {
      'gray-leader/register/n3': { ...recordOf(at('gray-leader/register/n3'), ok, null, 30_000), finishedAt: 'T' },
      'failpoint/watch/n5': { ...recordOf(at('failpoint/watch/n5'), bad, null, 30_000), finishedAt: 'T' },
      'mutant/blackhole-snapshot/watch-ignore-restore': { ...recordOf(at('mutant/blackhole-snapshot/watch-ignore-restore'), bad, null, 30_000), finishedAt: 'T' },
    };
    const text = renderNemesisMatrix(cells, runs, ['# t']);
    expect(text).toContain(`3 of ${cells.length} runs recorded; 1 not as expected (in bold).`);
    expect(text).toContain('| gray-leader | valid | — | — | — | — | — |');
    expect(text).toContain('| failpoint | — | — | — | — | — | **INVALID (watch)** |');
    expect(text).toContain('| blackhole-snapshot | watch | 31 | server watch-ignore-restore | — | INVALID (watch) |');
    expect(text).toContain('  - watch: false, 1 anomalies; first: revision went back');
  });
});
