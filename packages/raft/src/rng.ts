// Seeded pseudo-random numbers (mulberry32): the core never calls Math.random, so a whole
// cluster run is reproducible from its seeds. Not cryptographic; only for election jitter.

import type { Rng } from './config.js';

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int(maxExclusive: number): number {
      return Math.floor(next() * maxExclusive);
    },
  };
}
