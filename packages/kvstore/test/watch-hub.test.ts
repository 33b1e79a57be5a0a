// Unit tests of the watch hub against an in-memory history (FakeSource): matching, filters,
// prevKv, replay-then-live without gap or duplicate, compaction cancels, atomic revisions,
// slow consumers, progress notifications and restore.
import { describe, expect, it } from 'vitest';
import { WatchHub } from '../src/watch/watch-hub.js';
import type { Watcher } from '../src/watch/watcher.js';
import type { WatchResponse } from '../src/watch/types.js';
import { TooManyWatchesError, WatchInvalidArgumentError } from '../src/watch/errors.js';
import { FakeSource, dec, enc } from './watch-fake-source.js';

/** "rev:type:key[=value][<prev]" per event, in delivery order. */
function describeEvents(resps: readonly WatchResponse[]): string[] {
  const out: string[] = [];
  for (const r of resps) {
    if (r.kind !== 'events') continue;
    for (const e of r.events) {
      const v = e.type === 'put' ? `=${dec(e.kv.value)}` : '';
      const p = e.prevKv === undefined ? '' : `<${dec(e.prevKv.value)}`;
      out.push(`${e.kv.modRevision}:${e.type}:${dec(e.kv.key)}${v}${p}`);
    }
  }
  return out;
}

function drain(w: Watcher): WatchResponse[] {
  return w.poll();
}

describe('watch hub: matching and event content', () => {
  it('delivers live events to exact, prefix, interval and from-key watchers only', () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const exact = hub.watch({ key: enc('a/1') });
    const prefix = hub.watch({ key: enc('a/'), rangeEnd: enc('a0') });
    const interval = hub.watch({ key: enc('a/2'), rangeEnd: enc('b') });
    const fromKey = hub.watch({ key: enc('b'), rangeEnd: new Uint8Array([0]) });
    src.put('a/1', 'x');
    src.put('a/2', 'y');
    src.put('b', 'z');
    src.put('zz', 'w');
    expect(describeEvents(drain(exact))).toEqual(['1:put:a/1=x']);
    expect(describeEvents(drain(prefix))).toEqual(['1:put:a/1=x', '2:put:a/2=y']);
    expect(describeEvents(drain(interval))).toEqual(['2:put:a/2=y']);
    expect(describeEvents(drain(fromKey))).toEqual(['3:put:b=z', '4:put:zz=w']);
  });

  it('strips prevKv unless asked and applies noPut / noDelete', () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const plain = hub.watch({ key: enc('k') });
    const prev = hub.watch({ key: enc('k'), prevKv: true });
    const noPut = hub.watch({ key: enc('k'), noPut: true, prevKv: true });
    const noDelete = hub.watch({ key: enc('k'), noDelete: true });
    src.put('k', '1');
    src.put('k', '2');
    src.del('k');
    expect(describeEvents(drain(plain))).toEqual(['1:put:k=1', '2:put:k=2', '3:delete:k']);
    expect(describeEvents(drain(prev))).toEqual(['1:put:k=1', '2:put:k=2<1', '3:delete:k<2']);
    expect(describeEvents(drain(noPut))).toEqual(['3:delete:k<2']);
    expect(describeEvents(drain(noDelete))).toEqual(['1:put:k=1', '2:put:k=2']);
  });

  it('keeps a revision with many events in one response (atomic), live and from history', async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src, { bufferedEventsMax: 2, resumeBelowEvents: 1, responseEventsMax: 2 });
    const live = hub.watch({ key: enc('t/'), rangeEnd: enc('t0') });
    src.txn([1, 2, 3, 4, 5].map((i) => ({ type: 'put' as const, key: `t/${i}`, value: 'v' })));
    src.txn([6, 7, 8].map((i) => ({ type: 'put' as const, key: `t/${i}`, value: 'v' })));
    const historic = hub.watch({ key: enc('t/'), rangeEnd: enc('t0'), startRevision: 1 });
    await hub.settle();
    for (const w of [live, historic]) {
      const seen: WatchResponse[] = [];
      for (let i = 0; i < 10 && !(w.group === 'synced' && w.queuedResponses === 0); i++) {
        seen.push(...drain(w));
        await hub.settle();
      }
      const byResponse = seen.filter((r) => r.kind === 'events').map((r) => (r.kind === 'events' ? r.events.map((e) => e.kv.modRevision) : []));
      expect(byResponse).toEqual([
        [1, 1, 1, 1, 1],
        [2, 2, 2],
      ]);
    }
  });
});

