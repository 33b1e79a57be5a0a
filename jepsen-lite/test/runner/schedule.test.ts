// The run's plan as pure functions: phase order and offsets, fault slots (sequential, inside
// the fault phase, every nemesis before any repeats, reproducible from the seed), nemesis
// name expansion, partition shapes, the rate limiter, key rotation and how errors complete ops.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bridge, cutBetween, isolate, majoritiesRing, oneWayFrom, randomHalves, type Pair } from '../../src/nemesis/partition.js';
import { expandNemeses } from '../../src/nemesis/types.js';
import { planFaults, planPhases } from '../../src/run/schedule.js';
import { createRng } from '../../src/util/rng.js';
import { KiteError } from '@kite/client';
import { classifyError, KeyRotation, RateLimiter } from '../../src/workloads/workers.js';

describe('planPhases', () => {
  it('lays the phases end to end in the documented order', () => {
    const phases = planPhases({ calmMs: 5_000, faultMs: 60_000, healMs: 20_000, recoveryMs: 5_000 });
    expect(phases.map((p) => [p.name, p.startMs, p.endMs])).toEqual([
      ['calm', 0, 5_000], ['faults', 5_000, 65_000], ['heal', 65_000, 85_000], ['recovery', 85_000, 90_000], ['final-reads', 90_000, 90_000],
    ]);
  });

  it('rejects negative or non-finite durations', () => {
    expect(() => planPhases({ calmMs: -1, faultMs: 1, healMs: 1, recoveryMs: 1 })).toThrow(RangeError);
    expect(() => planPhases({ calmMs: 1, faultMs: Number.NaN, healMs: 1, recoveryMs: 1 })).toThrow(RangeError);
  });
});

describe('planFaults', () => {
  const arb = fc.record({
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
    faultMs: fc.integer({ min: 0, max: 120_000 }),
    holdMin: fc.integer({ min: 100, max: 5_000 }),
    holdExtra: fc.integer({ min: 0, max: 5_000 }),
    quietMin: fc.integer({ min: 0, max: 3_000 }),
    quietExtra: fc.integer({ min: 0, max: 3_000 }),
    nemeses: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1 }),
  });

  it('slots are sequential, non-overlapping, inside the fault phase, and reproducible', () => {
    fc.assert(fc.property(arb, (o) => {
      const opts = { faultMs: o.faultMs, nemeses: o.nemeses, holdMs: [o.holdMin, o.holdMin + o.holdExtra] as const, quietMs: [o.quietMin, o.quietMin + o.quietExtra] as const };
      const slots = planFaults(opts, createRng(o.seed));
      expect(planFaults(opts, createRng(o.seed))).toEqual(slots);
      let end = 0;
      for (const s of slots) {
        expect(s.startMs).toBeGreaterThanOrEqual(end + o.quietMin);
        expect(s.holdMs).toBeGreaterThan(0);
        expect(s.holdMs).toBeLessThanOrEqual(o.holdMin + o.holdExtra);
        expect(s.startMs + s.holdMs).toBeLessThanOrEqual(o.faultMs);
        end = s.startMs + s.holdMs;
      }
      // Every nemesis appears once before any appears twice.
      const firstRound = slots.slice(0, o.nemeses.length).map((s) => s.nemesis);
      expect(new Set(firstRound).size).toBe(firstRound.length);
    }), { numRuns: 200 });
  });

  it('plans nothing without nemeses and refuses nonsense timings', () => {
    expect(planFaults({ faultMs: 10_000, nemeses: [], holdMs: [1, 2], quietMs: [0, 0] }, createRng(1))).toEqual([]);
    expect(() => planFaults({ faultMs: 10_000, nemeses: ['a'], holdMs: [0, 2], quietMs: [0, 0] }, createRng(1))).toThrow(RangeError);
    expect(() => planFaults({ faultMs: 10_000, nemeses: ['a'], holdMs: [3, 2], quietMs: [0, 0] }, createRng(1))).toThrow(RangeError);
  });
});

describe('nemesis names', () => {
  it('expands groups and rejects unknown names', () => {
    expect(expandNemeses(['kill', 'pause-leader'])).toEqual(['kill-one', 'kill-leader', 'kill-all', 'pause-leader']);
    expect(expandNemeses(['none'])).toEqual([]);
    expect(() => expandNemeses(['partition', 'meteor'])).toThrow(/unknown nemesis "meteor"/);
  });
});

