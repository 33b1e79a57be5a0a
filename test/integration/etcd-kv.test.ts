// etcdctl (Debian's etcd-client 3.4, the etcd v3 API over gRPC) against a 3-member Kite
// cluster's etcd doors: every member answers (followers forward writes, linearizable reads go
// through ReadIndex), the KV service's options behave as etcd's, and errors carry etcd's gRPC
// codes and messages. What etcdctl 3.4 cannot send (count_only, revision filters, nested txns)
// goes through a raw gRPC client built from the same rpc.proto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceError } from '@grpc/grpc-js';
import { Cluster, waitFor } from './harness/cluster.js';
import { EtcdGrpc, type Msg } from './harness/etcd-grpc.js';
import { etcdctl, etcdctlOk, parseEtcdJson } from './harness/etcdctl.js';
import { WireClient, ok } from './harness/wire.js';

interface KvJson {
  readonly key: string;
  readonly value?: string;
  readonly create_revision: number;
  readonly mod_revision: number;
  readonly version: number;
}
interface RangeJson {
  readonly header: { readonly cluster_id: string; readonly member_id: string; readonly revision: number; readonly raft_term: number };
  readonly kvs?: readonly KvJson[];
  readonly count?: number;
  readonly more?: boolean;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const buf = (s: string): Buffer => Buffer.from(s);
const keysOf = (r: Msg): string[] => (r['kvs'] as Msg[]).map((kv) => (kv['key'] as Buffer).toString());

describe('etcdctl against the etcd door', () => {
  let cluster: Cluster;
  let followerUrl: string;
  let grpc: EtcdGrpc;
  /** One etcdctl on every member's door. */
  let all: string[];
  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const leader = await cluster.leader();
    followerUrl = cluster.grpcUrl(cluster.members.find((m) => m.name !== leader)!.name);
    grpc = new EtcdGrpc(followerUrl);
    all = cluster.grpcUrls;
  });
  afterAll(async () => {
    grpc?.close();
    await cluster?.stop();
  });

  it('puts through every member and reads the value back from every member, headers naming the member asked', async () => {
    for (const m of cluster.members) {
      expect(await etcdctlOk([cluster.grpcUrl(m.name)], ['put', `/door/${m.name}`, `v-${m.name}`])).toBe('OK\n');
    }
    for (const m of cluster.members) {
      const out = await etcdctlOk([cluster.grpcUrl(m.name)], ['get', '/door/', '--prefix']);
      expect(out).toBe(cluster.members.map((x) => `/door/${x.name}\nv-${x.name}\n`).join(''));
      const json = parseEtcdJson<RangeJson>(await etcdctlOk([cluster.grpcUrl(m.name)], ['get', '/door/n1', '-w', 'json']));
      expect(json.kvs?.[0]?.key).toBe(b64('/door/n1'));
      expect(json.kvs?.[0]?.value).toBe(b64('v-n1'));
      expect(json.kvs?.[0]?.version).toBe(1);
      const status = await cluster.status(m.name);
      expect(BigInt(json.header.member_id).toString(16).padStart(16, '0')).toBe(status.memberId);
      expect(json.header.revision).toBeGreaterThanOrEqual(4);
      expect(json.header.raft_term).toBe(status.term);
    }
    // Every member published its door's URL, for etcd clients' member list.
    const wire = await WireClient.connect(cluster.clientUrl('n1'));
    try {
      const expected = JSON.stringify(cluster.members.map((m) => [m.name, [cluster.grpcUrl(m.name)]]));
      await waitFor('every door URL published', 10_000, async () => {
        const members = ok(await wire.request('memberList', {})).members as readonly { name: string; grpcUrls?: readonly string[] }[];
        return JSON.stringify(members.map((m) => [m.name, m.grpcUrls]).sort()) === expected ? true : undefined;
      });
    } finally {
      wire.close();
    }
  });

