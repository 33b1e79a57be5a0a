// The seeded generator's sequences are pinned: simulator regression seeds and jepsen-lite run
// seeds replay only while a seed gives the same draws (values recorded from the generators
// this one replaced: @kite/raft's and jepsen-lite's mulberry32 copies).
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/rng.js';

describe('createRng', () => {
  it('gives the recorded sequence for a seed', () => {
    const a = createRng(42);
    expect(Array.from({ length: 5 }, () => a.int(1000))).toEqual([601, 448, 852, 669, 174]);
    const b = createRng(42);
    expect([b.next(), b.next(), b.next()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const f = createRng(42).fork('nemesis');
    expect([f.int(1000), f.int(1000), f.int(1000)]).toEqual([112, 799, 908]);
  });

  it('is deterministic per seed and in range', () => {
    const a = createRng(7);
    const b = createRng(7);
    const xs = Array.from({ length: 200 }, () => a.int(10));
    expect(Array.from({ length: 200 }, () => b.int(10))).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 10)).toBe(true);
    expect(new Set(xs).size).toBe(10);
    const r = createRng(3);
    for (let i = 0; i < 100; i++) {
      const v = r.between(5, 7);
      expect(v >= 5 && v <= 7).toBe(true);
    }
    expect(createRng(9).shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => createRng(1).pick([])).toThrow(RangeError);
  });

  it('forks independent, reproducible streams', () => {
    const x = createRng(5).fork('a');
    const y = createRng(5).fork('b');
    const xs = Array.from({ length: 20 }, () => x.int(1 << 30));
    expect(Array.from({ length: 20 }, () => y.int(1 << 30))).not.toEqual(xs);
    const again = createRng(5).fork('a');
    expect(Array.from({ length: 20 }, () => again.int(1 << 30))).toEqual(xs);
  });
});
