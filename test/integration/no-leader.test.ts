// Fail fast without a leader: a member cut off from the others by a real partition (the
// peer links pass through jepsen-lite's link proxy; client ports stay reachable) answers
// `Unavailable` with `leader: null` instead of holding a write until its request timeout
// (7 s by default), and an SDK client given every endpoint, first the cut-off one, moves on
// and gets its write done by the majority within its own deadline. Checked once with a
// follower cut off and once with the leader cut off (it steps down by CheckQuorum).
//
// The only time bound is a failure condition: a reply must come within half the member's
// request timeout (a member that holds the write until its request timeout misses it), and the
// SDK call's deadline is shorter than that request timeout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from '@kite/client';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster as ProxiedCluster } from '../../jepsen-lite/src/cluster/cluster.js';
import { createRng } from '../../jepsen-lite/src/util/rng.js';
import { SERVER_MAIN, waitFor } from './harness/cluster.js';
import { WireClient, b } from './harness/wire.js';

/** The members' --request-timeout-ms (the server default; the proxied cluster passes none). */
const MEMBER_REQUEST_TIMEOUT_MS = 7_000;
const REPLY_WAIT_MS = MEMBER_REQUEST_TIMEOUT_MS / 2;
const SDK_DEADLINE_MS = 5_000;
const TRIES = 5;

describe('a member without a leader', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kite-it-noleader-'));
  const cluster = new ProxiedCluster({
    nodes: 3,
    dir,
    serverBin: SERVER_MAIN,
    clusterToken: `no-leader-${path.basename(dir)}`,
    tickMs: 20,
    electionTicks: 10,
    snapshotEntries: 10_000,
    snapshotCatchupEntries: 1_000,
    logLevel: 'info',
    rng: createRng(7),
    tls: false,
  });

  afterAll(async () => {
    await cluster.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Cuts `name` off from every other member, both ways, and waits until it knows no leader. A
   * write sent right after the cut (in flight while the member still believes in a leader, or
   * is one) must be answered Unavailable too, not held to the request timeout.
   */
  async function isolate(name: string): Promise<WireClient> {
    const c = await WireClient.connect(cluster.clientUrl(name));
    const others = cluster.names.filter((n) => n !== name);
    cluster.proxy.block(others.flatMap((o) => [[name, o], [o, name]] as const));
    const inFlight = c.request('put', { key: b(`nl/${name}/in-flight`), value: b('x') }, REPLY_WAIT_MS);
    await waitFor(`${name} to lose its leader`, 15_000, async () => {
      const st = await c.request('status', {}, 2_000);
      return st.ok && st.leader === null ? true : undefined;
    });
    const reply = await inFlight;
    expect(reply.ok ? 'ok' : reply.error.code, 'the write in flight at the cut').toBe('Unavailable');
    return c;
  }

  async function checkFailsFastAndClientMovesOn(cut: string): Promise<void> {
    const c = await isolate(cut);
    try {
      let noLeader = 0;
      for (let i = 0; i < TRIES; i++) {
        for (const reply of [
          await c.request('put', { key: b(`nl/${cut}/${i}`), value: b('x') }, REPLY_WAIT_MS),
          await c.request('range', { key: b(`nl/${cut}/${i}`) }, REPLY_WAIT_MS),
        ]) {
          if (!reply.ok && reply.error.code === 'Unavailable' && reply.error.leader === null && reply.error.indeterminate !== true) noLeader++;
        }
      }
      expect(noLeader, 'requests refused at once as Unavailable (no leader)').toBe(2 * TRIES);

      // Every endpoint, the cut-off member first: the call must end up on the majority side.
      const endpoints = [cluster.clientUrl(cut), ...cluster.names.filter((n) => n !== cut).map((n) => cluster.clientUrl(n))];
      const client = await connect({ endpoints, timeoutMs: SDK_DEADLINE_MS });
      try {
        const put = await client.put(`nl/${cut}/sdk`, 'v');
        expect(put.header.memberId).not.toBe(cluster.idOf(cut));
        const got = await client.get(`nl/${cut}/sdk`);
        expect(got.kvs.length).toBe(1);
      } finally {
        client.close();
      }
    } finally {
      c.close();
      cluster.proxy.heal();
    }
    await cluster.waitReady(20_000);
  }

  it('answers Unavailable at once, and a client moves on to the majority (follower cut off, then leader cut off)', async () => {
    await cluster.start(30_000);
    const leader = await cluster.leaderWithin(10_000);
    expect(leader).not.toBeNull();
    const follower = cluster.names.find((n) => n !== leader)!;
    await checkFailsFastAndClientMovesOn(follower);
    const leaderNow = await cluster.leaderWithin(10_000);
    expect(leaderNow).not.toBeNull();
    await checkFailsFastAndClientMovesOn(leaderNow!);
  });
});
