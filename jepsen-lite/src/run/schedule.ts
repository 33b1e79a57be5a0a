// The shape of a run, as pure functions of its options and seed (unit-tested):
//   phases:  setup → calm (workload, no faults) → faults (for the time limit) → heal (every
//            fault undone) → recovery (workload, no faults) → final reads → teardown;
//   faults:  inside the fault phase, one fault at a time: a quiet gap, then a nemesis held for
//            a while, then healed. Nemeses are taken from a shuffled cycle of the enabled ones,
//            so every nemesis runs before any repeats. Targets (which member is leader now)
//            are chosen at run time, from the same seed's stream.

import type { Rng } from '../util/rng.js';

export type PhaseName = 'calm' | 'faults' | 'heal' | 'recovery' | 'final-reads';

export interface Phase {
  readonly name: PhaseName;
  /** Offsets from the start of the workload (ms); final reads have no planned end. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface PhaseOptions {
  readonly calmMs: number;
  readonly faultMs: number;
  /** Budget for undoing every fault (restarts, resumes) before recovery starts. */
  readonly healMs: number;
  readonly recoveryMs: number;
}

export function planPhases(o: PhaseOptions): Phase[] {
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${k} must be a non-negative number of ms, got ${v}`);
  }
  const out: Phase[] = [];
  let t = 0;
  const add = (name: PhaseName, ms: number): void => {
    out.push({ name, startMs: t, endMs: t + ms });
    t += ms;
  };
  add('calm', o.calmMs);
  add('faults', o.faultMs);
  add('heal', o.healMs);
  add('recovery', o.recoveryMs);
  add('final-reads', 0);
  return out;
}

export interface FaultSlot<N extends string = string> {
  readonly nemesis: N;
  /** Offset from the start of the fault phase. */
  readonly startMs: number;
  /** How long the fault is held before it is healed. */
  readonly holdMs: number;
}

export interface FaultPlanOptions<N extends string> {
  readonly faultMs: number;
  readonly nemeses: readonly N[];
  readonly holdMs: readonly [number, number];
  readonly quietMs: readonly [number, number];
}

/** Sequential, non-overlapping fault slots that all end within the fault phase. */
export function planFaults<N extends string>(o: FaultPlanOptions<N>, rng: Rng): FaultSlot<N>[] {
  const [holdMin, holdMax] = o.holdMs;
  const [quietMin, quietMax] = o.quietMs;
  if (holdMin <= 0 || holdMax < holdMin || quietMin < 0 || quietMax < quietMin) {
    throw new RangeError(`bad fault timing: hold ${holdMin}..${holdMax} ms, quiet ${quietMin}..${quietMax} ms`);
  }
  const out: FaultSlot<N>[] = [];
  if (o.nemeses.length === 0) return out;
  let cycle: N[] = [];
  let t = rng.between(quietMin, quietMax);
  while (t + holdMin <= o.faultMs) {
    if (cycle.length === 0) cycle = rng.shuffle(o.nemeses);
    const nemesis = cycle.shift() as N;
    const holdMs = Math.min(rng.between(holdMin, holdMax), o.faultMs - t);
    out.push({ nemesis, startMs: t, holdMs });
    t += holdMs + rng.between(quietMin, quietMax);
  }
  return out;
}
