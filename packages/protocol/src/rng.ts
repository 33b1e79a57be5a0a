// The one seeded pseudo-random generator of the project (mulberry32). It lives here, the leaf
// every other package may import (@kite/raft takes an injected generator and imports nothing
// of Kite; jepsen-lite gets this one through @kite/client, which re-exports it so a user can
// also seed the client's back-off jitter: `random: createRng(seed).next`).
//
// Invariants: a seed gives one sequence, forever. Simulator regression seeds, jepsen-lite run
// seeds and election jitter replay from it, so the algorithm and the order of draws in every
// helper below must not change. Not cryptographic. Never Math.random.

export interface SeededRng {
  /** Uniform in [0, 1), a multiple of 2^-32. */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  shuffle<T>(xs: readonly T[]): T[];
  /** An independent stream derived from this generator's seed and `label`. */
  fork(label: string): SeededRng;
}

const FLOAT_STEPS = 4294967296;

export function createRng(seed: number): SeededRng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / FLOAT_STEPS;
  };
  const int = (maxExclusive: number): number => Math.floor(next() * maxExclusive);
  return {
    next,
    int,
    between: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() < p,
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new RangeError('pick from an empty list');
      return xs[int(xs.length)] as T;
    },
    shuffle: <T>(xs: readonly T[]): T[] => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    },
    fork: (label) => createRng((seed ^ fnv1a(label)) >>> 0),
  };
}

/** FNV-1a over the string's UTF-16 code units: a label's stream seed. */
function fnv1a(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
