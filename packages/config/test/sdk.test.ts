// The SDK against the store model: effective values per instance (gray resolved), change
// events that always carry one release's whole content, instance records, and the cache
// fallback (stale while no member answers, converging when one does; corrupt cache ignored).
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigAdmin, grayBucket, type ConfigChange, type ConfigInstance, type Content } from '../src/index.js';
import { cacheFilePath, config } from '../src/node.js';
import { KvModel, SwitchableClient, until } from './helpers.js';

const APP = { namespace: 'prod', app: 'shop' };
const text = (t: string) => ({ type: 'text' as const, text: t });

const dirs: string[] = [];
const instances: ConfigInstance[] = [];
afterEach(async () => {
  for (const i of instances.splice(0)) await i.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'kite-config-'));
  dirs.push(d);
  return d;
}

async function start(client: SwitchableClient | KvModel, id: string, extra: { cacheDir?: string; labels?: Record<string, string>; warnings?: string[] } = {}): Promise<ConfigInstance> {
  const inst = await config(client, {
    ...APP, instanceId: id, initialTimeoutMs: 200,
    ...(extra.cacheDir !== undefined ? { cacheDir: extra.cacheDir } : {}),
    ...(extra.labels !== undefined ? { labels: extra.labels } : {}),
    onWarning: (m) => extra.warnings?.push(m),
  });
  instances.push(inst);
  return inst;
}

/** Records every event's release and values (checked against the release records afterwards). */
function record(inst: ConfigInstance, seen: { release: number; values: Content }[]): void {
  inst.onChange((c: ConfigChange) => seen.push({ release: c.snapshot.release, values: c.snapshot.values }));
}

