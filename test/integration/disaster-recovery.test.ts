// A disaster-recovery drill through the real `kite` binary: cluster A (3 members) takes a
// bounded write load in the background; `kite snapshot save` streams a backup from one member
// while the load goes on; `kite snapshot status` reads its revision and hash; a damaged copy
// (a flipped byte, a truncation) is refused by status and restore with a clear message and no
// data dir; `kite snapshot restore` builds the 3 data dirs of a NEW cluster B, which starts,
// has the same hash at the snapshot revision on every member as A had, serves the keys written
// before the snapshot (not those after), has its own cluster id and accepts writes.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TxnRequestOp } from '@kite/protocol';
import { runKite } from '../../packages/cli/test/cluster-harness.js';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok, str } from './harness/wire.js';

const PRELOAD_KEYS = 300;
/** 300 x 8 KiB: the backup spans several ~1 MiB chunks, so the stream takes several requests. */
const PRELOAD_VALUE_BYTES = 8 * 1024;
const PRELOAD_TXN_KEYS = 50;
/** Bounds the background load (it stops earlier: LOAD_AFTER_SAVE puts after the save ended). */
const LOAD_PUTS_MAX = 5_000;
/** The save starts once this many load puts are in: the load runs before, during and after it. */
const LOAD_BEFORE_SAVE = 40;
/** Load puts made after the save returned: surely after the snapshot's revision. */
const LOAD_AFTER_SAVE = 20;

interface HashRow {
  readonly endpoint: string;
  readonly hash?: number;
  readonly hashRevision?: number;
  readonly error?: string;
}

interface SnapshotStatus {
  readonly revision: number;
  readonly hash: number;
  readonly hashRevision: number;
  readonly totalKeys: number;
  readonly clusterId: string;
  readonly sizeBytes: number;
}

