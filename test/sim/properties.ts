// The fast-check properties shared by the CI tests and the soak command: one generated case is
// one simulation run, which must finish with no property violated. fast-check's seed is fixed
// by default (SIM_FC_SEED overrides it) so CI runs are reproducible.

import fc from 'fast-check';
import type { SimStats } from './cluster.js';
import type { CoreMutator } from './host.js';
import { assertCaseSafe } from './run.js';
import { simCaseArb } from './schedule.js';
import type { ScheduleSize, SimCase } from './schedule.js';
import { ciSize } from './schedule.js';

export const defaultFcSeed = 20_261_121;

export function fcSeedFromEnv(): number {
  const raw = process.env['SIM_FC_SEED'];
  return raw === undefined ? defaultFcSeed : Number(raw);
}

export type NodesChoice = 3 | 5 | 'mixed';

export function casesArb(nodes: NodesChoice, size: ScheduleSize = ciSize): fc.Arbitrary<SimCase> {
  return nodes === 'mixed' ? fc.oneof(simCaseArb(3, size), simCaseArb(5, size)) : simCaseArb(nodes, size);
}

/** Totals over the runs of a property, to show the runs exercised what they claim to. */
export interface Coverage {
  runs: number;
  crashes: number;
  leaderTerms: number;
  writesAcked: number;
  readsServed: number;
  snapshotsRestored: number;
  confChangesApplied: number;
  membersRetired: number;
  units: number;
}

export function emptyCoverage(): Coverage {
  return {
    runs: 0,
    crashes: 0,
    leaderTerms: 0,
    writesAcked: 0,
    readsServed: 0,
    snapshotsRestored: 0,
    confChangesApplied: 0,
    membersRetired: 0,
    units: 0,
  };
}

export function addCoverage(c: Coverage, s: SimStats): void {
  c.runs++;
  c.crashes += s.crashes;
  c.leaderTerms += s.leaderTerms;
  c.writesAcked += s.writesAcked;
  c.readsServed += s.readsServed;
  c.snapshotsRestored += s.snapshotsRestored;
  c.confChangesApplied += s.confChangesApplied;
  c.membersRetired += s.membersRetired;
  c.units += s.units;
}

/** The safety-and-liveness property; `onRun` sees the stats of every passing run. */
export function simProperty(
  arb: fc.Arbitrary<SimCase>,
  mutate?: CoreMutator,
  onRun?: (stats: SimStats) => void,
): fc.IPropertyWithHooks<[SimCase]> {
  return fc.property(arb, (simCase) => {
    const stats = assertCaseSafe(simCase, mutate);
    onRun?.(stats);
  });
}
