// The nemesis contract. A nemesis starts one fault against the running cluster and returns a
// handle that undoes it; both moments are recorded in the history (start and end entries), so
// the report can shade the window and the liveness checker can find heal points. `heal` must
// be safe to call while anything else is broken (the runner's heal phase calls it after a
// failure too).

import type { Cluster } from '../cluster/cluster.js';
import type { Json } from '../history/index.js';
import type { Recorder } from '../run/recorder.js';
import type { Rng } from '../util/rng.js';

/** Something worth showing that is not a fault (a compaction); kept in results.json. */
export interface RunEvent {
  readonly timeNs: number;
  readonly kind: string;
  readonly value: Json;
}

export interface NemesisContext {
  readonly cluster: Cluster;
  readonly recorder: Recorder;
  readonly rng: Rng;
  readonly events: RunEvent[];
  /** Progress lines for the console (not the history). */
  log(line: string): void;
}

/** A nemesis that needs the leader waits up to this many election timeouts for one. */
export const LEADER_WAIT_ELECTIONS = 3;

export interface ActiveFault {
  /** Undoes the fault and records its end. */
  stop(): Promise<void>;
}

export interface Nemesis {
  readonly name: NemesisName;
  /** Minimum hold (e.g. a pause must outlast the election timeout). */
  minHoldMs?(ctx: NemesisContext): number;
  /** Starts the fault (recording its start), or returns null when it does not apply now. */
  start(ctx: NemesisContext): Promise<ActiveFault | null>;
}

export const NEMESIS_NAMES = [
  'partition-leader', 'partition-random', 'partition-ring', 'partition-bridge', 'partition-one-way',
  'delay', 'kill-one', 'kill-leader', 'kill-all', 'power-loss', 'pause-one', 'pause-leader',
  'transfer-leader', 'member', 'compact', 'gray-leader', 'gray-follower', 'clock', 'corrupt', 'blackhole-snapshot',
  'client-partition', 'client-delay', 'client-one-way', 'failpoint',
] as const;

export type NemesisName = (typeof NEMESIS_NAMES)[number];

/** Group names accepted by --nemesis, expanded to concrete nemeses. */
export const NEMESIS_GROUPS: Readonly<Record<string, readonly NemesisName[]>> = {
  partition: ['partition-leader', 'partition-random', 'partition-ring', 'partition-bridge', 'partition-one-way'],
  kill: ['kill-one', 'kill-leader', 'kill-all'],
  pause: ['pause-one', 'pause-leader'],
  client: ['client-partition', 'client-delay', 'client-one-way'],
  all: NEMESIS_NAMES,
  none: [],
};

export function expandNemeses(spec: readonly string[]): NemesisName[] {
  const out = new Set<NemesisName>();
  for (const raw of spec) {
    const s = raw.trim();
    if (s === '') continue;
    const group = NEMESIS_GROUPS[s];
    if (group !== undefined) group.forEach((n) => out.add(n));
    else if ((NEMESIS_NAMES as readonly string[]).includes(s)) out.add(s as NemesisName);
    else throw new RangeError(`unknown nemesis "${s}" (known: ${[...Object.keys(NEMESIS_GROUPS), ...NEMESIS_NAMES].join(', ')})`);
  }
  return [...out];
}