describe('watch hub: start revisions, history and compaction', () => {
  it('replays history then switches to live with no gap and no duplicate while writes continue', async () => {
    const src = new FakeSource();
    for (let i = 1; i <= 40; i++) src.put(`p/${i % 7}`, `v${i}`);
    const hub = new WatchHub(src, { catchUpRevisionsPerPass: 6 });
    const w = hub.watch({ key: enc('p/'), rangeEnd: enc('p0'), startRevision: 5 });
    expect(w.group).toBe('unsynced');
    const got: WatchResponse[] = [];
    // Interleave commits with catch-up passes whose reads are held in flight.
    for (let round = 0; round < 30 && w.group !== 'synced'; round++) {
      src.holdReads();
      await Promise.resolve();
      src.put(`p/${round % 3}`, `live${round}`);
      src.releaseReads();
      await hub.settle();
      got.push(...drain(w));
    }
    expect(w.group).toBe('synced');
    src.put('p/x', 'after');
    got.push(...drain(w));
    const revs = describeEvents(got).map((s) => Number(s.split(':')[0]));
    const expected = src.history.filter((c) => c.revision >= 5).map((c) => c.revision);
    expect(revs).toEqual(expected);
    expect(hub.stats.catchUpReads).toBeGreaterThan(1);
  });

  it('revision 0 means from now; a future start delivers only events at or after it', () => {
    const src = new FakeSource();
    src.put('k', 'old');
    const hub = new WatchHub(src);
    const now = hub.watch({ key: enc('k') });
    const future = hub.watch({ key: enc('k'), startRevision: 4 });
    src.put('k', 'a');
    src.put('k', 'b');
    src.put('k', 'c');
    expect(describeEvents(drain(now))).toEqual(['2:put:k=a', '3:put:k=b', '4:put:k=c']);
    expect(describeEvents(drain(future))).toEqual(['4:put:k=c']);
  });

  it('cancels a watch whose start is compacted; the compacted revision itself is still served', async () => {
    const src = new FakeSource();
    for (let i = 1; i <= 10; i++) src.put('k', `v${i}`);
    src.compact(6);
    const hub = new WatchHub(src);
    const gone = hub.watch({ key: enc('k'), startRevision: 5 });
    const [resp] = drain(gone);
    expect(resp).toMatchObject({ kind: 'canceled', compactRevision: 6 });
    expect(gone.done).toBe(true);
    const atCompact = hub.watch({ key: enc('k'), startRevision: 6, prevKv: true });
    await hub.settle();
    // prevKv of an event at the compacted revision is gone with revision 5.
    expect(describeEvents(drain(atCompact))).toEqual(['6:put:k=v6', '7:put:k=v7<v6', '8:put:k=v8<v7', '9:put:k=v9<v8', '10:put:k=v10<v9']);
  });

  it('cancels a catching-up watcher that falls behind a compaction', async () => {
    const src = new FakeSource();
    for (let i = 1; i <= 30; i++) src.put('k', `v${i}`);
    const hub = new WatchHub(src, { catchUpRevisionsPerPass: 5, bufferedEventsMax: 5, resumeBelowEvents: 0 });
    const w = hub.watch({ key: enc('k'), startRevision: 1 });
    await hub.settle();
    expect(w.bufferedEvents).toBe(5);
    src.compact(20);
    const got = drain(w);
    await hub.settle();
    got.push(...drain(w));
    expect(describeEvents(got).length).toBe(5);
    expect(got[got.length - 1]).toMatchObject({ kind: 'canceled', compactRevision: 20 });
    expect(hub.stats.compactionCancels).toBe(1);
    expect(hub.watcherCount).toBe(0);
  });

  it('cancels when compaction happens while the history read is in flight', async () => {
    const src = new FakeSource();
    for (let i = 1; i <= 10; i++) src.put('k', `v${i}`);
    const hub = new WatchHub(src);
    src.holdReads();
    const w = hub.watch({ key: enc('k'), startRevision: 2 });
    await Promise.resolve();
    await Promise.resolve();
    src.compact(8);
    src.releaseReads();
    await hub.settle();
    expect(drain(w)).toEqual([expect.objectContaining({ kind: 'canceled', compactRevision: 8 })]);
  });
});

