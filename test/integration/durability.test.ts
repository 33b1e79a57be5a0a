// Durability across crashes: kill -9 of the leader during writes elects a new leader without
// losing an acknowledged write, and the killed member catches up after restart; stopping all
// members and starting them again keeps every acknowledged write and continues the revision.
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

/** Writes keys w/0.. through `client` until `stop()`; returns the acknowledged ones. */
function writer(client: WireClient, prefix: string): { acked: Map<string, number>; stop: () => Promise<void> } {
  const acked = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      const key = `${prefix}/${String(i).padStart(6, '0')}`;
      const r = await client.request('put', { key: b(key), value: b(`v${i}`) }, 5000).catch(() => null);
      if (r?.ok === true) acked.set(key, r.header.revision);
      if (client.closedReason !== null) return;
    }
  })();
  return { acked, stop: async () => { running = false; await loop; } };
}

async function readAll(client: WireClient, prefix: string): Promise<Map<string, string>> {
  const r = ok(await client.request('range', { key: b(`${prefix}/`), rangeEnd: b(`${prefix}0`) }));
  return new Map(r.kvs.map((kv) => [str(kv.key), str(kv.value)]));
}

describe('durability', () => {
  let cluster: Cluster | undefined;
  const clients: WireClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await cluster?.stop();
    cluster = undefined;
  });

  it('survives kill -9 of the leader during writes; the restarted member catches up', async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const leader = await cluster.leader();
    const followers = cluster.members.filter((m) => m.name !== leader).map((m) => m.name);
    const w = await WireClient.connect(cluster.clientUrl(followers[0]!));
    clients.push(w);
    const load = writer(w, 'w');
    await waitFor('some acknowledged writes', 10_000, () => (load.acked.size >= 30 ? true : undefined));
    const termBefore = (await cluster.status(followers[0]!)).term;
    await cluster.kill(leader, 'SIGKILL');
    await waitFor('more writes under the new leader', 15_000, () => (load.acked.size >= 80 ? true : undefined));
    const newLeader = await cluster.leader();
    expect(newLeader).not.toBe(leader);
    expect((await cluster.status(newLeader)).term).toBeGreaterThan(termBefore);
    await load.stop();

    const r = await WireClient.connect(cluster.clientUrl(followers[1]!));
    clients.push(r);
    const stored = await readAll(r, 'w');
    for (const key of load.acked.keys()) expect(stored.has(key), `acked ${key} lost`).toBe(true);

    cluster.start(leader);
    await cluster.waitHealthy(leader);
    const target = (await cluster.status(newLeader)).applied;
    await waitFor('the restarted member to catch up', 15_000, async () => ((await cluster!.status(leader)).applied >= target ? true : undefined));
    const back = await WireClient.connect(cluster.clientUrl(leader));
    clients.push(back);
    const serial = ok(await back.request('range', { key: b('w/'), rangeEnd: b('w0'), serializable: true, countOnly: true }));
    expect(serial.count).toBeGreaterThanOrEqual(load.acked.size);
  });

  it('keeps every acknowledged write across a stop and restart of all members', async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    let lastRevision = 0;
    for (let i = 0; i < 40; i++) lastRevision = ok(await c.request('put', { key: b(`d/${i}`), value: b(`x${i}`) })).header.revision;
    c.close();
    // Half stop gracefully (SIGTERM), the rest crash (SIGKILL).
    expect(await cluster.kill('n1', 'SIGTERM')).toBe(0);
    await cluster.kill('n2', 'SIGKILL');
    await cluster.kill('n3', 'SIGKILL');
    await cluster.startAll();
    const again = await WireClient.connect(cluster.clientUrl('n2'));
    clients.push(again);
    const stored = await readAll(again, 'd');
    expect(stored.size).toBe(40);
    for (let i = 0; i < 40; i++) expect(stored.get(`d/${i}`)).toBe(`x${i}`);
    const next = ok(await again.request('put', { key: b('d/next'), value: b('1') }));
    expect(next.header.revision).toBe(lastRevision + 1);
  });
});
