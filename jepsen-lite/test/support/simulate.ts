// Simulates a real linearizable system serving concurrent clients, to generate valid
// histories: each operation takes effect atomically at one moment between its invoke and its
// completion (its linearization point). Some operations end indeterminate (info): their effect
// may happen before the client gives up, later ("lingering", e.g. a proposal still in the Raft
// log), or never. Some fail (definitely no effect). A process that saw info is retired and
// replaced, as in Jepsen. Everything is driven by one seeded RNG.

import type { HistoryEntry, Json } from '../../src/history/types.js';
import { NS_PER_MS } from './builder.js';
import type { Rng } from '../../src/util/rng.js';

export interface SimRequest {
  readonly f: string;
  readonly key?: string;
  readonly value: Json;
}

/** What applying a request at its linearization point produced. */
export interface SimEffect {
  readonly type: 'ok' | 'fail';
  readonly value: Json;
}

export interface SimOptions {
  readonly rng: Rng;
  readonly workers: number;
  readonly ops: number;
  readonly infoRate: number;
  /** Chance that an op which has not taken effect yet fails cleanly instead. */
  readonly failRate: number;
  readonly generate: (rng: Rng) => SimRequest;
  /** Applies a request atomically to the system's state. */
  readonly apply: (req: SimRequest) => SimEffect;
}

interface InFlight {
  readonly process: number;
  readonly worker: number;
  readonly req: SimRequest;
  effect: SimEffect | null;
}

/** Simulation steps per operation we allow before declaring the driver stuck. */
const SIM_STEPS_PER_OP_MAX = 100;

export function simulate(o: SimOptions): HistoryEntry[] {
  const { rng } = o;
  const entries: HistoryEntry[] = [];
  const inFlight: InFlight[] = [];
  const lingering: SimRequest[] = [];
  const idle: number[] = Array.from({ length: o.workers }, (_, w) => w);
  const processOf: number[] = Array.from({ length: o.workers }, (_, w) => w);
  let timeNs = 0;
  let invoked = 0;
  const record = (process: number, type: HistoryEntry['type'], req: SimRequest, value: Json): void => {
    timeNs += 1 + rng.int(NS_PER_MS);
    entries.push({
      process, type, f: req.f, ...(req.key !== undefined ? { key: req.key } : {}), value, time: timeNs,
      index: entries.length,
    });
  };
  for (let step = 0; invoked < o.ops || inFlight.length > 0; step++) {
    if (step > o.ops * SIM_STEPS_PER_OP_MAX) throw new Error('simulation did not finish');
    if (lingering.length > 0 && rng.chance(0.05)) {
      o.apply(lingering.splice(rng.int(lingering.length), 1)[0] as SimRequest);
      continue;
    }
    if (invoked < o.ops && idle.length > 0 && (inFlight.length === 0 || rng.chance(0.4))) {
      const worker = idle.splice(rng.int(idle.length), 1)[0] as number;
      const req = o.generate(rng);
      const flight: InFlight = { process: processOf[worker] as number, worker, req, effect: null };
      inFlight.push(flight);
      invoked++;
      record(flight.process, 'invoke', req, req.value);
      continue;
    }
    if (inFlight.length === 0) continue;
    const at = rng.int(inFlight.length);
    const f = inFlight[at] as InFlight;
    if (f.effect === null && !rng.chance(o.infoRate) && !rng.chance(o.failRate)) {
      f.effect = o.apply(f.req);
      continue;
    }
    inFlight.splice(at, 1);
    idle.push(f.worker);
    if (f.effect === null && rng.chance(o.failRate / (o.failRate + o.infoRate || 1))) {
      record(f.process, 'fail', f.req, null);
    } else if (f.effect === null || rng.chance(o.infoRate)) {
      if (f.effect === null && rng.chance(0.5)) lingering.push(f.req);
      record(f.process, 'info', f.req, null);
      processOf[f.worker] = (processOf[f.worker] ?? 0) + o.workers;
    } else {
      record(f.process, f.effect.type, f.req, f.effect.value);
    }
  }
  return entries;
}