  it('get: --prefix, --limit (more, count), --sort-by/--order, --keys-only, --print-value-only, --rev, --from-key', async () => {
    const first = parseEtcdJson<{ header: { revision: number } }>(await etcdctlOk(all, ['put', '/s/k1', 'v5', '-w', 'json']));
    for (let i = 2; i <= 5; i++) await etcdctlOk(all, ['put', `/s/k${i}`, `v${6 - i}`]);
    await etcdctlOk(all, ['put', '/s/k1', 'v5b']);

    const limited = parseEtcdJson<RangeJson>(await etcdctlOk(all, ['get', '/s/', '--prefix', '--limit', '2', '-w', 'json']));
    expect(limited.kvs?.map((kv) => Buffer.from(kv.key, 'base64').toString())).toEqual(['/s/k1', '/s/k2']);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(5);

    expect(await etcdctlOk(all, ['get', '/s/', '--prefix', '--sort-by=VALUE', '--order=DESCEND', '--print-value-only'])).toBe('v5b\nv4\nv3\nv2\nv1\n');
    expect(await etcdctlOk(all, ['get', '/s/', '--prefix', '--sort-by=MODIFY', '--order=DESCEND', '--limit=2', '--keys-only'])).toBe('/s/k1\n\n/s/k5\n\n');
    // A sort target with order NONE sorts ascending, as etcd does (etcdctl always sends an order).
    const byValue = await grpc.call('KV', 'Range', { key: buf('/s/'), range_end: buf('/s0'), sort_target: 'VALUE', sort_order: 'NONE' });
    expect(keysOf(byValue)).toEqual(['/s/k5', '/s/k4', '/s/k3', '/s/k2', '/s/k1']);
    expect(await etcdctlOk(all, ['get', '/s/k1', '--rev', String(first.header.revision)])).toBe('/s/k1\nv5\n');
    expect(await etcdctlOk(all, ['get', '--from-key', '/s/k4', '--keys-only'])).toBe('/s/k4\n\n/s/k5\n\n');
    expect(await etcdctlOk(all, ['get', '--consistency=s', '/s/k2', '--print-value-only'])).toBe('v4\n');
  });

  it('Range over gRPC: count_only, keys_only, serializable, min/max mod and create revision filters', async () => {
    const rev = Number(((await grpc.call('KV', 'Put', { key: buf('/f/a'), value: buf('1') }))['header'] as Msg)['revision']);
    await grpc.call('KV', 'Put', { key: buf('/f/b'), value: buf('2') });
    await grpc.call('KV', 'Put', { key: buf('/f/a'), value: buf('3') });
    const range = { key: buf('/f/'), range_end: buf('/f0') };
    const counted = await grpc.call('KV', 'Range', { ...range, count_only: true });
    expect(counted['count']).toBe('2');
    expect(counted['kvs']).toEqual([]);
    const keysOnly = await grpc.call('KV', 'Range', { ...range, keys_only: true, serializable: true });
    expect((keysOnly['kvs'] as Msg[]).map((kv) => (kv['value'] as Buffer).length)).toEqual([0, 0]);
    expect(keysOf(await grpc.call('KV', 'Range', { ...range, min_mod_revision: String(rev + 2) }))).toEqual(['/f/a']);
    expect(keysOf(await grpc.call('KV', 'Range', { ...range, max_mod_revision: String(rev + 1) }))).toEqual(['/f/b']);
    expect(keysOf(await grpc.call('KV', 'Range', { ...range, min_create_revision: String(rev + 1) }))).toEqual(['/f/b']);
    expect(keysOf(await grpc.call('KV', 'Range', { ...range, max_create_revision: String(rev) }))).toEqual(['/f/a']);
  });

  it('del --prev-kv prints the count and the deleted pairs; put --prev-kv and --ignore-value', async () => {
    await etcdctlOk(all, ['put', '/d/a', '1']);
    await etcdctlOk(all, ['put', '/d/b', '2']);
    expect(await etcdctlOk(all, ['put', '/d/a', 'x', '--prev-kv'])).toBe('OK\n/d/a\n1\n');
    expect(await etcdctlOk(all, ['put', '/d/b', '--ignore-value'])).toBe('OK\n');
    expect(await etcdctlOk(all, ['get', '/d/b', '--print-value-only'])).toBe('2\n');
    expect(await etcdctlOk(all, ['del', '/d/', '--prefix', '--prev-kv'])).toBe('2\n/d/a\nx\n/d/b\n2\n');
    expect(await etcdctlOk(all, ['del', '/d/a'])).toBe('0\n');
  });

  it('put --lease attaches a lease (granted through Kite\'s own door) and --ignore-lease keeps it', async () => {
    const wire = await WireClient.connect(cluster.clientUrl('n1'));
    try {
      const lease = ok(await wire.request('leaseGrant', { ttl: 600 })).leaseId;
      const leaseOf = async (): Promise<number> => {
        const json = parseEtcdJson<{ kvs: { lease?: number }[] }>(await etcdctlOk(all, ['get', '/l/k', '-w', 'json']));
        return json.kvs[0]?.lease ?? 0;
      };
      await etcdctlOk([followerUrl], ['put', '/l/k', 'v', `--lease=${lease.toString(16)}`]);
      expect(await leaseOf()).toBe(lease);
      await etcdctlOk([followerUrl], ['put', '/l/k', 'v2', '--ignore-lease']);
      expect(await leaseOf()).toBe(lease);
      expect(await etcdctlOk(all, ['get', '/l/k', '--print-value-only'])).toBe('v2\n');
      await etcdctlOk([followerUrl], ['put', '/l/k', 'v3']);
      expect(await leaseOf()).toBe(0);
    } finally {
      wire.close();
    }
  });