describe('partition shapes', () => {
  const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
  const linked = (pairs: readonly Pair[], a: string, b: string): boolean => !pairs.some(([x, y]) => x === a && y === b);
  const component = (pairs: readonly Pair[], from: string): Set<string> => {
    const seen = new Set([from]);
    for (let changed = true; changed; ) {
      changed = false;
      for (const x of [...seen]) for (const y of names) if (!seen.has(y) && linked(pairs, x, y)) (seen.add(y), (changed = true));
    }
    return seen;
  };

  it('isolate cuts one member off both ways; one-way blocks only its outgoing links', () => {
    const iso = isolate('n2', names);
    expect(iso).toHaveLength(8);
    expect(component(iso, 'n2')).toEqual(new Set(['n2']));
    const ow = oneWayFrom('n2', names);
    expect(ow.every(([a]) => a === 'n2')).toBe(true);
    expect(names.filter((n) => n !== 'n2').every((n) => linked(ow, n, 'n2'))).toBe(true);
  });

  it('random halves leave exactly one majority side', () => {
    fc.assert(fc.property(fc.integer(), (seed) => {
      const pairs = randomHalves(names, createRng(seed));
      const sizes = [...new Set(names.map((n) => [...component(pairs, n)].sort().join()))].map((s) => s.split(',').length).sort();
      expect(sizes).toEqual([2, 3]);
    }), { numRuns: 50 });
  });

  it('a majorities ring gives every member exactly its two neighbours (a majority with itself)', () => {
    const pairs = majoritiesRing(names, createRng(3));
    for (const n of names) expect(names.filter((m) => m !== n && linked(pairs, n, m))).toHaveLength(2);
    const views = new Set(names.map((n) => [n, ...names.filter((m) => m !== n && linked(pairs, n, m))].sort().join()));
    expect(views.size).toBe(5);
  });

  it('a bridge member talks to both halves, which do not talk to each other', () => {
    const pairs = bridge(names, createRng(9));
    const bridgeNode = names.find((n) => names.every((m) => linked(pairs, n, m)));
    expect(bridgeNode).toBeDefined();
    const rest = names.filter((n) => n !== bridgeNode);
    const cut = rest.filter((n) => rest.some((m) => !linked(pairs, n, m)));
    expect(cut.length).toBe(4);
    expect(cutBetween(['a'], ['b', 'c'])).toEqual([['a', 'b'], ['b', 'a'], ['a', 'c'], ['c', 'a']]);
  });
});

describe('workload pacing', () => {
  it('the rate limiter spaces starts 1/rate apart and never asks to wait a negative time', () => {
    const l = new RateLimiter(10);
    expect([l.reserve(0), l.reserve(0), l.reserve(0), l.reserve(500)]).toEqual([0, 100, 200, 0]);
    expect(new RateLimiter(0).reserve(5)).toBe(0);
  });

  it('key rotation retires a key after its use budget', () => {
    const k = new KeyRotation('r/', 1, 3);
    expect([k.pick(0), k.pick(0), k.pick(0), k.pick(0)]).toEqual(['r/00000', 'r/00000', 'r/00000', 'r/00001']);
  });
});

describe('classifyError', () => {
  it('makes a write info when its outcome is unknown and fail only when the server promises no effect', () => {
    const type = (err: unknown, isRead = false): string => classifyError(err, isRead).type;
    expect(type(new KiteError('Unavailable', 'link lost', { indeterminate: true }))).toBe('info');
    expect(type(new KiteError('Timeout', 'server timeout'))).toBe('info');
    expect(type(new Error('our own deadline'))).toBe('info');
    expect(type(new KiteError('NotLeader', 'not the leader'))).toBe('fail');
    expect(type(new KiteError('Unavailable', 'no leader is known'))).toBe('fail');
    // Reads have no effect: any error is a definite failure.
    expect(type(new KiteError('Timeout', 'read timed out'), true)).toBe('fail');
    expect(classifyError(new KiteError('NoSpace', 'quota'), false).error).toMatch(/^NoSpace: quota/);
  });
});
