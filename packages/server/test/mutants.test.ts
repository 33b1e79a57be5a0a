// The mutant switch: off unless KITE_MUTANT names a mutant, an unknown name is a typed error
// (a typo must not silently test the healthy build), and wall-clock-ticks swaps the host's tick
// clock for the wall clock only when enabled; watch-ignore-restore hides restores from the
// watch hub and nothing else.

import { describe, expect, it } from 'vitest';
import type { WatchSource } from '@kite/kvstore';
import { activeMutant, MutantError, mutantTickClock, mutantWatchSource } from '../src/mutants.js';

describe('mutants', () => {
  it('are off by default and on only by name', () => {
    expect(activeMutant({})).toBeNull();
    expect(activeMutant({ KITE_MUTANT: '' })).toBeNull();
    expect(activeMutant({ KITE_MUTANT: 'wall-clock-ticks' })).toBe('wall-clock-ticks');
    expect(() => activeMutant({ KITE_MUTANT: 'wall-clock-tick' })).toThrow(MutantError);
    for (const name of ['applied-index-before-apply', 'leader-reads-without-quorum', 'follower-local-reads'] as const) expect(activeMutant({ KITE_MUTANT: name })).toBe(name);
  });

  it('wall-clock-ticks ticks on Date.now; no mutant keeps the real clock', () => {
    expect(mutantTickClock(null)).toBeNull();
    const clock = mutantTickClock('wall-clock-ticks');
    const before = Date.now();
    const read = clock?.() ?? Number.NaN;
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(Date.now());
  });

  it('watch-ignore-restore hides restores from the hub; without it the store itself is the source', () => {
    let restoreListeners = 0;
    let committedListeners = 0;
    const store = {
      currentRevision: 7,
      compactRevision: 2,
      onCommitted: () => {
        committedListeners++;
        return () => undefined;
      },
      onRestored: () => {
        restoreListeners++;
        return () => undefined;
      },
      eventsBetween: async () => ({ changes: [], nextRevision: 8 }),
    } as unknown as WatchSource;
    expect(mutantWatchSource(null, store)).toBe(store);
    const hidden = mutantWatchSource('watch-ignore-restore', store);
    hidden.onRestored(() => undefined);
    hidden.onCommitted(() => undefined);
    expect([restoreListeners, committedListeners]).toEqual([0, 1]);
    expect([hidden.currentRevision, hidden.compactRevision]).toEqual([7, 2]);
  });
});
