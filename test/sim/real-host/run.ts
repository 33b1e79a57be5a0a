// Runs one host simulation from its seed and reports a violation with the command that replays
// it. Anything thrown other than a HostSimViolation (an assertion in the host, the WAL, the
// core or the store) is a failure too: those assertions are part of what the simulation checks.

import { MUTANT_ENV } from '../../../packages/server/src/mutants.js';
import { HostSimCluster, HostSimViolation, HOST_SIM_DEFAULTS, type HostSimOptions, type HostSimStats } from './cluster.js';

export interface HostSimResult {
  readonly violation: HostSimViolation | null;
  readonly stats: HostSimStats;
}

/**
 * Runs one simulation. A mutant reaches the host through HostDeps.mutant and, for the mutants
 * the store adapter reads from the environment (watch-ignore-restore), through KITE_MUTANT,
 * set for the run's duration only.
 */
export async function runHostSim(options: HostSimOptions): Promise<HostSimResult> {
  const saved = process.env[MUTANT_ENV];
  if (options.mutant === null) delete process.env[MUTANT_ENV];
  else process.env[MUTANT_ENV] = options.mutant;
  try {
    return await runCluster(options);
  } finally {
    if (saved === undefined) delete process.env[MUTANT_ENV];
    else process.env[MUTANT_ENV] = saved;
  }
}

async function runCluster(options: HostSimOptions): Promise<HostSimResult> {
  const cluster = new HostSimCluster(options);
  try {
    return { violation: null, stats: await cluster.run() };
  } catch (err) {
    cluster.stats.events = cluster.world.eventsRun;
    cluster.stats.simMs = cluster.world.nowMs;
    const violation = err instanceof HostSimViolation ? err : new HostSimViolation('Crash', err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ''}` : String(err));
    return { violation, stats: cluster.stats };
  }
}

/** The command that replays one run. */
export function hostSimReplayCommand(options: HostSimOptions): string {
  const extra = [
    options.members !== HOST_SIM_DEFAULTS.members ? ` --members ${options.members}` : '',
    options.runMs !== HOST_SIM_DEFAULTS.runMs ? ` --run-ms ${options.runMs}` : '',
    options.mutant !== null ? ` --mutant ${options.mutant}` : '',
  ].join('');
  return `npx tsc -b && npx tsx test/sim/real-host/soak.ts --seed ${options.seed} --seeds 1${extra}`;
}

export function formatHostSimFailure(options: HostSimOptions, r: HostSimResult): string {
  const v = r.violation;
  return [
    `host simulation violated ${v?.invariant ?? '?'} (seed ${options.seed}, ${r.stats.events} events)`,
    `  ${v?.detail ?? ''}`,
    `  SIM_HOST_SEED=${options.seed}`,
    `  replay: ${hostSimReplayCommand(options)}`,
  ].join('\n');
}
