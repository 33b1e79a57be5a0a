// The mutant switch: off unless KITE_MUTANT names a mutant, an unknown name is a typed error
// (a typo must not silently test the healthy build), and wall-clock-ticks swaps the host's tick
// clock for the wall clock only when enabled.

import { describe, expect, it } from 'vitest';
import { activeMutant, MutantError, mutantTickClock } from '../src/mutants.js';

describe('mutants', () => {
  it('are off by default and on only by name', () => {
    expect(activeMutant({})).toBeNull();
    expect(activeMutant({ KITE_MUTANT: '' })).toBeNull();
    expect(activeMutant({ KITE_MUTANT: 'wall-clock-ticks' })).toBe('wall-clock-ticks');
    expect(() => activeMutant({ KITE_MUTANT: 'wall-clock-tick' })).toThrow(MutantError);
  });

  it('wall-clock-ticks ticks on Date.now; no mutant keeps the real clock', () => {
    expect(mutantTickClock(null)).toBeNull();
    const clock = mutantTickClock('wall-clock-ticks');
    const before = Date.now();
    const read = clock?.() ?? Number.NaN;
    expect(read).toBeGreaterThanOrEqual(before);
    expect(read).toBeLessThanOrEqual(Date.now());
  });
});
