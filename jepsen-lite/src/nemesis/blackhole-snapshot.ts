// Blackhole-snapshot nemesis: a follower is cut off from every peer while the cluster writes
// on (the workload plus filler puts outside every workload's keys) until the leader has
// compacted its Raft log past the follower's last index, so healing can only bring it back by
// a snapshot. The watchers the watch workload keeps on that member (each watcher moves between
// members) see the snapshot install under them: etcd's watch went back in time there (etcd
// issue #15271), which the watch checker flags as a revision that goes backwards or an event
// missed. Recorded as start-partition/stop-partition (kind blackhole-snapshot) with the member,
// its index at the cut, the leader's at the heal, the filler puts made, and whether the
// member's log shows a snapshot installed and it caught up after the heal.

import { existsSync, readFileSync } from 'node:fs';
import { monotonicMs, sleep } from '../util/time.js';
import { isolate } from './partition.js';
import { pickFollowerOfWholeCluster } from './pick-follower.js';
import type { ActiveFault, Nemesis, NemesisContext } from './types.js';

/** Filler keys: outside the workloads' prefixes (r/, a/, w/, lock/, …). */
export const FILLER_KEY = 'jepsen-lite-filler';
/** Puts in flight at once while filling the log. */
const FILLER_CONCURRENCY = 8;
const FILLER_TIMEOUT_MS = 3_000;
/** After the heal: how long the member gets to install the snapshot and catch up. */
const CATCHUP_WAIT_MS_MAX = 20_000;
const POLL_MS = 250;
/** The log line a member writes once a snapshot from the leader is restored (host.ts). */
export const SNAPSHOT_INSTALLED_LINE = 'snapshot installed';

/**
 * The leader index past which the member's last index is surely compacted: a snapshot is taken
 * every `snapshotEntries` applied entries and keeps `catchupEntries` behind it, so two whole
 * snapshot intervals plus the kept tail past the member's index always compact past it.
 */
export function compactedPastIndex(memberIndex: number, snapshotEntries: number, catchupEntries: number): number {
  return memberIndex + 2 * snapshotEntries + catchupEntries + 1;
}

/** Filler puts the nemesis may make per fault (a bound on its work, not a target). */
export function fillerPutsMax(snapshotEntries: number, catchupEntries: number): number {
  return 2 * (2 * snapshotEntries + catchupEntries) + 100;
}

function installCount(logFile: string): number {
  if (!existsSync(logFile)) return 0;
  return readFileSync(logFile, 'utf8').split(SNAPSHOT_INSTALLED_LINE).length - 1;
}

export const blackholeSnapshotNemesis: Nemesis = {
  name: 'blackhole-snapshot',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const cluster = ctx.cluster;
    const picked = await pickFollowerOfWholeCluster(ctx);
    if (picked === null) return null;
    const { leader, node } = picked;
    const memberIndex = (await cluster.statusOf(node))?.raftIndex;
    if (memberIndex === undefined) return null;
    const cut = isolate(node, cluster.names);
    cluster.net.block(cut);
    const logFile = cluster.process(node).spec.logFile;
    const installsBefore = installCount(logFile);
    const { snapshotEntries, snapshotCatchupEntries } = cluster.opts;
    const target = compactedPastIndex(memberIndex, snapshotEntries, snapshotCatchupEntries);
    ctx.recorder.nemesis('start-partition', { kind: 'blackhole-snapshot', node, memberIndex, targetLeaderIndex: target, blocked: cut.map(([a, b]) => [a, b]) });
    ctx.log(`blackhole ${node} (index ${memberIndex}); filling the log to ${target} so the leader compacts past it`);
    const admin = await cluster.adminClient();
    let puts = 0;
    let leaderIndex = 0;
    const putsMax = fillerPutsMax(snapshotEntries, snapshotCatchupEntries);
    while (puts < putsMax) {
      leaderIndex = (await cluster.statusOf(leader))?.raftIndex ?? leaderIndex;
      if (leaderIndex >= target) break;
      const batch = Array.from({ length: FILLER_CONCURRENCY }, () => admin.put(FILLER_KEY, String(puts++), { timeoutMs: FILLER_TIMEOUT_MS }).catch(() => undefined));
      await Promise.all(batch);
    }
    ctx.log(`blackhole ${node}: ${puts} filler puts, leader index ${leaderIndex}`);
    return {
      stop: async () => {
        cluster.net.block([]);
        const leaderAtHeal = (await cluster.statusOf(leader))?.raftIndex ?? leaderIndex;
        const deadline = monotonicMs() + CATCHUP_WAIT_MS_MAX;
        let applied = 0;
        while (monotonicMs() < deadline) {
          applied = (await cluster.statusOf(node))?.raftAppliedIndex ?? applied;
          if (applied >= leaderAtHeal) break;
          await sleep(POLL_MS);
        }
        const snapshotInstalled = installCount(logFile) > installsBefore;
        ctx.recorder.nemesis('stop-partition', { kind: 'blackhole-snapshot', node, fillerPuts: puts, leaderIndex: leaderAtHeal, memberApplied: applied, caughtUp: applied >= leaderAtHeal, snapshotInstalled });
        ctx.log(`blackhole ${node} healed: applied ${applied}/${leaderAtHeal}, snapshot installed: ${snapshotInstalled}`);
      },
    };
  },
};
