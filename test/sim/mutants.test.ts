// Proof that the simulator can fail: each test-only mutant of the core must be caught by the
// generated schedules within a bounded number of runs, and by the property it breaks.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CoreMutator } from './host.js';
import { commitOldTermByCount, readWithoutQuorumCheck, voteWithoutUpToDateCheck } from './mutants.js';
import { casesArb, fcSeedFromEnv } from './properties.js';
import { runCase } from './run.js';
import type { InvariantName } from './violation.js';

/** Runs within which each mutant must be caught. */
const runsMax = 300;

interface MutantCase {
  readonly name: string;
  readonly mutate: CoreMutator;
  readonly nodes: 3 | 5;
  readonly breaks: readonly InvariantName[];
}

const cases: readonly MutantCase[] = [
  {
    name: 'vote without the up-to-date check',
    mutate: voteWithoutUpToDateCheck,
    nodes: 3,
    breaks: ['Leader Completeness', 'State Machine Safety', 'Log Matching', 'Linearizable Read'],
  },
  {
    name: 'commit an old-term entry by counting replicas',
    mutate: commitOldTermByCount,
    nodes: 5,
    breaks: ['Leader Completeness', 'State Machine Safety', 'Linearizable Read'],
  },
  {
    name: 'answer ReadIndex without confirming leadership',
    mutate: readWithoutQuorumCheck,
    nodes: 3,
    breaks: ['Linearizable Read'],
  },
];

describe('mutants of the core are caught', () => {
  it.each(cases)('$name', ({ mutate, nodes, breaks }) => {
    const result = fc.check(
      fc.property(casesArb(nodes), (simCase) => runCase(simCase, mutate).violation === null),
      { numRuns: runsMax, seed: fcSeedFromEnv(), endOnFailure: true },
    );
    expect(result.failed).toBe(true);
    expect(result.numRuns).toBeLessThanOrEqual(runsMax);
    const counterexample = result.counterexample?.[0];
    expect(counterexample).toBeDefined();
    if (counterexample === undefined) return;
    const { violation } = runCase(counterexample, mutate);
    expect(violation).not.toBeNull();
    expect(breaks).toContain(violation?.invariant);
    // The unmutated core survives the very schedule that caught the mutant.
    expect(runCase(counterexample).violation).toBeNull();
  });
});
