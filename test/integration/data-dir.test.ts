// A damaged or foreign data directory stops the member at start with a clear message and exit
// code 3, instead of starting empty (silent data loss).
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

describe('data directory checks', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('refuses a raft WAL whose segments were destroyed, and a data dir of another member', async () => {
    cluster = await Cluster.create({ size: 1 });
    await cluster.startAll();
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    ok(await c.request('put', { key: b('a'), value: b('1') }));
    c.close();
    expect(await cluster.kill('n1', 'SIGTERM')).toBe(0);

    // Started under another name, the same directory is refused.
    cluster.start('n1', ['--name', 'other', '--initial-cluster', `other=${cluster.peerUrl('n1')}`]);
    expect(await cluster.exited('n1')).toBe(3);
    expect(cluster.log('n1')).toContain('belongs to member "n1"');

    // Every WAL segment emptied: the identity marker beside the log says it had contents.
    const walDir = path.join(cluster.member('n1').dataDir, 'wal');
    for (const f of readdirSync(walDir)) {
      if (f.endsWith('.wal')) writeFileSync(path.join(walDir, f), Buffer.alloc(0));
    }
    cluster.start('n1');
    expect(await cluster.exited('n1')).toBe(3);
    expect(cluster.log('n1')).toMatch(/CorruptDataDir|corrupt|lost its contents/i);
  });
});