describe('config SDK', () => {
  it('every instance applies whole releases; gray by percentage reaches exactly the hashed set; promote and rollback reach all', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    const contents = new Map<number, Content>();
    for (const k of ['a', 'b', 'c']) await admin.set(k, text(`${k}1`));
    contents.set(1, (await admin.publish({ message: 'r1', author: 't' })).content);
    const ids = Array.from({ length: 10 }, (_, i) => `inst-${i}`);
    const insts = await Promise.all(ids.map((id) => start(kv, id)));
    const seen = new Map(ids.map((id) => [id, [] as { release: number; values: Content }[]]));
    insts.forEach((inst, i) => record(inst, seen.get(ids[i]!)!));
    expect(insts.map((i) => i.release)).toEqual(ids.map(() => 1));

    await admin.set('a', text('a2'));
    await admin.set('b', text('b2'));
    contents.set(2, (await admin.grayStart({ message: 'r2', author: 't', rule: { kind: 'percentage', percent: 50 } })).content);
    const inGray = (id: string): boolean => grayBucket(APP, id) < 5000;
    await until('gray applied', () => insts.every((inst, i) => inst.release === (inGray(ids[i]!) ? 2 : 1)));
    expect(insts.find((i) => i.release === 2)?.getString('a')).toBe('a2');

    await expect.poll(async () => (await admin.instances()).instances.map((v) => [v.id, v.applied?.release, v.status]))
      .toEqual(ids.map((id) => [id, inGray(id) ? 2 : 1, 'current']));
    await admin.grayPromote({ author: 't' });
    await until('promoted', () => insts.every((i) => i.release === 2));
    contents.set(3, (await admin.rollback({ to: 1, message: 'back', author: 't' })).content);
    await until('rolled back', () => insts.every((i) => i.release === 3));
    expect(insts.every((i) => i.getString('a') === 'a1' && i.getString('b') === 'b1')).toBe(true);
    // Gray instances moved 1→2 at gray start and stayed on 2 at promote; the others moved at promote.
    for (const [id, s] of seen) {
      expect(s.map((e) => e.release), id).toEqual([2, 3]);
      for (const e of s) expect(e.values, `${id} release ${e.release}`).toEqual(contents.get(e.release));
    }
  });

  it('instances register under a lease and report what they run; admin marks the stale ones', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    const client = new SwitchableClient(kv);
    const inst = await start(client, 'one', { labels: { zone: 'a' } });
    const view = async () => (await admin.instances()).instances;
    await expect.poll(async () => (await view()).map((v) => [v.id, v.status, v.applied?.release])).toEqual([['one', 'current', 1]]);
    // The instance loses the cluster; a new release is published: it is now stale.
    client.down = true;
    await admin.set('k', text('2'));
    await admin.publish({ message: 'r2', author: 't' });
    await expect.poll(async () => (await view())[0]?.status).toBe('stale');
    client.down = false;
    await until('caught up', () => inst.release === 2);
    await expect.poll(async () => (await view())[0]?.status).toBe('current');
    // Lease expiry removes the record; the reporter re-registers under a new lease.
    const first = (await admin.instances()).instances;
    expect(first).toHaveLength(1);
    kv.leaseById(0x1000)!.expire();
    await expect.poll(async () => (await view()).length).toBe(1);
    await expect.poll(async () => (await view()).map((v) => v.id)).toEqual(['one']);
    await inst.close();
    expect(await view()).toEqual([]);
  });

  it('with no member reachable, serves the cached snapshot flagged stale, then converges without restart', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    const cacheDir = tempDir();
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    const first = await start(kv, 'x', { cacheDir });
    expect(first.snapshot).toMatchObject({ release: 1, stale: false });
    await first.close();

    const client = new SwitchableClient(kv);
    client.down = true;
    await admin.set('k', text('2'));
    await admin.publish({ message: 'r2', author: 't' });
    const inst = await start(client, 'x', { cacheDir });
    expect(inst.snapshot).toMatchObject({ release: 1, stale: true });
    expect(inst.getString('k')).toBe('1');
    const events: ConfigChange[] = [];
    inst.onChange((c) => events.push(c));
    client.down = false;
    await until('converged', () => inst.release === 2 && !inst.stale);
    expect(events.map((e) => [e.previous.release, e.snapshot.release, e.snapshot.stale])).toEqual([[1, 2, false]]);
    // The cache now holds release 2.
    await expect.poll(() => readFileSync(cacheFilePath(cacheDir, APP.namespace, APP.app, 'x'), 'utf8')).toContain('"release\\":2');
  });

  it('a corrupt or tampered cache is ignored with a warning; no member and no cache is a typed error', async () => {
    const kv = new KvModel();
    const client = new SwitchableClient(kv);
    client.down = true;
    const cacheDir = tempDir();
    const file = cacheFilePath(cacheDir, APP.namespace, APP.app, 'x');
    const warnings: string[] = [];
    await expect(start(client, 'x', { cacheDir, warnings })).rejects.toMatchObject({ code: 'NoSnapshot' });

    // A valid cache written by a live instance, then one byte of the snapshot changed.
    const admin = new ConfigAdmin(kv, APP);
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    await (await start(kv, 'x', { cacheDir })).close();
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('\\"1\\"', '\\"9\\"'));
    await expect(start(client, 'x', { cacheDir, warnings })).rejects.toMatchObject({ code: 'NoSnapshot' });
    expect(warnings.some((w) => w.includes('checksum mismatch'))).toBe(true);
    writeFileSync(file, good.slice(0, 20));
    await expect(start(client, 'x', { cacheDir, warnings })).rejects.toMatchObject({ code: 'NoSnapshot' });
    expect(warnings.some((w) => w.includes('not JSON'))).toBe(true);
    writeFileSync(file, good);
    expect((await start(client, 'x', { cacheDir, warnings })).snapshot).toMatchObject({ release: 1, stale: true });
  });

  it('a compacted watch history is recovered by re-reading the head', async () => {
    const kv = new KvModel();
    const admin = new ConfigAdmin(kv, APP);
    await admin.set('k', text('1'));
    await admin.publish({ message: 'r1', author: 't' });
    const inst = await start(kv, 'x');
    await admin.set('k', text('2'));
    await admin.publish({ message: 'r2', author: 't' });
    await until('r2', () => inst.release === 2);
    kv.compact(kv.revision);
    kv.failWatches(Object.assign(new Error('compacted'), { code: 'Compacted' }));
    await admin.set('k', text('3'));
    await admin.publish({ message: 'r3', author: 't' });
    await until('r3 after re-read', () => inst.release === 3);
    expect(inst.getString('k')).toBe('3');
  });
});
