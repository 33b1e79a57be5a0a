// Long runs of the host simulation, outside CI:
//   npx tsc -b && npx tsx test/sim/real-host/soak.ts --seeds 10000 [--seed S] [--members 3|5] [--run-ms N] [--mutant NAME] [--keep-going]
// (root: `pnpm sim:host-soak -- --seeds N`). Seeds S, S+1, ... S+N-1; members alternate 3 and 5
// unless --members is given. Prints the first failure with its replay command and exits 1
// (--keep-going counts failures instead); always ends with a `host sim soak summary:` line.
// Runs from the built packages (dist), as the server does: build first.

import { parseArgs } from 'node:util';
import { MUTANT_NAMES, type MutantName } from '../../../packages/server/src/mutants.js';
import { HOST_SIM_DEFAULTS, type HostSimOptions } from './cluster.js';
import { formatHostSimFailure, runHostSim } from './run.js';

/** Progress lines over a whole soak. */
const PROGRESS_LINES_MAX = 20;
/** Failures printed in full with --keep-going. */
const FAILURES_PRINTED_MAX = 5;

function intArg(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${raw}`);
  return n;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      seeds: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      members: { type: 'string' },
      'run-ms': { type: 'string' },
      mutant: { type: 'string' },
      'keep-going': { type: 'boolean', default: false },
    },
  });
  const seeds = intArg(values.seeds, 'seeds', 100);
  const first = intArg(values.seed, 'seed', 1);
  const runMs = intArg(values['run-ms'], 'run-ms', HOST_SIM_DEFAULTS.runMs);
  const members = values.members === undefined ? null : intArg(values.members, 'members', 3);
  if (members !== null && members !== 3 && members !== 5) throw new Error(`--members must be 3 or 5, got ${members}`);
  const mutant = values.mutant ?? null;
  if (mutant !== null && !(MUTANT_NAMES as readonly string[]).includes(mutant)) throw new Error(`unknown --mutant ${mutant} (known: ${MUTANT_NAMES.join(', ')})`);
  const startedMs = performance.now();
  let failures = 0;
  let events = 0;
  let opsOk = 0;
  let snapshots = 0;
  let installCrashes = 0;
  let powerCuts = 0;
  let storeRollbacks = 0;
  const every = Math.max(1, Math.ceil(seeds / PROGRESS_LINES_MAX));
  for (let i = 0; i < seeds; i++) {
    const opts: HostSimOptions = { seed: first + i, members: members ?? (i % 2 === 0 ? 3 : 5), runMs, mutant: mutant as MutantName | null };
    const r = await runHostSim(opts);
    events += r.stats.events;
    opsOk += r.stats.opsOk;
    snapshots += r.stats.snapshotsSent;
    installCrashes += r.stats.installCrashes;
    powerCuts += r.stats.crashes;
    storeRollbacks += r.stats.storeRollbacks;
    if (r.violation !== null) {
      failures++;
      if (failures <= FAILURES_PRINTED_MAX) console.log(formatHostSimFailure(opts, r));
      if (!values['keep-going']) break;
    }
    if ((i + 1) % every === 0) console.log(`  ${i + 1}/${seeds} seeds, ${failures} failing, ${Math.round((performance.now() - startedMs) / 1000)} s`);
  }
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  console.log(`host sim soak summary: seeds ${first}..${first + seeds - 1}, ${failures} failing, ${events} events, ${opsOk} ok client ops, ${powerCuts} power cuts, ${snapshots} snapshots sent, ${installCrashes} crashes mid-install, ${storeRollbacks} stores rolled back, ${seconds} s${mutant === null ? '' : `, mutant ${mutant}`}`);
  return failures === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
