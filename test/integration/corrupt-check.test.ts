// Cross-member corruption detection (the operations issue, item 2). A follower's store is
// rewritten on disk while it is stopped: one record's value changed and sealed again with a
// valid checksum, so the member's own checks pass. Started with the default initial check, it
// starts serving, compares itself with its peers and stops (exit 3). Started without it, the
// leader's periodic check (every --corrupt-check-interval) finds it within one check: a
// CORRUPT alarm naming it, listed on every member; every member refuses writes naming it,
// reads keep serving. Replacing the member (remove, wipe, add, start empty) and disarming
// restores writes, and later checks find nothing.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelBackend, sealValue, unsealValue } from '@kite/kvstore';
import type { AlarmMember } from '@kite/protocol';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const EXIT_DATA_DIR = 3;
const CHECK_INTERVAL_MS = 300;
/** Checks the leader may run between the altered member answering hashes and its alarm showing. */
const CHECKS_TO_DETECT_MAX = 3;
const KEYS = 20;
const WAIT_MS = 30_000;

const keyOf = (i: number): string => `c/${String(i).padStart(2, '0')}`;
const valueOf = (i: number): string => `value-${i}-of-the-original-write`;

/** The store's change-record key for revision main.0 (kvstore's layout: 'r' + u64 main + u64 sub). */
function revisionKey(main: number): Uint8Array {
  const key = Buffer.alloc(17);
  key[0] = 0x72;
  key.writeBigUInt64BE(BigInt(main), 1);
  return key;
}

/** Rewrites the value in the record at `revision` (same length, valid checksum): a consistent, silent divergence. */
async function alterRecord(dataDir: string, revision: number, from: string, to: string): Promise<void> {
  const raw = await LevelBackend.open(path.join(dataDir, 'kv'));
  try {
    const key = revisionKey(revision);
    const stored = await raw.get(key);
    if (stored === undefined) throw new Error(`no record at revision ${revision}`);
    const payload = unsealValue(key, stored);
    if (payload === undefined) throw new Error('the record does not unseal');
    const at = Buffer.from(payload).indexOf(from);
    if (at < 0 || from.length !== to.length) throw new Error('value not found in the record');
    const altered = Uint8Array.from(payload);
    altered.set(b(to), at);
    await raw.write([{ type: 'put', key, value: sealValue(key, altered) }], { sync: true });
  } finally {
    await raw.close();
  }
}

async function checksRun(cluster: Cluster, name: string): Promise<number> {
  const m = /^kite_server_corrupt_checks_total (\d+)/m.exec(await cluster.metrics(name));
  return Number(m?.[1] ?? 0);
}

