// CI-sized property runs: generated fault schedules and client traffic on 3 and 5 members,
// every Raft safety property checked after every step, liveness after healing. A failure
// prints the seed, the shrunk schedule and the command that replays it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addCoverage, casesArb, emptyCoverage, fcSeedFromEnv, simProperty } from './properties.js';

const runsPerSize = 300;

describe.each([3, 5] as const)('raft simulation, %i members', (nodes) => {
  it(`keeps every safety property and settles after healing (${runsPerSize} schedules)`, () => {
    const coverage = emptyCoverage();
    fc.assert(
      simProperty(casesArb(nodes), undefined, (s) => addCoverage(coverage, s)),
      { numRuns: runsPerSize, seed: fcSeedFromEnv() + nodes },
    );
    // The schedules really exercised crashes, elections, writes, reads, snapshots and
    // membership changes.
    expect(coverage.runs).toBeGreaterThanOrEqual(runsPerSize);
    expect(coverage.crashes).toBeGreaterThan(runsPerSize / 2);
    expect(coverage.leaderTerms).toBeGreaterThan(runsPerSize * 2);
    expect(coverage.writesAcked).toBeGreaterThan(runsPerSize);
    expect(coverage.readsServed).toBeGreaterThan(runsPerSize / 2);
    expect(coverage.snapshotsRestored).toBeGreaterThan(0);
    expect(coverage.confChangesApplied).toBeGreaterThan(runsPerSize / 10);
    expect(coverage.membersRetired).toBeGreaterThan(0);
  });
});
