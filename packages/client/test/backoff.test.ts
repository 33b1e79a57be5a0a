// Back-off: capped exponential ceilings, full jitter within [0, ceiling).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backoffCeilingMs, backoffDelayMs } from '../src/backoff.js';

const opts = { baseDelayMs: 10, maxDelayMs: 1000 };

describe('backoff', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffCeilingMs(a, opts))).toEqual([10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    expect(backoffCeilingMs(10_000, opts)).toBe(1000);
    expect(backoffCeilingMs(-3, opts)).toBe(10);
  });

  it('jitters uniformly below the ceiling and never exceeds the cap', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const d = backoffDelayMs(attempt, opts, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.max(1, backoffCeilingMs(attempt, opts)));
        expect(d).toBeLessThanOrEqual(opts.maxDelayMs);
      }),
    );
    expect(backoffDelayMs(3, opts, () => 0)).toBe(0);
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(40);
  });
});
