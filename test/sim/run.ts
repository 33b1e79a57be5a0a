// Runs one simulation case to completion and reports the first violated property, with the
// command that replays it. Any exception from the core other than a documented refusal is a
// failure too ('Core Crash'): the core's assertions are part of what the simulator exercises.

import { SimCluster } from './cluster.js';
import type { SimStats } from './cluster.js';
import type { CoreMutator } from './host.js';
import { encodeSchedule, replayCommand } from './schedule.js';
import type { SimCase } from './schedule.js';
import { SimViolation } from './violation.js';

export interface RunResult {
  readonly violation: SimViolation | null;
  readonly stats: SimStats;
}

export function runCase(simCase: SimCase, mutate?: CoreMutator): RunResult {
  const cluster = new SimCluster(simCase, mutate);
  try {
    cluster.run();
    return { violation: null, stats: cluster.stats };
  } catch (err) {
    if (err instanceof SimViolation) return { violation: err, stats: cluster.stats };
    const detail = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err);
    return { violation: new SimViolation('Core Crash', detail), stats: cluster.stats };
  }
}

/** Throws an Error naming the violation, the seed, the schedule and the replay command. */
export function assertCaseSafe(simCase: SimCase, mutate?: CoreMutator): SimStats {
  const { violation, stats } = runCase(simCase, mutate);
  if (violation !== null) throw new Error(formatFailure(simCase, violation, stats));
  return stats;
}

export function formatFailure(simCase: SimCase, violation: SimViolation, stats: SimStats, mutant?: string): string {
  return [
    `simulation violated ${violation.invariant} after ${stats.units} units`,
    `  ${violation.detail}`,
    `  SIM_SEED=${simCase.seed}`,
    `  SIM_SCHEDULE=${encodeSchedule(simCase.schedule)}`,
    `  replay: ${replayCommand(simCase, mutant)}`,
  ].join('\n');
}
