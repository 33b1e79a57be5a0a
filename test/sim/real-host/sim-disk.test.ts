// The simulated disk keeps POSIX's promises and no more: synced bytes and synced names survive
// a crash, unsynced ones may not; and the real WAL (RaftLogStore) over it reloads every synced
// entry after crashes that tear its last write.
import { describe, expect, it } from 'vitest';
import type { Entry } from '@kite/raft';
import { RaftLogStore } from '../../../packages/server/src/raft-log-store.js';
import { createSimRng } from '../sim-rng.js';
import { SimDisk } from './sim-disk.js';
import { SimWorld } from './sim-world.js';

async function settle<T>(world: SimWorld, p: Promise<T>): Promise<T> {
  let done = false;
  const out = p.finally(() => (done = true));
  while (!done && (await world.step(Number.MAX_SAFE_INTEGER)));
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (!done) throw new Error('assertion: a disk call is waiting for no event');
  return out;
}

describe('SimDisk', () => {
  it('a crash keeps synced bytes and names, and drops what was never synced', async () => {
    const world = new SimWorld();
    const disk = new SimDisk(world);
    const owner = { alive: true };
    const d = disk.view(owner);
    d.mkdirp('/m/dir');
    const f = await settle(world, d.open('/m/dir/a', 'create'));
    await settle(world, f.write(Buffer.from('synced'), 0));
    await settle(world, f.datasync());
    await settle(world, d.syncDir('/m/dir'));
    await settle(world, f.write(Buffer.from('-lost'), 6));
    const g = await settle(world, d.open('/m/dir/b', 'create'));
    await settle(world, g.write(Buffer.from('x'), 0));
    await settle(world, g.datasync());
    // b's bytes are synced but its name is not: it is gone after the crash.
    for (let seed = 1; seed <= 20; seed++) {
      const w2 = new SimWorld();
      const copy = new SimDisk(w2);
      const v = copy.view({ alive: true });
      v.mkdirp('/m/dir');
      const h = await settle(w2, v.open('/m/dir/a', 'create'));
      await settle(w2, h.write(Buffer.from('synced'), 0));
      await settle(w2, h.datasync());
      await settle(w2, v.syncDir('/m/dir'));
      await settle(w2, h.write(Buffer.from('-lost'), 6));
      await settle(w2, (await settle(w2, v.open('/m/dir/b', 'create'))).datasync());
      copy.crash(createSimRng(seed));
      const after = copy.view({ alive: true });
      const text = after.readFile('/m/dir/a').toString();
      expect(text.startsWith('synced')).toBe(true);
      expect('synced-lost'.startsWith(text)).toBe(true);
      expect(after.exists('/m/dir/b')).toBe(false);
    }
    expect(d.readFile('/m/dir/a').toString()).toBe('synced-lost');
  });

  it('the real WAL reloads every synced entry after crashes that lose or tear unsynced writes', async () => {
    let tornSeen = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const world = new SimWorld();
      const disk = new SimDisk(world);
      const rng = createSimRng(seed);
      let owner = { alive: true };
      let store = await settle(world, RaftLogStore.open('/m', { disk: disk.view(owner), segmentBytes: 4096 }));
      await settle(world, store.load());
      await settle(world, store.initialize({ clusterId: 'c', memberId: 'm', name: 'n' }, { metadata: { index: 1, term: 1, confState: { voters: ['m'], learners: [] } }, data: new Uint8Array() }, { term: 1, vote: null, commit: 1 }));
      let synced = 1;
      let next = 2;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 1 + rng.int(20); i++) {
          const sync = rng.chancePct(60);
          const e: Entry = { index: next, term: 1, type: 'normal', data: Buffer.alloc(1 + rng.int(300), next % 251) };
          await settle(world, store.persist({ entries: [e], sync }));
          if (sync) synced = next;
          next++;
        }
        owner.alive = false;
        const crash = disk.crash(rng);
        if (crash.torn) tornSeen++;
        owner = { alive: true };
        store = await settle(world, RaftLogStore.open('/m', { disk: disk.view(owner), segmentBytes: 4096 }));
        const loaded = await settle(world, store.load());
        const last = loaded.entries[loaded.entries.length - 1]?.index ?? 1;
        expect(last).toBeGreaterThanOrEqual(synced);
        for (const e of loaded.entries) expect(e.data.every((b) => b === e.index % 251)).toBe(true);
        next = last + 1;
        synced = last;
      }
    }
    expect(tornSeen).toBeGreaterThan(0);
  });
});
