// The blackhole-snapshot nemesis without processes: it cuts exactly one follower off, puts
// filler (outside the workloads' keys) until the leader's index is past the point where its
// log is surely compacted beyond the follower, no further and never past its bound, and the
// heal opens every link and records whether the member caught up. The cluster object is real;
// statuses and the admin client are stand-ins that count.

import { describe, expect, it } from 'vitest';
import type { KiteClient } from '@kite/client';
import { Cluster } from '../../src/cluster/cluster.js';
import { compactedPastIndex, FILLER_KEY, fillerPutsMax } from '../../src/nemesis/blackhole-snapshot.js';
import { nemesisByName, type NemesisContext } from '../../src/nemesis/index.js';
import { Recorder } from '../../src/run/recorder.js';
import { createRng } from '../../src/util/rng.js';

function context(leaderIndexPerPut: number): { ctx: NemesisContext; cluster: Cluster; recorder: Recorder; putKeys: string[] } {
  const cluster = new Cluster({
    nodes: 3, dir: '/nonexistent', serverBin: '/nonexistent', clusterToken: 't', tickMs: 100, electionTicks: 10,
    snapshotEntries: 20, snapshotCatchupEntries: 5, logLevel: 'info', rng: createRng(1), tls: false,
  });
  let leaderIndex = 100;
  const putKeys: string[] = [];
  cluster.leaderWithin = async () => 'n1';
  cluster.runningNames = () => [...cluster.names];
  cluster.process = () => ({ spec: { logFile: '/nonexistent/log' } }) as unknown as ReturnType<Cluster['process']>;
  cluster.statusOf = async (n) => ({ leader: 'id1', raftTerm: 2, raftIndex: n === 'n1' ? leaderIndex : 100, raftAppliedIndex: n === 'n1' ? leaderIndex : leaderIndex });
  cluster.adminClient = async () => ({
    put: async (key: string) => {
      putKeys.push(key);
      leaderIndex += leaderIndexPerPut;
    },
  }) as unknown as KiteClient;
  let t = 0;
  const recorder = new Recorder({ nowNs: () => ++t, nowMs: () => t / 1e6 });
  return { ctx: { cluster, recorder, rng: createRng(2), events: [], log: () => undefined }, cluster, recorder, putKeys };
}

describe('blackhole-snapshot nemesis', () => {
  it('isolates one follower, fills the leader past the compaction point, and heals', async () => {
    const { ctx, cluster, recorder, putKeys } = context(1);
    const fault = await nemesisByName('blackhole-snapshot').start(ctx);
    const start = recorder.entries[0]?.value as { node: string; memberIndex: number; targetLeaderIndex: number };
    expect(start.node).not.toBe('n1');
    expect(start.targetLeaderIndex).toBe(compactedPastIndex(100, 20, 5));
    const others = cluster.names.filter((n) => n !== start.node);
    for (const o of others) expect(cluster.proxy.policies.isCut(start.node, o)).toBe(true);
    expect(cluster.proxy.policies.isCut(others[0] as string, others[1] as string)).toBe(false);
    // Enough puts to pass the target, at most one batch more.
    expect(putKeys.length).toBeGreaterThanOrEqual(start.targetLeaderIndex - 100);
    expect(putKeys.length).toBeLessThan(start.targetLeaderIndex - 100 + 8);
    expect(new Set(putKeys)).toEqual(new Set([FILLER_KEY]));
    await fault?.stop();
    expect(cluster.proxy.policies.isCut(start.node, others[0] as string)).toBe(false);
    const end = recorder.entries[1]?.value as { caughtUp: boolean; snapshotInstalled: boolean };
    expect(recorder.entries.map((e) => e.f)).toEqual(['start-partition', 'stop-partition']);
    expect(end).toMatchObject({ caughtUp: true, snapshotInstalled: false });
  });

  it('stops filling at its bound when the leader does not move', async () => {
    const { ctx, putKeys } = context(0);
    const fault = await nemesisByName('blackhole-snapshot').start(ctx);
    expect(putKeys.length).toBeLessThanOrEqual(fillerPutsMax(20, 5) + 8);
    expect(putKeys.length).toBeGreaterThanOrEqual(fillerPutsMax(20, 5));
    await fault?.stop();
  });
});
