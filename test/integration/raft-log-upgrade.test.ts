// Upgrading a whole cluster whose Raft logs were written before the WAL: every member's log is
// rewritten as the previous release kept it (a LevelDB at <data-dir>/raft, through that
// release's own store code, packages/server/src/legacy-raft-log.ts) and its WAL removed, then
// every member starts on it. Each converts its log once (one log line), the cluster serves
// every key as before with the same hash on every member, takes new writes, and a second
// restart converts nothing.
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LegacyRaftLog } from '../../packages/server/src/legacy-raft-log.js';
import { RaftLogStore } from '../../packages/server/src/raft-log-store.js';
import { Cluster, waitFor } from './harness/cluster.js';
import { expectWriteReachesAll, keysAndHash, restartAndLogs } from './harness/keys-and-hash.js';
import { WireClient, b, ok } from './harness/wire.js';

const KEYS = 60;
const CONVERTED = 'raft log converted from LevelDB';
const MEMBERS = ['n1', 'n2', 'n3'] as const;

/** Replaces the member's WAL by a LevelDB raft log holding the same state. */
async function downgradeRaftLog(dataDir: string): Promise<void> {
  const wal = await RaftLogStore.open(dataDir);
  const loaded = await wal.load();
  await wal.close();
  if (loaded.identity === null || loaded.snapshot === null) throw new Error(`${dataDir}: no identity or snapshot in the WAL`);
  rmSync(path.join(dataDir, 'wal'), { recursive: true });
  rmSync(path.join(dataDir, 'raft.identity.json')); // written again by the old store's initialize
  const old = await LegacyRaftLog.open(path.join(dataDir, 'raft'));
  try {
    await old.load();
    await old.initialize(loaded.identity, loaded.snapshot, loaded.hardState);
    await old.persist({ entries: loaded.entries });
  } finally {
    await old.close();
  }
}

describe('a cluster whose Raft logs were all written before the WAL', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts with every log converted once and serves every key as before', async () => {
    const c = await Cluster.create({ size: 3 });
    cluster = c;
    await c.startAll();
    const writer = await WireClient.connect(c.clientUrl('n1'));
    for (let i = 0; i < KEYS; i++) ok(await writer.request('put', { key: b(`u/${String(i).padStart(3, '0')}`), value: b(`v${i}`) }));
    writer.close();
    const target = (await c.status('n1')).applied;
    for (const name of MEMBERS) {
      await waitFor(`${name} to apply ${target}`, 15_000, async () => ((await c.status(name)).applied >= target ? true : undefined));
    }
    const before = await keysAndHash(c, 'n1');
    expect(before.values).toHaveLength(KEYS);
    for (const name of MEMBERS) expect(await c.kill(name, 'SIGTERM')).toBe(0);

    for (const name of MEMBERS) await downgradeRaftLog(c.member(name).dataDir);
    const logStart = new Map(MEMBERS.map((n) => [n, c.log(n).length]));
    await c.startAll();
    for (const name of MEMBERS) {
      const log = c.log(name).slice(logStart.get(name));
      expect(log.split(CONVERTED).length - 1, `${name} log`).toBe(1);
      expect(existsSync(path.join(c.member(name).dataDir, 'raft'))).toBe(false);
      expect(await keysAndHash(c, name)).toEqual(before);
    }
    // The upgraded cluster takes writes and replicates them.
    await expectWriteReachesAll(c, MEMBERS);

    // A second restart reads the WAL: no conversion.
    for (const log of (await restartAndLogs(c, MEMBERS)).values()) expect(log).not.toContain(CONVERTED);
  });
});
