// Long simulation runs, outside CI: `npx tsx test/sim/soak.ts --runs N --seed S [--nodes 3|5]`
// (root script: `pnpm sim:soak -- ...`). Without --nodes, runs alternate between 3 and 5
// members. --schedule JSON replays one case with --seed as its simulation seed; --mutant NAME
// runs against a test-only mutant of the core. Prints progress, the shrunk failing seed and
// schedule with a replay command (exit 1), and a one-line summary. --keep-going runs every
// schedule, printing each failure unshrunk (at most failuresPrintedMax), and counts them.

import fc from 'fast-check';
import { parseArgs } from 'node:util';
import type { CoreMutator } from './host.js';
import { isMutantName, mutants } from './mutants.js';
import { addCoverage, casesArb, emptyCoverage } from './properties.js';
import type { NodesChoice } from './properties.js';
import { formatFailure, runCase } from './run.js';
import { decodeSchedule } from './schedule.js';
import type { SimCase } from './schedule.js';

/** Progress lines printed over a whole soak. */
const progressLinesMax = 20;
/** Failures printed in full with --keep-going (the rest are only counted). */
const failuresPrintedMax = 5;

function parseNodes(raw: string | undefined): NodesChoice {
  if (raw === undefined) return 'mixed';
  if (raw === '3') return 3;
  if (raw === '5') return 5;
  throw new Error(`--nodes must be 3 or 5, got ${raw}`);
}

function main(): number {
  // `pnpm sim:soak -- --runs N` may forward the `--` separator itself.
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv[0] === '--' ? argv.slice(1) : argv,
    options: {
      runs: { type: 'string', default: '1000' },
      seed: { type: 'string', default: String(Date.now() % 0x7fffffff) },
      nodes: { type: 'string' },
      schedule: { type: 'string' },
      mutant: { type: 'string' },
      'keep-going': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const seed = Number(values.seed);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) throw new Error('--runs and --seed take integers');
  const nodes = parseNodes(values.nodes);
  const mutant = values.mutant;
  if (mutant !== undefined && !isMutantName(mutant)) throw new Error(`unknown --mutant ${mutant}`);
  const mutate = mutant === undefined ? undefined : mutants[mutant];
  if (values.schedule !== undefined) return replay({ seed, schedule: decodeSchedule(values.schedule) }, mutate, mutant);
  return soak(runs, seed, nodes, mutate, mutant, values['keep-going']);
}

function replay(simCase: SimCase, mutate: CoreMutator | undefined, mutant: string | undefined): number {
  const { violation, stats } = runCase(simCase, mutate);
  if (violation !== null) {
    console.error(formatFailure(simCase, violation, stats, mutant));
    return 1;
  }
  console.log(`sim replay: ok, ${JSON.stringify(stats)}`);
  return 0;
}

function soak(
  runs: number,
  seed: number,
  nodes: NodesChoice,
  mutate: CoreMutator | undefined,
  mutant: string | undefined,
  keepGoing: boolean,
): number {
  const started = performance.now();
  const coverage = emptyCoverage();
  const every = Math.max(1, Math.ceil(runs / progressLinesMax));
  let shrinking = false;
  const failed: string[] = [];
  const result = fc.check(
    fc.property(casesArb(nodes), (simCase) => {
      const { violation, stats } = runCase(simCase, mutate);
      if (violation !== null && keepGoing) {
        failed.push(violation.invariant);
        if (failed.length <= failuresPrintedMax) {
          console.error(`sim soak: run ${coverage.runs + failed.length} failed`);
          console.error(formatFailure(simCase, violation, stats, mutant));
        }
        return true;
      }
      if (violation !== null) {
        if (!shrinking) console.error(`sim soak: violation in run ${coverage.runs + 1} (${violation.invariant}); shrinking...`);
        shrinking = true;
        return false;
      }
      if (!shrinking) {
        addCoverage(coverage, stats);
        if ((coverage.runs + failed.length) % every === 0) {
          const secs = ((performance.now() - started) / 1000).toFixed(1);
          console.log(`sim soak: ${coverage.runs + failed.length}/${runs} runs, ${failed.length} failed (${secs}s)`);
        }
      }
      return true;
    }),
    { numRuns: runs, seed },
  );
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const failures = result.failed ? 1 : failed.length;
  const counterexample = result.counterexample?.[0];
  if (counterexample !== undefined) {
    const { violation, stats } = runCase(counterexample, mutate);
    if (violation !== null) console.error(formatFailure(counterexample, violation, stats, mutant));
  } else if (result.failed) {
    console.error(`sim soak: failed without a counterexample: ${String(result.errorInstance)}`);
  }
  const byInvariant = [...new Set(failed)].map((name) => `${name}:${failed.filter((f) => f === name).length}`);
  console.log(
    `sim soak summary: runs=${coverage.runs + failed.length} failures=${failures} nodes=${nodes} seed=${seed}` +
      (byInvariant.length > 0 ? ` failedBy=[${byInvariant.join(', ')}]` : '') +
      ` mutant=${mutant ?? 'none'}` +
      ` crashes=${coverage.crashes} leaderTerms=${coverage.leaderTerms} writesAcked=${coverage.writesAcked}` +
      ` readsServed=${coverage.readsServed} snapshotsRestored=${coverage.snapshotsRestored}` +
      ` confChangesApplied=${coverage.confChangesApplied} membersRetired=${coverage.membersRetired}` +
      ` simUnits=${coverage.units} elapsed=${secs}s`,
  );
  return failures;
}

process.exitCode = main() > 0 ? 1 : 0;
