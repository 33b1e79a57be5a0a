// etcd's MemberUpdate on a real 3-member cluster: `etcdctl member update ID --peer-urls=NEW`
// changes the member's peer URL on every member (member list shows it from each member's own
// view), the member restarts listening only on the new URL, and the cluster keeps replicating
// to it: with another member down, a write needs its vote to be acknowledged, and it serves
// the write locally. The member changed is the one with the largest id, so both others dial
// it (the smaller id dials, peer-transport.ts): they reach it only through the new URL. Small
// --snapshot-entries make every member snapshot after the update, so the restarts load the
// registry from a snapshot. Refusals first: an unknown member, a URL another member uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKite } from '../../packages/cli/test/cluster-harness.js';
import { freePorts } from '../../jepsen-lite/src/cluster/ports.js';
import { Cluster, waitFor } from './harness/cluster.js';
import { etcdctl, etcdctlOk, parseEtcdJson } from './harness/etcdctl.js';

interface MemberJson {
  readonly ID: string;
  readonly name?: string;
  readonly peerURLs: readonly string[];
}

/** etcdctl prints ids as decimal uint64; Kite's are 16 hex digits. */
const hexOf = (id: string): string => BigInt(id).toString(16).padStart(16, '0');
/** etcdctl endpoints as host:port (see etcd-services.test.ts). */
const hostPort = (url: string): string => url.replace(/^[a-z]+:\/\//, '');

describe('etcdctl member update', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3, flags: ['--snapshot-entries', '20', '--snapshot-catchup-entries', '5'] });
    await cluster.startAll();
    await cluster.leader();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('moves a member to a new peer URL: listed by every member, dialed there after its restart, across snapshots', async () => {
    const ids = new Map<string, string>();
    for (const m of cluster.members) ids.set(m.name, (await cluster.status(m.name)).memberId);
    const byId = [...ids].sort(([, a], [, b]) => (a < b ? -1 : 1));
    const [target, targetId] = byId[2] ?? ['', ''];
    const other = byId[1]?.[0] ?? '';
    const third = byId[0]?.[0] ?? '';
    const [newPeerPort] = await freePorts(1);
    const newPeerUrl = `http://127.0.0.1:${String(newPeerPort)}`;
    const grpc = (name: string): string[] => [hostPort(cluster.grpcUrl(name))];

    const taken = await etcdctl(grpc(other), ['member', 'update', targetId, `--peer-urls=${cluster.peerUrl(third)}`]);
    expect([taken.code, taken.stderr]).toEqual([1, expect.stringContaining('etcdserver: Peer URLs already exists')]);
    const unknown = await etcdctl(grpc(other), ['member', 'update', 'ffff', `--peer-urls=${newPeerUrl}`]);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('etcdserver: member not found')]);
    const kite = (args: readonly string[], on = other) => runKite([...args, '--endpoints', cluster.clientUrl(on)], { ...process.env, NO_COLOR: '1' });
    expect(await kite(['member', 'update', 'ffff', '--peer-urls', newPeerUrl])).toEqual({ code: 1, stdout: '', stderr: 'Error: member ffff not found [InvalidArgument]\n' });
    expect((await kite(['member', 'update', targetId, '--peer-urls', 'ftp://x:1'])).stderr).toContain("--peer-urls: 'ftp://x:1' must look like http://host:port");

    const out = await etcdctlOk(grpc(other), ['member', 'update', targetId, `--peer-urls=${newPeerUrl}`]);
    expect(/Member\s+([0-9a-f]+) updated in cluster/.exec(out)?.[1]?.padStart(16, '0')).toBe(targetId);
    // etcd 3.4 serves MemberList from the asked member's own registry: each one applied it.
    for (const m of cluster.members) {
      const listed = await waitFor(`${m.name} lists the new peer URL`, 15_000, async () => {
        const ms = parseEtcdJson<{ members: MemberJson[] }>(await etcdctlOk(grpc(m.name), ['member', 'list', '-w', 'json'])).members;
        const t = ms.find((x) => hexOf(x.ID) === targetId);
        return t?.peerURLs[0] === newPeerUrl ? ms : undefined;
      });
      expect(listed.map((x) => [hexOf(x.ID), x.peerURLs])).toEqual(byId.map(([name, id]) => [id, [id === targetId ? newPeerUrl : cluster.peerUrl(name)]]));
    }
    // Every member applied the update by now; enough writes follow for each to snapshot past it.
    const updateApplied = Math.max(...(await Promise.all(cluster.members.map(async (m) => (await cluster.status(m.name)).applied))));
    for (let i = 0; i < 30; i++) await etcdctlOk(grpc(other), ['put', `/mu/before/${String(i)}`, String(i)]);
    for (const m of cluster.members) {
      await waitFor(`${m.name} snapshots past the update`, 15_000, async () => ((await cluster.status(m.name)).snapshotIndex > updateApplied ? true : undefined));
    }

    await cluster.kill(target, 'SIGTERM');
    const initialCluster = cluster.members.map((m) => `${m.name}=${m.name === target ? newPeerUrl : cluster.peerUrl(m.name)}`).join(',');
    cluster.start(target, ['--listen-peer', newPeerUrl, '--initial-cluster', initialCluster]);
    await cluster.waitHealthy(target);

    // With `third` down, a write is acknowledged only once the restarted target has it.
    await cluster.kill(third, 'SIGTERM');
    await cluster.leader(20_000);
    expect(await etcdctlOk(grpc(other), ['put', '/mu/after', 'replicated'], { timeoutMs: 30_000 })).toBe('OK\n');
    const read = await waitFor('the target serves the write locally', 15_000, async () => {
      const got = await etcdctlOk(grpc(target), ['get', '/mu/after', '--consistency=s', '--print-value-only']);
      return got === '' ? undefined : got;
    });
    expect(read).toBe('replicated\n');

    // `third` restarts from its snapshot and dials the target at the new URL too.
    cluster.start(third);
    await cluster.waitHealthy(third);
    await cluster.kill(other, 'SIGTERM');
    await cluster.leader(20_000);
    expect(await etcdctlOk(grpc(third), ['put', '/mu/last', 'again'], { timeoutMs: 30_000 })).toBe('OK\n');
    expect(await etcdctlOk(grpc(target), ['get', '/mu/last', '--print-value-only'])).toBe('again\n');
    const listed = await kite(['member', 'list', '-w', 'json'], third);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { members: { id: string; peerUrls: string[] }[] }).members.find((m) => m.id === targetId)?.peerUrls).toEqual([newPeerUrl]);
    const fromThird = parseEtcdJson<{ members: MemberJson[] }>(await etcdctlOk(grpc(third), ['member', 'list', '-w', 'json'])).members;
    expect(fromThird.find((x) => hexOf(x.ID) === targetId)?.peerURLs).toEqual([newPeerUrl]);
  });
});
