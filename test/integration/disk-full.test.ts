// A full disk (packages/server/src/disk-full.ts; exit code 6 in run-server.ts). The behaviour
// we require, and what the server does:
//
// - A member whose disk fills up (a raft log append, a store batch or any other write of its
//   data dir fails with ENOSPC) stops at once: it logs `disk full: <path>` (fatal) and exits
//   with code 6 (EXIT_DISK_FULL), without acknowledging anything it did not persist. Going on
//   after a failed append would mean serving a state that is ahead of the disk; stopping is
//   what etcd does on a failed WAL write too. A leader sends before it persists, but counts
//   its own ack only after the append succeeded, so nothing is committed on its word alone.
// - Its data dir stays usable: the failed batch never happened (the WAL cuts a torn tail or
//   a segment it could not preallocate; LevelDB drops the torn tail record of its log), so
//   once space is freed the member restarts and catches up.
// - The other members keep serving; every acknowledged write is on every member afterwards
//   (same revision, same `hash`).
// - The backend quota (--quota-bytes) is the early warning: below the disk size, writes that
//   add data get `NoSpace` long before the disk fills, and reads keep working.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { Tmpfs } from './harness/tmpfs.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const EXIT_DISK_FULL = 6;
const VALUE_BYTES = 64 * 1024;
/** Writes the test tries at most while waiting for the full member to stop. */
const WRITES_MAX = 300;

/** Waits until the running members agree on applied index and revision, then compares hashes. */
async function expectSameReplicas(cluster: Cluster, names: readonly string[]): Promise<number> {
  const revision = await waitFor('members at the same revision', 20_000, async () => {
    const sts = await Promise.all(names.map((n) => cluster.status(n)));
    const first = sts[0];
    if (first === undefined || sts.some((s) => s.revision !== first.revision || s.applied !== first.applied)) return undefined;
    return first.revision;
  });
  const hashes: number[] = [];
  for (const n of names) {
    const c = await WireClient.connect(cluster.clientUrl(n));
    try {
      const h = ok(await c.request('hash', { revision }));
      expect(h.hashRevision).toBe(revision);
      hashes.push(h.hash);
    } finally {
      c.close();
    }
  }
  expect(new Set(hashes).size, `hashes ${hashes.join(', ')} at revision ${revision}`).toBe(1);
  return revision;
}

describe('a full disk', () => {
  let cluster: Cluster | undefined;
  let disk: Tmpfs | undefined;
  const clients: WireClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    // The member on the tmpfs must be gone before the unmount, and the unmount before rm -r.
    await cluster?.kill('n3', 'SIGKILL').catch(() => undefined);
    try {
      disk?.unmount();
    } finally {
      await cluster?.stop();
    }
  });

  it('stops the member whose disk is full (exit 6, "disk full"), loses no acknowledged write, and it catches up once space is freed', async () => {
    cluster = await Cluster.create({ size: 3 });
    disk = Tmpfs.mount(cluster.member('n3').dataDir, 24);
    await cluster.startAll();
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    clients.push(c);
    const acked = new Map<string, Uint8Array>();
    for (let i = 0; i < 10; i++) {
      const value = randomBytes(1024);
      ok(await c.request('put', { key: b(`f/pre/${i}`), value }));
      acked.set(`f/pre/${i}`, value);
    }
    // n3 leads: the leader appends in parallel with sending, the riskier case.
    const n3Id = (await cluster.status('n3')).memberId;
    await waitFor('n3 to lead', 15_000, async () => ((await c.request('moveLeader', { targetId: n3Id })).ok ? true : undefined));
    expect(await cluster.leader()).toBe('n3');

    disk.fill();
    const n3Exit = cluster.exited('n3');
    let n3Code: number | null | undefined;
    void n3Exit.then((code) => (n3Code = code));
    for (let i = 0; i < WRITES_MAX && n3Code === undefined; i++) {
      const key = `f/big/${i}`;
      const value = randomBytes(VALUE_BYTES);
      const r = await c.request('put', { key: b(key), value }, 5000).catch(() => null);
      if (r?.ok === true) acked.set(key, value);
    }
    expect(n3Code, `n3 still running after ${WRITES_MAX} writes onto a full disk; log:\n${cluster.log('n3').slice(-3000)}`).toBe(EXIT_DISK_FULL);
    expect(cluster.log('n3')).toContain(`disk full: ${cluster.member('n3').dataDir}`);

    // The other two keep serving (a new leader among them).
    const lead = await cluster.leader();
    expect(['n1', 'n2']).toContain(lead);
    for (let i = 0; i < 10; i++) {
      const value = randomBytes(1024);
      ok(await c.request('put', { key: b(`f/after/${i}`), value }));
      acked.set(`f/after/${i}`, value);
    }

    // Still full: a start says so too (exit 6), and changes nothing.
    cluster.start('n3');
    expect(await cluster.exited('n3')).toBe(EXIT_DISK_FULL);
    expect(cluster.log('n3')).toMatch(/cannot start: disk full: /);

    // Space freed: the member restarts from its own data dir (not corrupt) and catches up.
    disk.removeFiller();
    cluster.start('n3');
    await cluster.waitHealthy('n3');
    await expectSameReplicas(cluster, ['n1', 'n2', 'n3']);
    for (const name of ['n1', 'n2', 'n3']) {
      const r = await WireClient.connect(cluster.clientUrl(name));
      clients.push(r);
      const got = ok(await r.request('range', { key: b('f/'), rangeEnd: b('f0'), serializable: true }));
      const stored = new Map(got.kvs.map((kv) => [str(kv.key), kv.value]));
      for (const [key, value] of acked) {
        expect(stored.has(key), `${name} lost acknowledged ${key}`).toBe(true);
        expect(Buffer.from(stored.get(key) as Uint8Array).equals(value), `${name} has another value for ${key}`).toBe(true);
      }
      r.close();
    }
  });
});

