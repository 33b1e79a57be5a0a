// The configuration center on a real 3-member cluster: a scripted release life cycle with 10
// SDK instances (release, gray 50 % by percentage, promote, rollback) through a leader kill,
// checking on every change event that an instance sees exactly one release's content; and
// the local fallback: instances started while every member is down serve their cached
// snapshot flagged stale, then converge once the members return, without a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createClient, type KiteClient } from '@kite/client';
import { ConfigAdmin, grayBucket, GRAY_BUCKETS, type ConfigInstance, type Content } from '@kite/config';
import { config } from '@kite/config/node';
import { Cluster, waitFor } from './harness/cluster.js';

const TICK_MS = 20;
const APP = { namespace: 'prod', app: 'shop' };
const CONVERGE_MS = 20_000;
const text = (t: string) => ({ type: 'text' as const, text: t });

describe('config center on a real cluster', () => {
  let cluster: Cluster | undefined;
  const clients: KiteClient[] = [];
  const insts: ConfigInstance[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const i of insts.splice(0)) await i.close().catch(() => undefined);
    for (const c of clients.splice(0)) c.close();
    await cluster?.stop();
    cluster = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function tempDir(): string {
    const d = mkdtempSync(path.join(tmpdir(), 'kite-config-it-'));
    dirs.push(d);
    return d;
  }

  async function client(endpoints: string[]): Promise<KiteClient> {
    const c = await connect({ endpoints, timeoutMs: 8000 });
    clients.push(c);
    return c;
  }

  it('release, gray 50 %, promote, rollback with 10 instances through a leader kill; every event is one whole release', async () => {
    cluster = await Cluster.create({ size: 3, tickMs: TICK_MS });
    await cluster.startAll();
    const admin = new ConfigAdmin(await client(cluster.endpoints), APP);
    const c1: Content = { a: text('a1'), b: text('b1'), c: text('c1') };
    const c2: Content = { a: text('a2'), b: text('b2'), c: text('c1') };
    const expected = new Map<number, Content>([[1, c1], [2, c2], [3, c1]]);

    for (const [k, v] of Object.entries(c1)) await admin.set(k, v);
    expect((await admin.publish({ message: 'r1', author: 'ana' })).number).toBe(1);

    const ids = Array.from({ length: 10 }, (_, i) => `node-${i}`);
    const inGray = (id: string): boolean => grayBucket(APP, id) < GRAY_BUCKETS / 2;
    const grayIds = ids.filter(inGray);
    // The ids are fixed, so this split is too; both sides must be non-empty for the test to mean anything.
    expect(grayIds.length).toBeGreaterThan(0);
    expect(grayIds.length).toBeLessThan(ids.length);

    const violations: string[] = [];
    const seen = new Map<string, number[]>(ids.map((id) => [id, []]));
    for (const id of ids) {
      const inst = await config(await client(cluster.endpoints), { ...APP, instanceId: id, address: `127.0.0.1:${9000 + insts.length}`, onWarning: () => undefined });
      insts.push(inst);
      inst.onChange(({ snapshot }) => {
        seen.get(id)!.push(snapshot.release);
        // Checked on every event: the values are exactly one release's whole content.
        const want = expected.get(snapshot.release);
        if (want === undefined || JSON.stringify(snapshot.values) !== JSON.stringify(want)) {
          violations.push(`${id} release ${snapshot.release}: ${JSON.stringify(snapshot.values)}`);
        }
      });
    }
    expect(insts.map((i) => i.release)).toEqual(ids.map(() => 1));

    await admin.set('a', c2['a']!);
    await admin.set('b', c2['b']!);
    await admin.grayStart({ message: 'r2 canary', author: 'ana', rule: { kind: 'percentage', percent: 50 } });
    const releases = (): number[] => insts.map((i) => i.release);
    await waitFor('gray release on exactly the hashed half', CONVERGE_MS, () =>
      insts.every((inst, i) => inst.release === (inGray(ids[i]!) ? 2 : 1)) ? true : undefined);
    await waitFor('instances report the gray split', CONVERGE_MS, async () => {
      const v = await admin.instances();
      const ok = v.instances.length === 10 && v.instances.every((x) => x.status === 'current' && x.applied?.release === (inGray(x.id) ? 2 : 1));
      return ok ? true : undefined;
    });

    // Kill the leader in the middle of the life cycle; promote and rollback go to the new one.
    const leader = await cluster.leader();
    await cluster.kill(leader);
    await admin.grayPromote({ author: 'ana' });
    await waitFor('all on release 2 after promote', CONVERGE_MS, () => (releases().every((r) => r === 2) ? true : undefined));
    const back = await admin.rollback({ to: 1, message: 'back to 1', author: 'bo' });
    expect(back).toMatchObject({ number: 3, kind: 'rollback', rollbackOf: 1 });
    await waitFor('all back on release 1 content', CONVERGE_MS, () => (releases().every((r) => r === 3) ? true : undefined));
    expect(insts.every((i) => i.getString('a') === 'a1' && i.getString('b') === 'b1' && i.getString('c') === 'c1')).toBe(true);

    expect(violations).toEqual([]);
    // Gray instances moved 1→2 at gray start (and stayed at promote), the rest at promote; all to 3.
    for (const id of ids) expect(seen.get(id), id).toEqual([2, 3]);
    const log = await admin.releases();
    expect(log.map((r) => [r.number, r.kind, r.status, r.author])).toEqual([
      [1, 'release', 'superseded', 'ana'], [2, 'gray', 'promoted', 'ana'], [3, 'rollback', 'current', 'bo'],
    ]);
  });

  it('instances started with every member down serve the cached snapshot (stale), then converge when the cluster returns', async () => {
    cluster = await Cluster.create({ size: 3, tickMs: TICK_MS });
    await cluster.startAll();
    const cacheDir = tempDir();
    const admin = new ConfigAdmin(await client(cluster.endpoints), APP);
    await admin.set('k', { type: 'json', text: '{"v":1}' });
    await admin.publish({ message: 'r1', author: 'ana' });
    const ids = ['x1', 'x2', 'x3'];
    // Each instance runs once while the cluster is up, which writes its cache file.
    for (const id of ids) {
      const inst = await config(await client(cluster.endpoints), { ...APP, instanceId: id, cacheDir });
      await inst.close();
    }

    for (const m of cluster.members) await cluster.kill(m.name);
    const offline: ConfigInstance[] = [];
    for (const id of ids) {
      const c = createClient({ endpoints: cluster.endpoints, timeoutMs: 2000, dialTimeoutMs: 500 });
      clients.push(c);
      const inst = await config(c, { ...APP, instanceId: id, cacheDir, initialTimeoutMs: 1000, onWarning: () => undefined });
      insts.push(inst);
      offline.push(inst);
    }
    expect(offline.map((i) => [i.release, i.stale, i.getParsed<{ v: number }>('k')?.v])).toEqual(ids.map(() => [1, true, 1]));

    for (const m of cluster.members) cluster.start(m.name);
    await waitFor('live again without restart', CONVERGE_MS, () => (offline.every((i) => !i.stale) ? true : undefined));
    await admin.set('k', { type: 'json', text: '{"v":2}' });
    await admin.publish({ message: 'r2', author: 'ana' });
    await waitFor('release 2 everywhere', CONVERGE_MS, () => (offline.every((i) => i.release === 2) ? true : undefined));
    expect(offline.map((i) => i.getParsed<{ v: number }>('k')?.v)).toEqual([2, 2, 2]);
  });
});
