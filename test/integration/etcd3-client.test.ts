// The `etcd3` npm client, unchanged, against a real 3-member Kite cluster through its etcd
// gRPC doors: kv, txn, a watch that lives through a leader kill (every write seen exactly once,
// in order, by a watcher pinned to the killed member and by one that may be anywhere), lease
// keepalive and revoke, and the client's Lock and Election recipes (both built on txn,
// leases, sorted prefix ranges and watches).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3, EtcdLockFailedError, type IKeyValue, type Lock, type Watcher } from 'etcd3';
import { Cluster, waitFor } from './harness/cluster.js';

const WATCH_WRITES = 300;
const KILL_AT = 100;
const RESTART_AT = 200;
/** A write that fails while the cluster elects is tried again until this deadline. */
const WRITE_RETRY_MS = 30_000;

let cluster: Cluster;
const clients: Etcd3[] = [];

function client(hosts: readonly string[] = cluster.grpcUrls): Etcd3 {
  const c = new Etcd3({ hosts: [...hosts] });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  // etcd's default timing (1 s election): large bodies and floods stall a loaded 2-core
  // machine's event loops for longer than the harness's fast 200 ms election timeout.
  cluster = await Cluster.create({ size: 3, tickMs: 100 });
  await cluster.startAll();
  await cluster.leader();
});

afterAll(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
});

