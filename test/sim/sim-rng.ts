// Seeded randomness for the simulator (mulberry32). Every random choice in a run (network
// delays, drops, duplicates, election jitter, tick phases) comes from an instance derived from
// the run's seed, so one seed and one schedule give one exact run. Never Math.random.

import { createRng } from '@kite/protocol';
import type { Rng } from './core.js';

export interface SimRng extends Rng {
  /** A float uniformly in [0, 1). */
  next(): number;
  /** True with probability pct/100. */
  chancePct(pct: number): boolean;
}

/** The project's one generator (@kite/protocol), with the simulator's bound check and percent draw. */
export function createSimRng(seed: number): SimRng {
  const core = createRng(seed);
  const { next } = core;
  return {
    next,
    int(maxExclusive: number): number {
      if (!(maxExclusive >= 1)) throw new Error(`SimRng.int: bad bound ${maxExclusive}`);
      return core.int(maxExclusive);
    },
    chancePct(pct: number): boolean {
      return pct > 0 && next() * 100 < pct;
    },
  };
}

/** Derives an independent stream seed from a run seed and labels (FNV-1a over the parts). */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    let v = part >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= v & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      v >>>= 8;
    }
  }
  return h >>> 0;
}
