// Auto-compaction (the operations issue, item 2): a 3-member cluster with a 200 ms periodic
// retention takes a steady write load (a bounded number of writes, paced to span about 90
// retention windows: an hour of history at a 40 s retention, accelerated) whose total size is
// well past every member's --quota-bytes. The leader compacts on its own, so no write is
// refused, every member's store stays within the quota, and the history kept stays bounded.
// Watches behave as the README says: one that stays connected gets every event; one that
// asks for history older than the retention gets Compacted; one from the compaction point on
// resumes.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, KiteError, type KiteClient } from '@kite/client';
import { Cluster, waitFor, type MemberStatus } from './harness/cluster.js';

const RETENTION_MS = 200;
const WRITES = 3600;
/** Pacing only (never asserted): the load spans at least WRITES / this seconds. */
const WRITES_PER_S_MAX = 200;
const VALUE_BYTES = 20 * 1024;
const KEYS = 32;
const QUOTA_BYTES = 40 * 1024 * 1024;
/** Far less than the load's history (WRITES revisions): what "bounded" means here. */
const RETAINED_REVISIONS_MAX = WRITES / 4;
const COMPACTIONS_MIN = 20;
const STATUS_POLL_MS = 250;
const WAIT_MS = 30_000;

describe('auto-compaction', () => {
  let cluster: Cluster | undefined;
  const sdks: KiteClient[] = [];
  afterAll(async () => {
    for (const c of sdks) c.close();
    await cluster?.stop();
  });

  it('keeps every member within its quota under a steady write load, with watches resuming or Compacted', async () => {
    expect(WRITES * VALUE_BYTES).toBeGreaterThan(QUOTA_BYTES * 1.5);
    cluster = await Cluster.create({
      size: 3,
      // A 1 s election timeout (the harness's 200 ms one loses its leader on a loaded machine,
      // and this test counts every refused write: it is about compaction, not elections).
      flags: ['--election-ticks', '50', '--auto-compaction-mode', 'periodic', '--auto-compaction-retention', `${RETENTION_MS}ms`, '--quota-bytes', String(QUOTA_BYTES)],
    });
    await cluster.startAll();
    const writer = await connect({ endpoints: cluster.endpoints, timeoutMs: 10_000 });
    const watcher = await connect({ endpoints: cluster.endpoints, timeoutMs: 10_000 });
    sdks.push(writer, watcher);
    const startRevision = (await writer.put('ac-start', 'x')).header.revision + 1;

    // A watch that stays connected through the whole load.
    const live = watcher.watch('ac/', { prefix: true, startRevision });
    const liveRevisions: number[] = [];
    const liveDone = (async () => {
      for await (const batch of live) {
        for (const ev of batch.events) liveRevisions.push(ev.kv.modRevision);
        if (liveRevisions.length >= WRITES) break;
      }
    })();

    // Every member's size and retained history, polled while the load runs.
    let dbSizeMax = 0;
    let retainedMax = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const statuses = await Promise.all(cluster!.members.map((m) => cluster!.status(m.name).catch(() => null)));
        for (const s of statuses) {
          if (s === null) continue;
          const st = s as MemberStatus & { dbSize: number; compactRevision: number };
          dbSizeMax = Math.max(dbSizeMax, st.dbSize);
          if (st.compactRevision > 0) retainedMax = Math.max(retainedMax, st.revision - st.compactRevision);
        }
        await new Promise((r) => setTimeout(r, STATUS_POLL_MS));
      }
    })();

    const refused: string[] = [];
    const began = performance.now();
    for (let i = 0; i < WRITES; i++) {
      const aheadMs = (i * 1000) / WRITES_PER_S_MAX - (performance.now() - began);
      if (aheadMs > 0) await new Promise((r) => setTimeout(r, aheadMs));
      await writer.put(`ac/${i % KEYS}`, randomBytes(VALUE_BYTES)).catch((err: unknown) => refused.push((err as Error).message));
      if (refused.length > 0) break;
    }
    polling = false;
    await poller;
    expect(refused).toEqual([]);
    const endRevision = startRevision + WRITES - 1;

    // The live watch saw every write once, in order, while history was compacted behind it.
    await waitFor('the live watch to see every write', WAIT_MS, () => (liveRevisions.length >= WRITES ? true : undefined));
    live.cancel();
    await liveDone;
    expect(liveRevisions).toEqual(Array.from({ length: WRITES }, (_, i) => startRevision + i));

    // Within quota on every member throughout; history bounded; compacted many times.
    expect(dbSizeMax).toBeGreaterThan(0);
    expect(dbSizeMax).toBeLessThanOrEqual(QUOTA_BYTES);
    expect(retainedMax).toBeLessThanOrEqual(RETAINED_REVISIONS_MAX);
    let compactions = 0;
    for (const m of cluster.members) {
      const metric = /^kite_server_auto_compactions_total (\d+)/m.exec(await cluster.metrics(m.name));
      compactions += Number(metric?.[1] ?? 0);
    }
    expect(compactions).toBeGreaterThanOrEqual(COMPACTIONS_MIN);

    // Idle now: within a few retentions everything but the last revision is compacted.
    const settled = await waitFor('compaction up to the last write', WAIT_MS, async () => {
      const all = await Promise.all(cluster!.members.map(async (m) => (await cluster!.status(m.name)) as MemberStatus & { compactRevision: number }));
      return all.every((s) => s.compactRevision === endRevision) ? all : undefined;
    });
    expect(settled).toHaveLength(3);

    // Older history than the retention: the watch ends with Compacted (and where to resume).
    const old = watcher.watch('ac/', { prefix: true, startRevision });
    const oldError = await (async () => {
      try {
        for await (const _ of old) return 'events';
        return 'ended';
      } catch (err) {
        return err;
      }
    })();
    expect(oldError).toBeInstanceOf(KiteError);
    expect((oldError as KiteError).code).toBe('Compacted');
    expect((oldError as KiteError).details.compactRevision).toBe(endRevision);

    // From the compaction point on, a watch resumes: the kept revision, then new writes.
    const resumed = watcher.watch('ac/', { prefix: true, startRevision: endRevision });
    const next = (await writer.put('ac/0', 'after')).header.revision;
    const seen: number[] = [];
    for await (const batch of resumed) {
      for (const ev of batch.events) seen.push(ev.kv.modRevision);
      if (seen.includes(next)) break;
    }
    resumed.cancel();
    expect(seen).toEqual([endRevision, next]);
  });
});
