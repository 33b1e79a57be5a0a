// The kv store writes its apply batches without fsync (the Raft log is the durable record), so
// an OS crash may take its newest batches with it. The member must repair that from the Raft
// log at start, never refuse (CorruptDataDir) or serve the older state. The test stands in for
// the crash by putting back a copy of the store taken earlier, behind the next snapshot.
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

async function putRange(url: string, from: number, to: number): Promise<void> {
  const c = await WireClient.connect(url);
  try {
    for (let i = from; i < to; i++) ok(await c.request('put', { key: b(`r/${String(i).padStart(3, '0')}`), value: b(`v${i}`) }));
  } finally {
    c.close();
  }
}

describe('store repair after an OS crash', () => {
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('replays the raft log into a store that lost batches past the last snapshot', async () => {
    // Snapshots every 20 entries; the log keeps 200 entries below each (the replay source).
    cluster = await Cluster.create({ size: 1, flags: ['--snapshot-entries', '20', '--snapshot-catchup-entries', '200'] });
    await cluster.startAll();
    const url = cluster.clientUrl('n1');
    await putRange(url, 0, 30);
    expect(await cluster.kill('n1', 'SIGTERM')).toBe(0);
    const kvDir = path.join(cluster.member('n1').dataDir, 'kv');
    const oldKv = `${kvDir}.old`;
    cpSync(kvDir, oldKv, { recursive: true });

    cluster.start('n1');
    await cluster.waitHealthy('n1');
    await putRange(url, 30, 60);
    const before = await cluster.status('n1');
    expect(before.snapshotIndex).toBeGreaterThan(35);
    expect(await cluster.kill('n1', 'SIGTERM')).toBe(0);

    // The "crash": the store is back where it was 30 writes and at least one snapshot ago.
    rmSync(kvDir, { recursive: true, force: true });
    cpSync(oldKv, kvDir, { recursive: true });
    cluster.start('n1');
    await cluster.waitHealthy('n1');
    expect(cluster.log('n1')).toContain('replaying them from the raft log');

    const c = await WireClient.connect(url);
    try {
      const r = ok(await c.request('range', { key: b('r/'), rangeEnd: b('r0') }));
      expect(r.kvs.map((kv) => str(kv.value))).toEqual(Array.from({ length: 60 }, (_, i) => `v${i}`));
      expect(r.header.revision).toBe(before.revision);
    } finally {
      c.close();
    }
  });
});
