// The watch resume state machine: whatever mix of overlapping registrations, replays and
// (possibly stale) bookmarks a server produces, the accepted events are exactly the history
// from the start revision, once each, in order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { WatchEvent } from '@kite/protocol';
import { WatchCursor } from '../src/watch-cursor.js';

function ev(rev: number, i = 0): WatchEvent {
  const key = new Uint8Array([i]);
  return { type: 'put', kv: { key, value: key, createRevision: rev, modRevision: rev, version: 1, lease: 0 } };
}

/** A history: revisions 2..n+1, each with 1-3 events (a txn may touch several keys). */
const historyArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 40 }).map((sizes) =>
  sizes.map((k, i) => ({ revision: i + 2, events: Array.from({ length: k }, (_, j) => ev(i + 2, j)) })),
);

/** One server step: a registration from (cursor - overlap) delivering `len` revisions, or a bookmark. */
const stepArb = fc.oneof(
  fc.record({ kind: fc.constant('register' as const), overlap: fc.nat({ max: 5 }), len: fc.nat({ max: 10 }), perPush: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('progress' as const), back: fc.nat({ max: 5 }) }),
);

describe('WatchCursor', () => {
  it('accepts every event exactly once, in order, across overlapping resumes and stale bookmarks', () => {
    fc.assert(
      fc.property(historyArb, fc.array(stepArb, { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (history, steps, startRevision) => {
        const cursor = new WatchCursor(startRevision);
        const accepted: WatchEvent[] = [];
        const last = history[history.length - 1]!.revision;
        const run = (step: (typeof steps)[number]): void => {
          if (step.kind === 'progress') {
            // A member's bookmark is at most what it has delivered; a lagging one is behind.
            const at = Math.max(0, cursor.deliveredRevision - step.back);
            const before = cursor.nextRevision;
            const news = cursor.progress(at);
            expect(news).toBe(at + 1 >= before);
            expect(cursor.nextRevision).toBeGreaterThanOrEqual(before);
            return;
          }
          // The server replays whole revisions from its start, several per push at most.
          const from = Math.max(1, cursor.nextRevision - step.overlap);
          const slice = history.filter((h) => h.revision >= from).slice(0, step.len);
          for (let i = 0; i < slice.length; i += step.perPush) {
            accepted.push(...cursor.accept(slice.slice(i, i + step.perPush).flatMap((h) => h.events)));
          }
        };
        steps.forEach(run);
        // Finally a registration that delivers everything left.
        run({ kind: 'register', overlap: 0, len: history.length, perPush: 1 });
        const expected = history.filter((h) => h.revision >= startRevision).flatMap((h) => h.events);
        expect(accepted).toEqual(expected);
        expect(cursor.nextRevision).toBe(Math.max(last, startRevision - 1) + 1);
      }),
      { numRuns: 300 },
    );
  });

  it('anchors a from-now watch at the registration header and only once', () => {
    const c = new WatchCursor(0);
    expect(c.nextRevision).toBe(0);
    c.anchor(10);
    expect(c.nextRevision).toBe(11);
    c.anchor(20); // a later re-registration must not skip the events 11..20
    expect(c.nextRevision).toBe(11);
    expect(c.accept([ev(11), ev(12)]).length).toBe(2);
    expect(c.deliveredRevision).toBe(12);
  });

  it('drops a bookmark behind the cursor and advances on a new one', () => {
    const c = new WatchCursor(5);
    c.accept([ev(7)]);
    expect(c.progress(3)).toBe(false);
    expect(c.nextRevision).toBe(8);
    expect(c.progress(7)).toBe(true); // the answer to requestProgress at the same point
    expect(c.progress(9)).toBe(true);
    expect(c.nextRevision).toBe(10);
    expect(c.accept([ev(9)])).toEqual([]);
  });
});
