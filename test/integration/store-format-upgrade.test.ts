// Upgrading a whole cluster from the Kite before record checksums: every member's store is
// rewritten in that release's format (format 1: bare values, no tally, no marker; see
// packages/kvstore/test/old-format.ts, which pins the encoding to 3976914's bytes) inside the
// real data-dir layout, then every member starts on it. Each converts its store once (one log
// line), the cluster serves every key as before with the same hash on every member, takes new
// writes, and a second restart converts nothing.
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelBackend } from '@kite/kvstore';
import { writeOldFormatCopy } from '../../packages/kvstore/test/old-format.js';
import { Cluster, waitFor } from './harness/cluster.js';
import { expectWriteReachesAll, keysAndHash, restartAndLogs } from './harness/keys-and-hash.js';
import { WireClient, b, ok } from './harness/wire.js';

const KEYS = 60;
const CONVERTED = 'store converted from format 1 to format 2';
const MEMBERS = ['n1', 'n2', 'n3'] as const;

/** Replaces the member's kv dir by a format-1 copy of its content (ACTIVE + db-0). */
async function downgradeKv(dataDir: string): Promise<void> {
  const kvDir = path.join(dataDir, 'kv');
  const oldDir = mkdtempSync(path.join(dataDir, 'kv-format1-'));
  const source = await LevelBackend.open(kvDir);
  const target = await LevelBackend.open(oldDir);
  try {
    await writeOldFormatCopy(source, target);
  } finally {
    await source.close();
    await target.close();
  }
  rmSync(kvDir, { recursive: true });
  renameSync(oldDir, kvDir);
}

describe('a cluster whose stores were all written before record checksums', () => {
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts with every store converted once and serves every key as before', async () => {
    const c = await Cluster.create({ size: 3 });
    cluster = c;
    await c.startAll();
    const writer = await WireClient.connect(c.clientUrl('n1'));
    for (let i = 0; i < KEYS; i++) ok(await writer.request('put', { key: b(`u/${String(i).padStart(3, '0')}`), value: b(`v${i}`) }));
    ok(await writer.request('deleteRange', { key: b('u/007') }));
    writer.close();
    const target = (await c.status('n1')).applied;
    for (const name of MEMBERS) {
      await waitFor(`${name} to apply ${target}`, 15_000, async () => ((await c.status(name)).applied >= target ? true : undefined));
    }
    const before = await keysAndHash(c, 'n1');
    expect(before.values).toHaveLength(KEYS - 1);
    for (const name of MEMBERS) expect(await c.kill(name, 'SIGTERM')).toBe(0);

    for (const name of MEMBERS) await downgradeKv(c.member(name).dataDir);
    const logStart = new Map(MEMBERS.map((n) => [n, c.log(n).length]));
    await c.startAll();
    for (const name of MEMBERS) {
      const log = c.log(name).slice(logStart.get(name));
      expect(log.split(CONVERTED).length - 1, `${name} log`).toBe(1);
      expect(await keysAndHash(c, name)).toEqual(before);
    }
    // The upgraded cluster takes writes and replicates them.
    await expectWriteReachesAll(c, MEMBERS);

    // A second restart finds format 2: no conversion.
    for (const log of (await restartAndLogs(c, MEMBERS)).values()) expect(log).not.toContain(CONVERTED);
  });
});
