// The space quota on every member, not only the leader (etcd checks each member's backend).
// A follower restarted with a smaller --quota-bytes than the leader's passes its own quota
// while the leader, far below its own, keeps admitting writes: the follower raises a NOSPACE
// alarm naming itself through the leader, so every member lists it and refuses writes that
// add data; a write sent to the follower itself is refused by it too.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlarmMember } from '@kite/protocol';
import { Cluster, waitFor, type MemberStatus } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

const FOLLOWER_QUOTA_BYTES = 512 * 1024;
const VALUE_BYTES = 64 * 1024;
/** Bounds the fill: far more than the follower's quota holds. */
const FILL_WRITES_MAX = (16 * FOLLOWER_QUOTA_BYTES) / VALUE_BYTES;
const WAIT_MS = 20_000;
/** Writes between two looks at the follower's measured size. */
const FILL_STEP_WRITES = 4;

describe('the quota on a follower', () => {
  let cluster: Cluster | undefined;
  const wires: WireClient[] = [];
  afterAll(async () => {
    for (const w of wires) w.close();
    await cluster?.stop();
  });
  const wire = async (name: string): Promise<WireClient> => {
    const w = await WireClient.connect(cluster!.clientUrl(name));
    wires.push(w);
    return w;
  };
  const alarms = async (name: string): Promise<AlarmMember[]> => [...ok(await (await wire(name)).request('alarm', { action: 'list' })).alarms];

  it('raises NOSPACE naming the follower once its own store passes its quota, and the cluster refuses writes', async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const leader = await cluster.leader();
    const follower = cluster.members.map((m) => m.name).find((n) => n !== leader) as string;
    await cluster.kill(follower, 'SIGTERM');
    cluster.start(follower, ['--quota-bytes', String(FOLLOWER_QUOTA_BYTES)]);
    await cluster.waitHealthy(follower);
    const followerId = (await cluster.status(follower)).memberId;
    expect(await cluster.leader()).toBe(leader);

    // Fill through the leader until the follower's own measurement passes its quota.
    const w = await wire(leader);
    let written = 0;
    const dbSize = async (): Promise<number> => ((await cluster!.status(follower)) as MemberStatus & { dbSize: number }).dbSize;
    fill: while (written < FILL_WRITES_MAX) {
      const measured = await dbSize();
      if (measured > FOLLOWER_QUOTA_BYTES) break;
      for (let i = 0; i < FILL_STEP_WRITES; i++, written++) {
        const r = await w.request('put', { key: b(`q/${written}`), value: randomBytes(VALUE_BYTES) });
        if (!r.ok) break fill;
      }
      // The follower measures its store once a second: pace the fill by its measurements, so
      // the bound below counts writes, not how fast this machine writes (a fast run wrote all
      // of them before the first measurement).
      await waitFor('the follower to measure its store again', WAIT_MS, async () => ((await dbSize()) !== measured ? true : undefined));
    }
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(FILL_WRITES_MAX);

    // The follower's alarm, replicated: every member lists it and refuses writes that add data.
    const expected = [{ memberId: followerId, alarm: 'NOSPACE' }];
    await waitFor('the follower\'s NOSPACE alarm', WAIT_MS, async () => ((await alarms(leader)).length > 0 ? true : undefined));
    for (const m of cluster.members) expect(await alarms(m.name)).toEqual(expected);
    for (const m of cluster.members) {
      const r = await (await wire(m.name)).request('put', { key: b(`q/more/${m.name}`), value: b('x') });
      expect(r.ok ? 'ok' : r.error.code, m.name).toBe('NoSpace');
    }
    // Deletes still go through (they free space).
    ok(await w.request('deleteRange', { key: b('q/0') }));
  });
});
