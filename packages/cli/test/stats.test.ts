// Bench statistics: nearest-rank percentiles and the summary.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyRecorder, percentile, summarize } from '../src/bench/stats.js';

describe('bench stats', () => {
  it('percentiles are samples, ordered, and nearest-rank (property)', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 200 }), (xs) => {
      const s = Float64Array.from(xs).sort();
      const ps = [50, 90, 99, 99.9].map((p) => percentile(s, p));
      for (const v of ps) expect(xs).toContain(v);
      for (let i = 1; i < ps.length; i++) expect(ps[i]!).toBeGreaterThanOrEqual(ps[i - 1]!);
      const below = s.filter((v) => v < ps[0]!).length;
      expect(below).toBeLessThan(Math.ceil(0.5 * s.length));
    }));
  });

  it('summarizes 1..100', () => {
    const r = new LatencyRecorder(100);
    for (let i = 100; i >= 1; i--) r.record(i);
    const s = r.summary();
    expect([s.count, s.min, s.max, s.mean, s.p50, s.p90, s.p99, s.p999]).toEqual([100, 1, 100, 50.5, 50, 90, 99, 100]);
    expect(summarize(new Float64Array()).count).toBe(0);
  });

  it('never records beyond its capacity', () => {
    const r = new LatencyRecorder(2);
    for (let i = 0; i < 5; i++) r.record(i);
    expect(r.count).toBe(2);
  });
});
