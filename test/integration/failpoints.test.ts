// Failpoints on real members (packages/server/src/failpoints.ts): a bad KITE_FAILPOINTS refuses
// the start with a clear message; a member restarted with a point armed crashes there (exit
// 86), is restarted clean, catches up, and holds every write the cluster acknowledged, both
// for a crash right after a WAL append and for one between recording a received snapshot and
// restoring the store from it.
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const EXIT_CONFIG = 2;
const EXIT_FAILPOINT = 86;

describe('failpoints', () => {
  let cluster: Cluster | undefined;
  const clients: WireClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  /**
   * Every acknowledged put (each key is written once). A put that fails (a timeout on this
   * loaded machine, an election) is not acknowledged and not counted: only what the cluster
   * acknowledged must survive.
   */
  const acked = new Map<string, string>();

  async function put(c: WireClient, key: string, value: string): Promise<void> {
    const r = await c.request('put', { key: b(key), value: b(value) });
    if (r.ok) acked.set(key, value);
  }

  /** The member's own store (serializable read) holds every acknowledged write. */
  async function expectAllAcked(name: string): Promise<void> {
    const r = await WireClient.connect(cluster!.clientUrl(name));
    clients.push(r);
    const got = ok(await r.request('range', { key: b('fp/'), rangeEnd: b('fp0'), serializable: true }));
    const local = new Map(got.kvs.map((kv) => [str(kv.key), str(kv.value)]));
    const missing = [...acked].filter(([k, v]) => local.get(k) !== v);
    expect(missing).toEqual([]);
    expect(acked.size).toBeGreaterThan(50);
  }

  async function catchUp(name: string, leaderClient: WireClient): Promise<void> {
    await cluster!.waitHealthy(name);
    // The leader's revision after every acknowledged write; the member must reach it.
    const head = ok(await leaderClient.request('range', { key: b('fp/'), rangeEnd: b('fp0'), countOnly: true }));
    const r = await WireClient.connect(cluster!.clientUrl(name));
    clients.push(r);
    await waitFor(`${name} to apply revision ${head.header.revision}`, 20_000, async () => {
      const got = ok(await r.request('range', { key: b('fp/'), rangeEnd: b('fp0'), countOnly: true, serializable: true }));
      return got.header.revision >= head.header.revision ? true : undefined;
    });
  }

  it('refuses to start with an unknown failpoint, naming it and the known ones', async () => {
    cluster = await Cluster.create({ size: 3, flags: ['--snapshot-entries', '40', '--snapshot-catchup-entries', '5'] });
    const first = cluster.members[0]!.name;
    cluster.start(first, [], { KITE_FAILPOINTS: 'after-log-apend=crash' });
    expect(await cluster.exited(first)).toBe(EXIT_CONFIG);
    expect(cluster.log(first)).toMatch(/KITE_FAILPOINTS: unknown failpoint "after-log-apend" .*names: before-log-append, after-log-append/);
  });

  it('a follower crashing right after a WAL append restarts and catches up with every acknowledged write', async () => {
    await cluster!.startAll();
    const leader = await cluster!.leader();
    const c = await WireClient.connect(cluster!.clientUrl(leader));
    clients.push(c);
    const follower = cluster!.members.find((m) => m.name !== leader)!.name;
    for (let i = 0; i < 5; i++) await put(c, `fp/a${i}`, 'before');
    await cluster!.kill(follower, 'SIGTERM');
    cluster!.start(follower, [], { KITE_FAILPOINTS: 'after-log-append=crash@3' });
    // Writes keep being acknowledged by the other two while the follower appends and crashes.
    const exited = cluster!.exited(follower);
    let crashed: number | null | undefined;
    void exited.then((code) => (crashed = code));
    // Bounded: writes go on until the follower, once the leader reaches it again, appends
    // three times and crashes (a fixed number of puts could all land before it reconnects).
    let i = 0;
    await waitFor(`${follower} to crash at after-log-append`, 60_000, async () => {
      await put(c, `fp/b${i}`, `v${i}`);
      i++;
      return crashed !== undefined ? true : undefined;
    });
    expect(await exited).toBe(EXIT_FAILPOINT);
    expect(cluster!.log(follower)).toMatch(/failpoint after-log-append fired \(hit 3\)/);
    for (let i = 0; i < 50; i++) await put(c, `fp/c${i}`, 'while down');
    cluster!.start(follower);
    await catchUp(follower, c);
    await expectAllAcked(follower);
  });

  it('a follower crashing between recording a received snapshot and restoring it finishes the install on restart', async () => {
    const leader = await cluster!.leader();
    const c = await WireClient.connect(cluster!.clientUrl(leader));
    clients.push(c);
    const follower = cluster!.members.find((m) => m.name !== leader)!.name;
    await cluster!.kill(follower, 'SIGKILL');
    // Past several snapshots (every 40 entries): the leader must send it a snapshot.
    for (let i = 0; i < 150; i++) await put(c, `fp/s${i}`, `s${i}`);
    cluster!.start(follower, [], { KITE_FAILPOINTS: 'snapshot-recorded=crash' });
    expect(await cluster!.exited(follower)).toBe(EXIT_FAILPOINT);
    expect(cluster!.log(follower)).toMatch(/failpoint snapshot-recorded fired/);
    // The restart alone, with the others stopped: what it serves comes from its own recovery
    // (the staged file), not from the fresh snapshot the leader would otherwise send it.
    const others = cluster!.members.filter((m) => m.name !== follower).map((m) => m.name);
    for (const n of others) await cluster!.kill(n, 'SIGTERM');
    cluster!.start(follower);
    const alone = await waitFor(`${follower} to serve alone`, 20_000, async () => {
      try {
        return await WireClient.connect(cluster!.clientUrl(follower));
      } catch {
        return undefined;
      }
    });
    clients.push(alone);
    expect(cluster!.log(follower)).toMatch(/finishing an interrupted snapshot install/);
    await expectAllAcked(follower);
    for (const n of others) cluster!.start(n);
    const leaderNow = await cluster!.leader(20_000);
    const c2 = await WireClient.connect(cluster!.clientUrl(leaderNow));
    clients.push(c2);
    for (let i = 0; i < 5; i++) await put(c2, `fp/t${i}`, 'after');
    for (const n of cluster!.members.map((m) => m.name)) await catchUp(n, c2);
    await expectAllAcked(follower);
  });
});