describe('disaster recovery: snapshot save under load, restore into a new cluster', () => {
  let a: Cluster;
  let bCluster: Cluster | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kite-dr-'));
    a = await Cluster.create({ size: 3 });
    await a.startAll();
  });
  afterAll(async () => {
    await a?.stop();
    await bCluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const kite = async (args: string[]): Promise<string> => {
    const r = await runKite(args, process.env);
    if (r.code !== 0) throw new Error(`kite ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const hashkv = async (endpoints: readonly string[], revision: number): Promise<HashRow[]> =>
    JSON.parse(await kite(['endpoint', 'hashkv', '--endpoints', endpoints.join(','), '--rev', String(revision), '-w', 'json'])) as HashRow[];

  it('restores a backup taken under load into a new cluster with the same hash, and refuses damaged files', async () => {
    const wa = await WireClient.connect(a.clientUrl('n2'));
    try {
      for (let from = 0; from < PRELOAD_KEYS; from += PRELOAD_TXN_KEYS) {
        const success: TxnRequestOp[] = [];
        for (let i = from; i < from + PRELOAD_TXN_KEYS; i++) success.push({ type: 'put', key: b(`pre/${String(i).padStart(4, '0')}`), value: b(`v${i}/`.padEnd(PRELOAD_VALUE_BYTES, 'x')) });
        ok(await wa.request('txn', { compare: [], success, failure: [] }));
      }
      // A bounded write load in the background, on its own link.
      let loadDone = 0;
      // Set once the save returned; the load then makes LOAD_AFTER_SAVE more puts. A fixed
      // count could end before the save's snapshot was taken, once puts got fast enough.
      let loadDoneAtSave: number | null = null;
      const lastRevisions: number[] = [];
      const load = (async () => {
        const wl = await WireClient.connect(a.clientUrl('n3'));
        try {
          for (let i = 0; i < LOAD_PUTS_MAX && (loadDoneAtSave === null || loadDone < loadDoneAtSave + LOAD_AFTER_SAVE); i++) {
            const r = ok(await wl.request('put', { key: b(`load/${String(i).padStart(4, '0')}`), value: b(`l${i}`) }));
            lastRevisions.push(r.header.revision);
            loadDone++;
          }
        } finally {
          wl.close();
        }
      })();
      await waitFor('load under way', 30_000, () => (loadDone >= LOAD_BEFORE_SAVE ? true : undefined));

      const file = path.join(dir, 'a.snap');
      const saved = JSON.parse(await kite(['snapshot', 'save', file, '--endpoints', a.clientUrl('n1'), '-w', 'json'])) as { revision: number; bytes: number };
      loadDoneAtSave = loadDone;
      expect(existsSync(`${file}.part`)).toBe(false);
      expect(saved.bytes).toBeGreaterThan(PRELOAD_KEYS * PRELOAD_VALUE_BYTES);
      await load;
      // The load went on past the snapshot: some of its writes are not in the backup.
      expect(Math.max(...lastRevisions)).toBeGreaterThan(saved.revision);

      const status = JSON.parse(await kite(['snapshot', 'status', file, '-w', 'json'])) as SnapshotStatus;
      expect(status.revision).toBe(saved.revision);
      expect(status.sizeBytes).toBe(saved.bytes);
      const inBackup = lastRevisions.filter((r) => r <= saved.revision).length;
      expect(status.totalKeys).toBe(PRELOAD_KEYS + inBackup);
      const aHashes = await hashkv(a.endpoints, saved.revision);
      expect(aHashes.map((r) => [r.hash, r.hashRevision, r.error])).toEqual(a.endpoints.map(() => [status.hash, saved.revision, undefined]));
      const aClusterId = ok(await wa.request('status', {})).header.clusterId;
      expect(status.clusterId).toBe(aClusterId);

      // Damaged copies: refused by status and by restore, which creates no data dir.
      const good = readFileSync(file);
      const flipped = Uint8Array.from(good);
      const at = Math.floor(flipped.byteLength / 2);
      flipped[at] = (flipped[at] as number) ^ 0x01;
      const damaged: [string, Uint8Array][] = [['flipped.snap', flipped], ['truncated.snap', good.subarray(0, good.byteLength - 100)]];
      for (const [name, bytes] of damaged) {
        const bad = path.join(dir, name);
        writeFileSync(bad, bytes);
        const st = await runKite(['snapshot', 'status', bad], process.env);
        expect(st.code, name).not.toBe(0);
        expect(st.stderr).toMatch(/damaged or truncated/);
        const target = path.join(dir, `restore-${name}`);
        const rs = await runKite(['snapshot', 'restore', bad, '--name', 'x', '--initial-cluster', 'x=http://127.0.0.1:1', '--initial-cluster-token', 't', '--data-dir', target], process.env);
        expect(rs.code, name).not.toBe(0);
        expect(rs.stderr).toMatch(/damaged or truncated/);
        expect(existsSync(target)).toBe(false);
      }

      // Cluster B: three new data dirs from the one file, then started like any cluster.
      const b2 = await Cluster.create({ size: 3 });
      bCluster = b2;
      for (const m of b2.members) {
        const restored = await kite([
          'snapshot', 'restore', file, '--name', m.name, '--initial-cluster', b2.initialCluster(),
          '--initial-cluster-token', path.basename(b2.root), '--data-dir', m.dataDir, '--initial-advertise-peer-urls', b2.peerUrl(m.name),
        ]);
        expect(restored).toMatch(new RegExp(`revision ${saved.revision}\\b`));
      }
      await b2.startAll();
      await b2.leader(20_000);
      const bHashes = await hashkv(b2.endpoints, saved.revision);
      expect(bHashes.map((r) => [r.hash, r.hashRevision, r.error])).toEqual(b2.endpoints.map(() => [status.hash, saved.revision, undefined]));

      const wb = await WireClient.connect(b2.clientUrl('n2'));
      try {
        const pre = ok(await wb.request('range', { key: b('pre/0123') }));
        expect(pre.kvs.map((kv) => str(kv.value))).toEqual(['v123/'.padEnd(PRELOAD_VALUE_BYTES, 'x')]);
        expect(pre.header.clusterId).not.toBe(aClusterId);
        const firstAfter = lastRevisions.findIndex((r) => r > saved.revision);
        const after = ok(await wb.request('range', { key: b(`load/${String(firstAfter).padStart(4, '0')}`) }));
        expect(after.kvs).toEqual([]);
        const lastBefore = ok(await wb.request('range', { key: b(`load/${String(firstAfter - 1).padStart(4, '0')}`) }));
        expect(lastBefore.kvs.map((kv) => str(kv.value))).toEqual([`l${firstAfter - 1}`]);
        const put = ok(await wb.request('put', { key: b('after/restore'), value: b('yes') }));
        expect(put.header.revision).toBe(saved.revision + 1);
        const w3 = await WireClient.connect(b2.clientUrl('n3'));
        try {
          const read = ok(await w3.request('range', { key: b('after/restore') }));
          expect(read.kvs.map((kv) => str(kv.value))).toEqual(['yes']);
        } finally {
          w3.close();
        }
      } finally {
        wb.close();
      }
      // A restored member restarts like any other (kill -9, same flags) and agrees again.
      await b2.kill('n1');
      b2.start('n1');
      await b2.waitHealthy('n1');
      const again = await hashkv([b2.clientUrl('n1'), b2.clientUrl('n2')], saved.revision + 1);
      expect(again.map((r) => r.error)).toEqual([undefined, undefined]);
      expect(again[0]?.hash).toBe(again[1]?.hash);
    } finally {
      wa.close();
    }
  }, 180_000);
});
