// etcdctl (Debian's etcd-client, the etcd v3 API over gRPC) against a 3-member Kite cluster's
// etcd doors: every member answers (followers forward writes, linearizable reads through
// ReadIndex), the KV service's Range options behave as etcd's, and errors carry etcd's codes
// and messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from './harness/cluster.js';
import { etcdctl, etcdctlOk, parseEtcdJson } from './harness/etcdctl.js';

interface RangeJson {
  readonly header: { readonly cluster_id: string; readonly member_id: string; readonly revision: number; readonly raft_term: number };
  readonly kvs?: readonly { readonly key: string; readonly value?: string; readonly create_revision: number; readonly mod_revision: number; readonly version: number }[];
  readonly count?: number;
  readonly more?: boolean;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('etcdctl against the etcd door', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('puts through every member and reads the value back from every member', async () => {
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
      // The header names the member asked, as a uint64 (Kite's hex id read as a number).
      const status = await cluster.status(m.name);
      expect(BigInt(json.header.member_id).toString(16).padStart(16, '0')).toBe(status.memberId);
    }
  });

  it('answers a future revision with etcd\'s OutOfRange error and message', async () => {
    const r = await etcdctl(cluster.grpcUrls, ['get', '/door/n1', '--rev', '1000000']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('code = OutOfRange desc = etcdserver: mvcc: required revision is a future revision');
  });
});