describe('the space quota before a full disk', () => {
  let cluster: Cluster | undefined;
  let disk: Tmpfs | undefined;
  afterAll(async () => {
    await cluster?.kill('n1', 'SIGKILL').catch(() => undefined);
    try {
      disk?.unmount();
    } finally {
      await cluster?.stop();
    }
  });

  it('refuses writes with NoSpace past --quota-bytes while the disk has room, and keeps serving reads', async () => {
    const diskMiB = 32;
    const quotaBytes = 2 * 1024 * 1024;
    cluster = await Cluster.create({ size: 1, flags: ['--quota-bytes', String(quotaBytes)] });
    disk = Tmpfs.mount(cluster.member('n1').dataDir, diskMiB);
    await cluster.startAll();
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    let written = 0;
    let refused: string | null = null;
    // Far more than the disk holds, so only the quota can stop the loop in time.
    for (let i = 0; i < (2 * diskMiB * 1024 * 1024) / VALUE_BYTES && refused === null; i++) {
      const r = await c.request('put', { key: b(`q/${String(i).padStart(4, '0')}`), value: randomBytes(VALUE_BYTES) });
      if (r.ok) written++;
      else refused = r.error.code;
    }
    expect(refused).toBe('NoSpace');
    expect(written).toBeGreaterThan(0);
    expect(cluster.isRunning('n1')).toBe(true);
    expect(disk.freeBytes()).toBeGreaterThan(quotaBytes);
    expect(cluster.log('n1')).not.toContain('disk full');

    // Reads still work, linearizable and serializable; so do deletes (they free space).
    const all = ok(await c.request('range', { key: b('q/'), rangeEnd: b('q0'), countOnly: true }));
    expect(all.count).toBe(written);
    const one = ok(await c.request('range', { key: b('q/0000'), serializable: true }));
    expect(one.kvs[0]?.value.length).toBe(VALUE_BYTES);
    const again = await c.request('put', { key: b('q/more'), value: b('x') });
    expect(again.ok ? 'ok' : again.error.code).toBe('NoSpace');
    ok(await c.request('deleteRange', { key: b('q/0000') }));
    await waitFor('the NOSPACE alarm in /status', 10_000, async () => {
      const st = (await cluster!.status('n1')) as unknown as { alarms?: string[] };
      return st.alarms?.includes('NOSPACE') === true ? true : undefined;
    });
    c.close();
  });
});
