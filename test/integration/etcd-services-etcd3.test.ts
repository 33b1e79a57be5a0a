// The `etcd3` npm client (grpc-js, not Go) against a 3-member Kite cluster's etcd doors, for
// the Lease service: a lease it keeps alive on its own over the KeepAlive stream, keys put with
// it, its TTL and revocation (then its keepalive finds no lease); and its lock recipe, which
// is leases and transactions.
import { Etcd3, EtcdLockFailedError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';

describe('the etcd3 npm client: leases and locks', () => {
  let cluster: Cluster;
  let client: Etcd3;
  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
    client = new Etcd3({ hosts: cluster.grpcUrls });
  });
  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  });

  it('keeps a lease alive by itself, puts keys with it, reads its TTL, and loses them on revoke', async () => {
    const lease = client.lease(3);
    const renewals: string[] = [];
    lease.on('keepaliveSucceeded', (res) => renewals.push(String(res.TTL)));
    const id = await lease.grant();
    expect(BigInt(id)).toBeGreaterThan(0n);
    await lease.put('/etcd3/lease/a').value('1');
    // The client renews every TTL/3 on one KeepAlive stream; each answer carries the TTL.
    await waitFor('three renewals', 20_000, () => (renewals.length >= 3 ? true : undefined));
    expect(new Set(renewals)).toEqual(new Set(['3']));
    expect(await client.get('/etcd3/lease/a').string()).toBe('1');
    expect((await client.get('/etcd3/lease/a').exec()).kvs[0]?.lease).toBe(id);
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect([ttl.grantedTTL, ttl.keys.map((k) => k.toString())]).toEqual(['3', ['/etcd3/lease/a']]);
    expect(Number(ttl.TTL)).toBeGreaterThan(0);

    await lease.revoke();
    expect(await client.get('/etcd3/lease/a').string()).toBeNull();
    // A keepalive for the revoked id, on the client's own KeepAlive stream: the door answers
    // TTL 0 (etcd's "not found"), one response for the one request.
    const stream = await client.leaseClient.leaseKeepAlive();
    const first = new Promise<{ TTL: string }>((resolve) => stream.on('data', resolve));
    stream.write({ ID: id });
    expect((await first).TTL).toBe('0');
    stream.end();
  });

  it('takes a lock once at a time: a second taker is refused until the holder releases it', async () => {
    const first = await client.lock('/etcd3/lock').ttl(5).acquire();
    await expect(client.lock('/etcd3/lock').ttl(5).acquire()).rejects.toBeInstanceOf(EtcdLockFailedError);
    await first.release();
    const second = await client.lock('/etcd3/lock').ttl(5).acquire();
    expect(await client.getAll().prefix('/etcd3/lock').count()).toBe(1);
    await second.release();
    expect(await client.getAll().prefix('/etcd3/lock').count()).toBe(0);
  });
});