  it('txn -i: compares on value, version, mod and create revision, both branches', async () => {
    await etcdctlOk(all, ['put', '/t/k', 'one']);
    const txn = (input: string): Promise<string> => etcdctlOk([followerUrl], ['txn', '-i'], { input });
    const ok = await txn('value("/t/k") = "one"\nversion("/t/k") = "1"\nmod("/t/k") > "0"\ncreate("/t/none") = "0"\n\nput /t/k two\nget /t/k\n\nput /t/k fail\n\n');
    expect(ok).toContain('SUCCESS\n\nOK\n\n/t/k\ntwo\n');
    const failed = await txn('value("/t/k") = "one"\n\nput /t/k wrong\n\nget /t/k\n\n');
    expect(failed).toContain('FAILURE\n\n/t/k\ntwo\n');
  });

  it('Txn over gRPC: a lease compare and a nested txn in the success branch', async () => {
    const resp = await grpc.call('KV', 'Txn', {
      compare: [{ key: buf('/n/k'), target: 'LEASE', result: 'EQUAL', lease: '0' }],
      success: [
        { request_put: { key: buf('/n/k'), value: buf('outer') } },
        {
          request_txn: {
            compare: [{ key: buf('/n/other'), target: 'VERSION', result: 'EQUAL', version: '0' }],
            success: [{ request_put: { key: buf('/n/other'), value: buf('inner') } }],
            failure: [],
          },
        },
      ],
      failure: [],
    });
    expect(resp['succeeded']).toBe(true);
    const responses = resp['responses'] as Msg[];
    expect(responses.map((r) => r['response'])).toEqual(['response_put', 'response_txn']);
    expect((responses[1]!['response_txn'] as Msg)['succeeded']).toBe(true);
    expect(await etcdctlOk(all, ['get', '/n/', '--prefix', '--print-value-only'])).toBe('outer\ninner\n');
  });

  it('compaction --physical, then reads below it fail with etcd\'s compacted error', async () => {
    const json = parseEtcdJson<RangeJson>(await etcdctlOk(all, ['put', '/c/k', 'v', '-w', 'json']));
    const rev = json.header.revision;
    await etcdctlOk(all, ['put', '/c/k', 'v2']);
    expect(await etcdctlOk([followerUrl], ['compaction', String(rev + 1), '--physical'])).toBe(`compacted revision ${rev + 1}\n`);
    const r = await etcdctl(all, ['get', '/c/k', '--rev', String(rev)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('code = OutOfRange desc = etcdserver: mvcc: required revision has been compacted');
  });

  it('answers bad requests with etcd\'s codes and messages', async () => {
    const future = await etcdctl(all, ['get', '/door/n1', '--rev', '1000000']);
    expect(future.stderr).toContain('code = OutOfRange desc = etcdserver: mvcc: required revision is a future revision');
    const lease = await etcdctl(all, ['put', '/x', 'y', '--lease=1234']);
    expect(lease.stderr).toContain('code = NotFound desc = etcdserver: requested lease not found');
    const dup = await etcdctl(all, ['txn', '-i'], { input: '\nput /dup a\nput /dup b\n\n\n' });
    expect(dup.stderr).toContain('etcdserver: duplicate key given in txn request');
    const missing = await etcdctl(all, ['put', '/never', '--ignore-value']);
    expect(missing.stderr).toContain('etcdserver: key not found');
    const empty = await grpc.call('KV', 'Range', { key: Buffer.alloc(0) }).catch((e: ServiceError) => e);
    expect((empty as ServiceError).details).toBe('etcdserver: key is not provided');
    const tooMany = await grpc
      .call('KV', 'Txn', { compare: [], success: Array.from({ length: 129 }, (_, i) => ({ request_put: { key: buf(`/m/${i}`), value: buf('v') } })), failure: [] })
      .catch((e: ServiceError) => e);
    expect((tooMany as ServiceError).details).toBe('etcdserver: too many operations in txn request');
    const big = await grpc.call('KV', 'Put', { key: buf('/big'), value: Buffer.alloc(3 * 1024 * 1024) }).catch((e: ServiceError) => e);
    expect((big as ServiceError).code).toBe(8); // RESOURCE_EXHAUSTED: refused before decoding
    // The member kept serving.
    expect(await etcdctlOk([followerUrl], ['get', '/door/n1', '--print-value-only'])).toBe('v-n1\n');
  });
});