describe('watch hub: slow consumers', () => {
  it('bounds a slow watcher, does not block others, and resumes it from history without loss', async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src, { bufferedEventsMax: 10, resumeBelowEvents: 4, catchUpRevisionsPerPass: 7 });
    const slow = hub.watch({ key: enc('s/'), rangeEnd: enc('s0'), prevKv: true });
    const fast = hub.watch({ key: enc('s/'), rangeEnd: enc('s0'), prevKv: true });
    const fastGot: WatchResponse[] = [];
    for (let i = 1; i <= 100; i++) {
      src.put(`s/${i % 9}`, `v${i}`);
      fastGot.push(...drain(fast));
      expect(slow.bufferedEvents).toBeLessThanOrEqual(10);
    }
    expect(slow.group).toBe('unsynced');
    expect(hub.stats.slowConsumerFallbacks).toBe(1);
    const slowGot: WatchResponse[] = [];
    for (let round = 0; round < 100 && !(slow.group === 'synced' && slow.queuedResponses === 0); round++) {
      slowGot.push(...slow.poll(1));
      await hub.settle();
      expect(slow.bufferedEvents).toBeLessThanOrEqual(10);
    }
    expect(describeEvents(slowGot)).toEqual(describeEvents(fastGot));
    expect(describeEvents(fastGot)).toHaveLength(100);
  });

  it('a catch-up pass stopped by a full buffer waits for the consumer instead of spinning', async () => {
    const src = new FakeSource();
    src.txn([{ type: 'put', key: 'k/1', value: 'a' }, { type: 'put', key: 'k/2', value: 'a' }]);
    src.txn([1, 2, 3].map((i) => ({ type: 'put' as const, key: `k/${i}`, value: 'b' })));
    const hub = new WatchHub(src, { bufferedEventsMax: 4, resumeBelowEvents: 2 });
    const w = hub.watch({ key: enc('k/'), rangeEnd: enc('k0'), startRevision: 1 });
    await hub.settle();
    expect(w.bufferedEvents).toBe(2);
    const readsWhileFull = src.readReads;
    await hub.settle();
    expect(src.readReads).toBe(readsWhileFull);
    const got = drain(w);
    await hub.settle();
    got.push(...drain(w));
    expect(describeEvents(got).map((e) => e.split(':')[0])).toEqual(['1', '1', '2', '2', '2']);
    expect(w.group).toBe('synced');
  });

  it('serves an async-iterator consumer and ends the iteration on cancel', async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const w = hub.watch({ key: enc('k') });
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const r of w) {
        seen.push(...describeEvents([r]));
        if (seen.length === 3) w.cancel();
      }
    })();
    for (let i = 1; i <= 5; i++) {
      src.put('k', `v${i}`);
      await Promise.resolve();
    }
    await consumer;
    expect(seen).toEqual(['1:put:k=v1', '2:put:k=v2', '3:put:k=v3']);
    expect(hub.watcherCount).toBe(0);
  });

  it('refuses a negative start revision and cancels everyone on close', () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    expect(() => hub.watch({ key: enc('k'), startRevision: -1 })).toThrow(WatchInvalidArgumentError);
    const w = hub.watch({ key: enc('k') });
    hub.close();
    expect(drain(w)).toEqual([expect.objectContaining({ kind: 'canceled', cancelReason: 'watch hub closed' })]);
    expect(w.done).toBe(true);
    src.put('k', 'after close');
    expect(drain(w)).toEqual([]);
  });

  it('limits the number of watchers', () => {
    const hub = new WatchHub(new FakeSource(), { watchersMax: 2 });
    hub.watch({ key: enc('a') });
    const b = hub.watch({ key: enc('b') });
    expect(() => hub.watch({ key: enc('c') })).toThrow(TooManyWatchesError);
    b.cancel();
    expect(() => hub.watch({ key: enc('c') })).not.toThrow();
  });
});

