// Property test of the watch hub against the in-memory history: random writes, compactions,
// watchers (random ranges, filters, prevKv, start revisions), slow consumers, held history
// reads and progress requests; every watcher's stream is checked against the history.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WatchHub } from '../src/watch/watch-hub.js';
import type { Watcher } from '../src/watch/watcher.js';
import type { WatchRequest, WatchResponse } from '../src/watch/types.js';
import { FakeSource, enc } from './watch-fake-source.js';
import type { FakeOp } from './watch-fake-source.js';
import { checkStream } from './watch-stream-check.js';
import type { StreamSpec } from './watch-stream-check.js';

const keys = ['a', 'a/x', 'a/y', 'b', 'b/z', 'c'];
const ranges: readonly Pick<WatchRequest, 'key' | 'rangeEnd'>[] = [
  { key: enc('a') },
  { key: enc('a/'), rangeEnd: enc('a0') },
  { key: enc('a'), rangeEnd: enc('b/') },
  { key: enc('b'), rangeEnd: new Uint8Array([0]) },
  { key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) },
];

type Step =
  | { t: 'write'; ops: FakeOp[] }
  | { t: 'compact'; back: number }
  | { t: 'watch'; range: number; start: 'now' | 'past' | 'future'; offset: number; prevKv: boolean; filter: 0 | 1 | 2 }
  | { t: 'poll'; w: number; max: number }
  | { t: 'progress'; w: number }
  | { t: 'tick' }
  | { t: 'settle' }
  | { t: 'hold' }
  | { t: 'release' }
  | { t: 'cancel'; w: number };

const opArb: fc.Arbitrary<FakeOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: fc.constantFrom(...keys), value: fc.string({ maxLength: 3 }) }),
  fc.record({ type: fc.constant('delete' as const), key: fc.constantFrom(...keys) }),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('write' as const), ops: fc.uniqueArray(opArb, { minLength: 1, maxLength: 4, selector: (o) => o.key }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), back: fc.nat(6) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('watch' as const),
      range: fc.nat(ranges.length - 1),
      start: fc.constantFrom('now' as const, 'past' as const, 'future' as const),
      offset: fc.nat(12),
      prevKv: fc.boolean(),
      filter: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('poll' as const), w: fc.nat(20), max: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('progress' as const), w: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'tick' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'settle' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'hold' as const }) },
  { weight: 1, arbitrary: fc.constant({ t: 'release' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), w: fc.nat(40) }) },
);

/** Coverage across runs, asserted at the end so the property cannot pass vacuously. */
const coverage = { events: 0, progress: 0, compactionCancels: 0, slowConsumerFallbacks: 0, catchUpReads: 0 };

interface Tracked {
  readonly spec: StreamSpec;
  readonly w: Watcher;
  readonly got: WatchResponse[];
  userCanceled: boolean;
}

async function run(steps: readonly Step[]): Promise<void> {
  const src = new FakeSource();
  const hub = new WatchHub(src, {
    bufferedEventsMax: 4,
    resumeBelowEvents: 2,
    catchUpRevisionsPerPass: 3,
    catchUpWatchersPerPass: 2,
    responseEventsMax: 3,
  });
  const tracked: Tracked[] = [];
  let compactBound = 0;
  let held = false;
  for (const s of steps) {
    switch (s.t) {
      case 'write':
        src.txn(s.ops);
        break;
      case 'compact': {
        const rev = Math.max(src.compactRevision, src.currentRevision - s.back);
        src.compact(rev);
        compactBound = Math.max(compactBound, rev);
        break;
      }
      case 'watch': {
        const startRevision =
          s.start === 'now' ? 0 : s.start === 'past' ? Math.max(1, src.currentRevision - s.offset) : src.currentRevision + 1 + (s.offset % 3);
        const request: WatchRequest = {
          ...ranges[s.range],
          key: (ranges[s.range] as WatchRequest).key,
          startRevision,
          prevKv: s.prevKv,
          noPut: s.filter === 1,
          noDelete: s.filter === 2,
          progressNotify: true,
        };
        const firstRevision = startRevision === 0 ? hub.revision + 1 : startRevision;
        tracked.push({ spec: { request, firstRevision }, w: hub.watch(request), got: [], userCanceled: false });
        break;
      }
      case 'poll': {
        const t = tracked[s.w];
        if (t !== undefined && !t.userCanceled) t.got.push(...t.w.poll(s.max));
        break;
      }
      case 'progress':
        tracked[s.w]?.w.requestProgress();
        break;
      case 'tick':
        hub.tickProgress();
        break;
      case 'settle':
        // With reads held the pump cannot finish; just let pending promise work run.
        if (held) await new Promise<void>((resolve) => setImmediate(resolve));
        else await hub.settle();
        break;
      case 'hold':
        src.holdReads();
        held = true;
        break;
      case 'release':
        src.releaseReads();
        held = false;
        break;
      case 'cancel': {
        const t = tracked[s.w];
        if (t !== undefined && !t.userCanceled) {
          t.got.push(...t.w.poll());
          t.w.cancel();
          t.userCanceled = true;
        }
        break;
      }
    }
    for (const t of tracked) expect(t.w.bufferedEvents <= 4 || t.w.queuedResponses === 1).toBe(true);
  }
  src.releaseReads();
  // Drain everyone to the end: bounded rounds of take-all then let catch-up run.
  for (let round = 0; round < 200; round++) {
    for (const t of tracked) if (!t.userCanceled) t.got.push(...t.w.poll());
    await hub.settle();
    if (tracked.every((t) => t.userCanceled || t.w.done || (t.w.group === 'synced' && t.w.queuedResponses === 0))) break;
  }
  coverage.compactionCancels += hub.stats.compactionCancels;
  coverage.slowConsumerFallbacks += hub.stats.slowConsumerFallbacks;
  coverage.catchUpReads += hub.stats.catchUpReads;
  for (const t of tracked) {
    if (!t.userCanceled) t.got.push(...t.w.poll());
    for (const r of t.got) {
      if (r.kind === 'events') coverage.events += r.events.length;
      if (r.kind === 'progress') coverage.progress++;
    }
    checkStream(t.spec, t.got, src.history, {
      compactBound,
      complete: !t.userCanceled,
      upToRevision: src.currentRevision,
    });
  }
}

describe('watch hub property', () => {
  it('every watcher stream is the gap-free, duplicate-free, atomic, filtered history from its start', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 20, maxLength: 120, size: 'max' }), (steps) => run(steps)),
      { numRuns: 200 },
    );
    for (const [name, n] of Object.entries(coverage)) expect(n, `coverage of ${name}`).toBeGreaterThan(0);
  });
});