describe('the corruption check', () => {
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
  // A member between leaders answers Unavailable at once (no leader for an election timeout):
  // the list is asked again within a bounded wait.
  const alarms = (name: string): Promise<AlarmMember[]> =>
    waitFor(`the alarm list of ${name}`, WAIT_MS, async () => [...ok(await (await wire(name)).request('alarm', { action: 'list' })).alarms]);

  it('stops a started member whose store differs (initial check), raises CORRUPT naming the altered member, refuses writes until it is replaced', async () => {
    cluster = await Cluster.create({ size: 3, flags: ['--corrupt-check-interval', `${CHECK_INTERVAL_MS}ms`] });
    await cluster.startAll();
    const leader = await cluster.leader();
    const victim = cluster.members.map((m) => m.name).find((n) => n !== leader) as string;
    const victimId = (await cluster.status(victim)).memberId;
    const w = await wire(leader);
    const revisionOf: number[] = [];
    for (let i = 0; i < KEYS; i++) revisionOf.push(ok(await w.request('put', { key: b(keyOf(i)), value: b(valueOf(i)) })).header.revision);
    const last = revisionOf.at(-1) as number;
    await waitFor(`${victim} to apply revision ${last}`, WAIT_MS, async () => ((await cluster!.status(victim)).revision >= last ? true : undefined));
    // Healthy replicas agree: checks run and raise nothing.
    await waitFor('two corruption checks on the leader', WAIT_MS, async () => ((await checksRun(cluster!, leader)) >= 2 ? true : undefined));
    expect(await alarms(leader)).toEqual([]);

    await cluster.kill(victim, 'SIGTERM');
    await alterRecord(cluster.member(victim).dataDir, revisionOf[7] as number, valueOf(7), valueOf(7).toUpperCase());

    // The initial check (on by default): the member compares itself with its peers and stops.
    const logBefore = cluster.log(victim).length;
    cluster.start(victim);
    const code = await Promise.race([cluster.exited(victim), new Promise<'hang'>((r) => setTimeout(() => r('hang'), WAIT_MS).unref())]);
    expect(code).toBe(EXIT_DATA_DIR);
    const startLog = cluster.log(victim).slice(logBefore);
    expect(startLog).toMatch(/CorruptDataDir: .*initial corruption check: this member's store \(hash [0-9a-f]+ at revision \d+\) differs from [0-9a-f]{16} \(hash [0-9a-f]+\), [0-9a-f]{16} \(hash/);
    // Serving does not wait for it (it hashes the whole store: seconds with a million keys).
    const started = startLog.indexOf('kite member started');
    expect(started).toBeGreaterThanOrEqual(0);
    expect(started).toBeLessThan(startLog.indexOf('initial corruption check done'));
    // While its check ran the member served, so the leader's periodic check (every 300 ms here)
    // may have named it already: right either way, nobody else is named. Disarmed, so the part
    // below sees a detection of its own.
    const early = await alarms(leader);
    expect(early.filter((a) => a.memberId !== victimId)).toEqual([]);
    if (early.length > 0) ok(await w.request('alarm', { action: 'disarm', alarm: 'CORRUPT' }));
    expect(await alarms(leader)).toEqual([]);

    // Without it, the member serves; the leader's periodic check names it.
    cluster.start(victim, ['--initial-corrupt-check', 'false']);
    await waitFor(`${victim} to answer hash requests`, WAIT_MS, async () => {
      const res = await cluster!.get(`${cluster!.peerUrl(victim)}/hashkv?revision=${last}`).catch(() => null);
      return res?.status === 200 ? true : undefined;
    });
    const checksBefore = await checksRun(cluster, leader);
    const raised = await waitFor('the CORRUPT alarm', WAIT_MS, async () => {
      const l = await alarms(leader);
      return l.length > 0 ? l : undefined;
    });
    const checksToDetect = (await checksRun(cluster, leader)) - checksBefore;
    expect(raised).toEqual([{ memberId: victimId, alarm: 'CORRUPT' }]);
    expect(checksToDetect).toBeLessThanOrEqual(CHECKS_TO_DETECT_MAX);
    await cluster.logMatching(leader, `member ${victimId}'s store differs from the others at revision`);

    // Cluster-wide: every member lists it and refuses writes (deletes too), naming the member;
    // reads keep serving, linearizable and serializable.
    for (const m of cluster.members) {
      expect(await alarms(m.name)).toEqual(raised);
      const c = await wire(m.name);
      for (const [op, args] of [['put', { key: b('c/new'), value: b('x') }], ['deleteRange', { key: b(keyOf(1)) }]] as const) {
        const r = await c.request(op, args);
        expect(r.ok ? 'ok' : r.error.code, `${op} on ${m.name}`).toBe('Corrupt');
        if (!r.ok) expect(r.error.message).toContain(`member ${victimId}`);
      }
      const got = ok(await c.request('range', { key: b(keyOf(3)) }));
      expect(got.kvs.map((kv) => str(kv.value))).toEqual([valueOf(3)]);
    }
    const health = await cluster.get(`${cluster.httpUrl(leader)}/health`);
    expect(health.status).not.toBe(200);

    // Replace the member: remove it (it stops), wipe its data, add it again, start it empty.
    ok(await w.request('memberRemove', { memberId: victimId }));
    await waitFor(`${victim} to exit after its removal`, WAIT_MS, () => (cluster!.isRunning(victim) ? undefined : true));
    rmSync(cluster.member(victim).dataDir, { recursive: true, force: true });
    const added = ok(await w.request('memberAdd', { peerUrls: [cluster.peerUrl(victim)] }));
    cluster.start(victim, ['--initial-cluster-state', 'existing']);
    const current = ok(await w.request('range', { key: b(keyOf(0)) })).header.revision;
    await waitFor(`the new ${victim} to catch up`, WAIT_MS, async () => ((await cluster!.status(victim).catch(() => null))?.revision ?? 0) >= current ? true : undefined);
    expect((await cluster.status(victim)).memberId).toBe(added.member.id);

    // Still refused until an operator disarms; then writes go through everywhere.
    expect((await w.request('put', { key: b('c/new'), value: b('x') })).ok).toBe(false);
    ok(await w.request('alarm', { action: 'disarm', alarm: 'CORRUPT' }));
    for (const m of cluster.members) ok(await (await wire(m.name)).request('put', { key: b(`c/after/${m.name}`), value: b('y') }));
    // Later checks compare the new member too, and find nothing.
    const checksAfter = await checksRun(cluster, leader);
    await waitFor('two more corruption checks', WAIT_MS, async () => ((await checksRun(cluster!, leader)) >= checksAfter + 2 ? true : undefined));
    expect(await alarms(leader)).toEqual([]);
  });
});