describe('watch hub: progress notifications', () => {
  it('answers a progress request at the hub revision, after catch-up for unsynced watchers', async () => {
    const src = new FakeSource();
    for (let i = 1; i <= 5; i++) src.put(`x${i}`, 'v');
    const hub = new WatchHub(src);
    const synced = hub.watch({ key: enc('k') });
    synced.requestProgress();
    expect(drain(synced)).toEqual([{ kind: 'progress', watchId: synced.id, revision: 5 }]);
    const behind = hub.watch({ key: enc('x1'), startRevision: 1 });
    behind.requestProgress();
    expect(drain(behind)).toEqual([]);
    await hub.settle();
    const resps = drain(behind);
    expect(describeEvents(resps)).toEqual(['1:put:x1=v']);
    expect(resps[resps.length - 1]).toEqual({ kind: 'progress', watchId: behind.id, revision: 5 });
  });

  it('tickProgress notifies idle progressNotify watchers only, coalescing unread notifications', () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const idle = hub.watch({ key: enc('idle'), progressNotify: true });
    const busy = hub.watch({ key: enc('busy'), progressNotify: true });
    const silent = hub.watch({ key: enc('idle') });
    src.put('busy', '1');
    hub.tickProgress();
    expect(drain(idle)).toEqual([{ kind: 'progress', watchId: idle.id, revision: 1 }]);
    expect(drain(busy).map((r) => r.kind)).toEqual(['events']);
    src.put('other', '2');
    hub.tickProgress();
    hub.tickProgress();
    // busy was idle since the previous tick; the second tick finds both queues non-empty.
    expect(drain(busy)).toEqual([{ kind: 'progress', watchId: busy.id, revision: 2 }]);
    expect(drain(idle)).toEqual([{ kind: 'progress', watchId: idle.id, revision: 2 }]);
    idle.requestProgress();
    idle.requestProgress();
    expect(drain(idle)).toHaveLength(1);
    expect(drain(silent)).toEqual([]);
  });
});

describe('watch hub: restore', () => {
  it('after a snapshot restore, synced watchers catch up across the jump from history', async () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const w = hub.watch({ key: enc('r/'), rangeEnd: enc('r0') });
    src.put('r/a', '1');
    src.restoreJump([[{ type: 'put', key: 'r/b', value: '2' }], [{ type: 'put', key: 'zz', value: '3' }]]);
    expect(w.group).toBe('unsynced');
    await hub.settle();
    src.put('r/c', '4');
    expect(describeEvents(drain(w))).toEqual(['1:put:r/a=1', '2:put:r/b=2', '4:put:r/c=4']);
  });
});

describe('watch hub: matching work is bounded', () => {
  const watchers = 10_000;

  it('10,000 watchers on distinct prefixes examine few entries per event', () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    for (let i = 0; i < watchers; i++) hub.watch({ key: enc(`svc/${i}/`), rangeEnd: enc(`svc/${i}0`) });
    for (let i = 0; i < 200; i++) src.put(`svc/${(i * 37) % watchers}/cfg`, 'v');
    // One probe per distinct prefix length (4) plus the one matching watcher.
    expect(hub.stats.maxExaminedPerEvent).toBeLessThanOrEqual(6);
  });

  it('10,000 exact-key watchers and 10,000 disjoint ranges examine O(log n) entries per event', () => {
    const src = new FakeSource();
    const hub = new WatchHub(src);
    const pad = (i: number): string => String(i).padStart(5, '0');
    for (let i = 0; i < watchers; i++) {
      hub.watch({ key: enc(`key/${pad(i)}`) });
      hub.watch({ key: enc(`rng/${pad(i)}`), rangeEnd: enc(`rng/${pad(i)}~`) });
    }
    for (let i = 0; i < 200; i++) {
      src.put(`key/${pad((i * 37) % watchers)}`, 'v');
      src.put(`rng/${pad((i * 53) % watchers)}x`, 'v');
    }
    expect(hub.stats.maxExaminedPerEvent).toBeLessThanOrEqual(4 * Math.ceil(Math.log2(watchers)));
  });
});