/** Retries `op` through elections and reconnects (bounded); the op must be idempotent. */
async function retrying<T>(op: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + WRITE_RETRY_MS;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (performance.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('etcd3 npm client against Kite', () => {
  it('kv: put, get, prefix ranges, previous values, delete', async () => {
    const c = client();
    await c.put('kv/a').value('1');
    await c.put('kv/b').value('2');
    await c.put('kv/c').value('3');
    expect(await c.get('kv/a').string()).toBe('1');
    expect(await c.get('kv/missing').string()).toBeNull();
    expect(await c.getAll().prefix('kv/').strings()).toEqual({ 'kv/a': '1', 'kv/b': '2', 'kv/c': '3' });
    expect(await c.getAll().prefix('kv/').count()).toBe(3);
    expect(await c.getAll().prefix('kv/').sort('Key', 'Descend').limit(2).keys()).toEqual(['kv/c', 'kv/b']);
    const prev = await c.put('kv/a').value('10').getPrevious();
    expect(prev?.value.toString()).toBe('1');
    const deleted = await c.delete().key('kv/b').getPrevious();
    expect(deleted.map((kv) => kv.value.toString())).toEqual(['2']);
    const res = await c.get('kv/a').exec();
    expect(res.kvs[0]?.version).toBe('2');
    expect(Number(res.header.revision)).toBeGreaterThan(Number(res.kvs[0]?.create_revision));
    await c.delete().prefix('kv/');
    expect(await c.getAll().prefix('kv/').count()).toBe(0);
  });

  it('txn: compares choose the branch; the branch applies atomically', async () => {
    const c = client();
    await c.put('txn/k').value('v1');
    const hit = await c.if('txn/k', 'Value', '==', 'v1').then(c.put('txn/k').value('v2'), c.put('txn/other').value('x')).else(c.put('txn/k').value('never')).commit();
    expect(hit.succeeded).toBe(true);
    const miss = await c.if('txn/k', 'Value', '==', 'v1').then(c.put('txn/k').value('never')).else(c.get('txn/k')).commit();
    expect(miss.succeeded).toBe(false);
    expect(miss.responses[0]?.response_range?.kvs[0]?.value.toString()).toBe('v2');
    expect(await c.get('txn/other').string()).toBe('x');
    const created = await c.if('txn/absent', 'Create', '==', 0).then(c.put('txn/absent').value('now')).commit();
    expect(created.succeeded).toBe(true);
    const again = await c.if('txn/absent', 'Create', '==', 0).then(c.put('txn/absent').value('twice')).commit();
    expect(again.succeeded).toBe(false);
    expect(await c.get('txn/absent').string()).toBe('now');
  });

  it('watch: through a leader kill and restart, each watcher sees every write exactly once, in order', async () => {
    const leader = await cluster.leader();
    const writer = client();
    const watchers: { name: string; watcher: Watcher; seen: IKeyValue[]; disconnects: number }[] = [];
    // One watcher whose only endpoint is the leader (its stream must break and resume on the
    // restarted member) and one over every endpoint.
    for (const [name, hosts] of [['pinned to the leader', [cluster.grpcUrl(leader)]], ['on any member', cluster.grpcUrls]] as const) {
      const watcher = await client(hosts).watch().prefix('w/').create();
      const w = { name, watcher, seen: [] as IKeyValue[], disconnects: 0 };
      watcher.on('put', (kv) => w.seen.push(kv));
      watcher.on('disconnected', () => w.disconnects++);
      watcher.on('error', () => undefined); // errors are followed by a reconnect; the outcome is judged by `seen`
      watchers.push(w);
    }
    const keys = Array.from({ length: WATCH_WRITES }, (_, i) => `w/${String(i).padStart(4, '0')}`);
    for (const [i, key] of keys.entries()) {
      if (i === KILL_AT) await cluster.kill(leader);
      if (i === RESTART_AT) cluster.start(leader);
      // Create-if-absent: a retry of a write that did apply changes nothing, so every key has
      // exactly one put event in the cluster's history.
      await retrying(() => writer.if(key, 'Create', '==', 0).then(writer.put(key).value(String(i))).commit());
    }
    await cluster.waitHealthy(leader);
    // The pinned watcher's stream did break with its member (and resumed on the restarted one).
    expect(watchers[0]?.disconnects).toBeGreaterThan(0);
    for (const w of watchers) {
      await waitFor(`watcher ${w.name} to see ${WATCH_WRITES} events`, 60_000, () => (w.seen.length >= WATCH_WRITES ? true : undefined));
      expect(w.seen.map((kv) => kv.key.toString()), w.name).toEqual(keys);
      const revisions = w.seen.map((kv) => Number(kv.mod_revision));
      expect(revisions.every((r, i) => i === 0 || r > (revisions[i - 1] as number)), w.name).toBe(true);
      await w.watcher.cancel();
    }
    // The history agrees: every key holds its one value, written once.
    const stored = await writer.getAll().prefix('w/').exec();
    expect(stored.kvs.map((kv) => [kv.key.toString(), kv.value.toString(), kv.version])).toEqual(keys.map((k, i) => [k, String(i), '1']));
  });

  it('lease: keepalive keeps a short lease and its key alive; revoke deletes the key', async () => {
    const c = client();
    const lease = c.lease(2);
    const id = await lease.grant();
    await lease.put('lease/k').value('held');
    let renewals = 0;
    lease.on('keepaliveSucceeded', () => renewals++);
    // Three renewals of a 2 s lease (the client renews every third of the TTL) span more than one TTL.
    await waitFor('three keepalives', 30_000, () => (renewals >= 3 ? true : undefined));
    expect(lease.revoked()).toBe(false);
    expect(await c.get('lease/k').string()).toBe('held');
    const ttl = await c.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(Number(ttl.TTL)).toBeGreaterThan(0);
    expect(ttl.keys.map((k) => k.toString())).toEqual(['lease/k']);
    const listed = await c.leaseClient.leaseLeases({});
    expect(listed.leases.map((l) => l.ID)).toContain(id);
    await lease.revoke();
    expect(await c.get('lease/k').string()).toBeNull();
    const gone = await c.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(gone.TTL).toBe('-1');
  });

  it('lock recipe: contenders on different members never hold the lock at once', async () => {
    const CONTENDERS = 4;
    const ROUNDS = 5;
    const seed = client();
    await seed.put('lock-counter').value('0');
    let inside = 0;
    let insideMax = 0;
    // etcd3's Lock does not wait: a held lock is EtcdLockFailedError, tried again here.
    const acquire = async (c: Etcd3): Promise<Lock> => {
      const deadline = performance.now() + WRITE_RETRY_MS;
      for (;;) {
        try {
          return await c.lock('lock-res').ttl(5).acquire();
        } catch (err) {
          if (!(err instanceof EtcdLockFailedError) || performance.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    const contender = async (c: Etcd3): Promise<void> => {
      for (let r = 0; r < ROUNDS; r++) {
        const lock = await acquire(c);
        inside++;
        insideMax = Math.max(insideMax, inside);
        const n = Number(await c.get('lock-counter').string());
        // Give another holder, if the lock let one in, time to interleave.
        await new Promise((resolve) => setTimeout(resolve, 5));
        await c.put('lock-counter').value(String(n + 1));
        inside--;
        await lock.release();
      }
    };
    await Promise.all(Array.from({ length: CONTENDERS }, (_, i) => contender(client([cluster.grpcUrls[i % cluster.grpcUrls.length] as string]))));
    expect(insideMax).toBe(1);
    expect(await seed.get('lock-counter').string()).toBe(String(CONTENDERS * ROUNDS));
  });

  it('election recipe: one leader at a time, the next campaigner wins on resign, observers follow', async () => {
    const [a, b] = [client([cluster.grpcUrls[0] as string]), client([cluster.grpcUrls[1] as string])];
    const electionA = a.election('elect-test', 5);
    const electionB = b.election('elect-test', 5);
    const first = electionA.campaign('alpha');
    await new Promise<void>((resolve, reject) => first.once('elected', () => resolve()).once('error', reject));
    expect(await electionB.leader()).toBe('alpha');
    const observer = await electionB.observe();
    const changes: (string | undefined)[] = [];
    observer.on('change', (v) => changes.push(v));
    const second = electionB.campaign('beta');
    let secondElected = false;
    const electedB = new Promise<void>((resolve, reject) => second.once('elected', () => {
      secondElected = true;
      resolve();
    }).once('error', reject));
    // beta's campaign key (under etcd3's election/<name>/ prefix) exists, waiting behind alpha's.
    await waitFor('beta campaigning', 10_000, async () => ((await a.getAll().prefix('election/elect-test/').count()) === 2 ? true : undefined));
    expect(secondElected).toBe(false);
    await first.proclaim('alpha-2');
    await waitFor('the observer to see the proclamation', 10_000, () => (changes.includes('alpha-2') ? true : undefined));
    await first.resign();
    await electedB;
    expect(await electionA.leader()).toBe('beta');
    await waitFor('the observer to see beta', 10_000, () => (changes.at(-1) === 'beta' ? true : undefined));
    await second.resign();
    await observer.cancel();
  });
});
