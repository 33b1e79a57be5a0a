// The gray nemeses through the link policies, without processes: gray-leader slows and thins
// exactly the leader's outgoing peer links (its followers still reach it untouched), records the
// window with the member, and stopping it restores every link; gray-follower does the same to a
// follower. The cluster object is real; only "who leads" and "who runs" are given.

import { describe, expect, it } from 'vitest';
import { Cluster } from '../../src/cluster/cluster.js';
import { GRAY_DELAY_MS, GRAY_DROP_PROBABILITY, GRAY_JITTER_MS } from '../../src/nemesis/cluster-ops.js';
import { nemesisByName, type NemesisContext } from '../../src/nemesis/index.js';
import { OPEN_POLICY } from '../../src/proxy/policy.js';
import { Recorder } from '../../src/run/recorder.js';
import { createRng } from '../../src/util/rng.js';

function context(leader: string): { ctx: NemesisContext; cluster: Cluster; recorder: Recorder } {
  const cluster = new Cluster({
    nodes: 3, dir: '/nonexistent', serverBin: '/nonexistent', clusterToken: 't', tickMs: 100, electionTicks: 10,
    snapshotEntries: 100, snapshotCatchupEntries: 10, logLevel: 'info', rng: createRng(1), tls: false,
  });
  cluster.leaderWithin = async () => leader;
  cluster.runningNames = () => [...cluster.names];
  let t = 0;
  const recorder = new Recorder({ nowNs: () => ++t, nowMs: () => t / 1e6 });
  return { ctx: { cluster, recorder, rng: createRng(2), events: [], log: () => undefined }, cluster, recorder };
}

const GRAY = { ...OPEN_POLICY, delayMs: GRAY_DELAY_MS, jitterMs: GRAY_JITTER_MS, dropProbability: GRAY_DROP_PROBABILITY };

describe('gray nemeses', () => {
  it('gray-leader: only the leader\'s outgoing links are slow and lossy, until stopped', async () => {
    const { ctx, cluster, recorder } = context('n2');
    const fault = await nemesisByName('gray-leader').start(ctx);
    expect(cluster.proxy.policies.get('n2', 'n1')).toEqual(GRAY);
    expect(cluster.proxy.policies.get('n2', 'n3')).toEqual(GRAY);
    expect(cluster.proxy.policies.get('n1', 'n2')).toEqual(OPEN_POLICY);
    expect(cluster.proxy.policies.get('n1', 'n3')).toEqual(OPEN_POLICY);
    await fault?.stop();
    expect(cluster.proxy.policies.get('n2', 'n1')).toEqual(OPEN_POLICY);
    expect(recorder.entries.map((e) => [e.f, (e.value as { kind: string; node: string }).kind, (e.value as { node: string }).node]))
      .toEqual([['start-delay', 'gray-leader', 'n2'], ['stop-delay', 'gray-leader', 'n2']]);
  });

  it('gray-follower: the same on a member that is not the leader', async () => {
    const { ctx, cluster, recorder } = context('n2');
    const fault = await nemesisByName('gray-follower').start(ctx);
    const node = (recorder.entries[0]?.value as { node: string }).node;
    expect(node).not.toBe('n2');
    for (const to of cluster.names.filter((n) => n !== node)) expect(cluster.proxy.policies.get(node, to)).toEqual(GRAY);
    expect(cluster.proxy.policies.get('n2', node)).toEqual(OPEN_POLICY);
    await fault?.stop();
    expect(cluster.proxy.policies.snapshot()).toEqual(Object.fromEntries(cluster.names.filter((n) => n !== node).map((to) => [`${node}>${to}`, OPEN_POLICY])));
  });
});
