// The real host (Host + RaftLogStore/WAL + SnapshotFiles + KvStore on the memory backend) in
// the deterministic simulation: CI_SEEDS seeds of power cuts (one member or all), torn writes,
// a bit flip in one member's WAL, isolations and client load must keep Election Safety,
// durability (no member refuses an undamaged disk), store agreement, liveness after healing
// watch rules and linearizability; a run replays exactly from its seed; and each host mutant
// (and the store adapter's watch-ignore-restore) is caught on some seed, with its replay
// command printed. Longer runs: test/sim/real-host/soak.ts.
import { describe, expect, it } from 'vitest';
import type { MutantName } from '../../../packages/server/src/mutants.js';
import type { HostSimOptions } from './cluster.js';
import { formatHostSimFailure, hostSimReplayCommand, runHostSim } from './run.js';

/** Seeds per CI run (the Done-when line asks for at least 200). */
const CI_SEEDS = 200;
/** Simulated ms of load and faults per CI seed: short runs, many seeds. */
const CI_RUN_MS = 800;
/** Seeds tried per mutant before calling it missed. */
const MUTANT_SEEDS_MAX = 20;
const BATCHES = 4;
/** Disk calls an install makes, bounds: the walk must pass at least the first and stop before the second. */
const INSTALL_OPS_MIN = 8;
const INSTALL_OPS_MAX = 60;
const base = Number(process.env['SIM_HOST_SEED'] ?? 1);

describe('host simulation', () => {
  for (let b = 0; b < BATCHES; b++) {
    const from = base + (b * CI_SEEDS) / BATCHES;
    it(`seeds ${from}..${from + CI_SEEDS / BATCHES - 1}: every property holds`, async () => {
      for (let seed = from; seed < from + CI_SEEDS / BATCHES; seed++) {
        const opts: HostSimOptions = { seed, members: 3, runMs: CI_RUN_MS, mutant: null };
        const r = await runHostSim(opts);
        if (r.violation !== null) expect.fail(formatHostSimFailure(opts, r));
        expect(r.stats.opsOk).toBeGreaterThan(0);
      }
    });
  }

  it('a run is a function of its seed', async () => {
    const opts: HostSimOptions = { seed: 7, members: 3, runMs: CI_RUN_MS, mutant: null };
    const a = await runHostSim(opts);
    const b = await runHostSim(opts);
    expect(a.violation).toBeNull();
    expect(b.stats).toEqual(a.stats);
    expect(a.stats.crashes).toBeGreaterThan(0);
  });

  it('a power cut at every step of a snapshot install (after each of its disk calls) is restart-safe', async () => {
    let steps = 0;
    for (let op = 1; op <= INSTALL_OPS_MAX; op++) {
      const opts: HostSimOptions = { seed: 1, members: 3, runMs: 2_000, mutant: null, installCrashAtOp: op };
      const r = await runHostSim(opts);
      if (r.violation !== null) expect.fail(`power cut after install disk call ${op}:\n${formatHostSimFailure(opts, r)}`);
      expect(r.stats.snapshotsSent).toBeGreaterThan(0);
      // Done once the cut falls after the install's last step (or never comes).
      if (r.stats.installCrashes === 0 || r.stats.crashesAfterInstall > 0) break;
      steps = op;
    }
    // Staging (open, writes, fsync, close), rename, dir sync, the log record, the restore's
    // reads and the prune: the walk passed through all of them and came out the other side.
    console.log(`snapshot install: a power cut after each of its ${steps} disk calls was restart-safe`);
    expect(steps).toBeGreaterThanOrEqual(INSTALL_OPS_MIN);
    expect(steps).toBeLessThan(INSTALL_OPS_MAX);
  });

  const mutants: readonly MutantName[] = ['ack-before-fsync', 'prune-snapshot-before-record', 'compact-before-store-sync', 'watch-ignore-restore', 'follower-local-reads'];
  for (const mutant of mutants) {
    it(`catches the ${mutant} mutant`, async () => {
      for (let seed = 1; seed <= MUTANT_SEEDS_MAX; seed++) {
        const opts: HostSimOptions = { seed, members: 3, runMs: 3_000, mutant };
        const r = await runHostSim(opts);
        if (r.violation === null) continue;
        console.log(`${mutant} caught:\n${formatHostSimFailure(opts, r).split('\n').slice(0, 2).join('\n').slice(0, 400)}\n  replay: ${hostSimReplayCommand(opts)}`);
        return;
      }
      expect.fail(`the ${mutant} mutant passed ${MUTANT_SEEDS_MAX} seeds`);
    });
  }
});
