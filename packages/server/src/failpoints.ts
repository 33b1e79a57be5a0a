// Failpoints: named places at the member's persistence and apply boundaries where a test or a
// jepsen-lite nemesis can make the process crash, to prove that a crash at exactly that point
// is restart-safe. They are armed ONLY by the environment variable KITE_FAILPOINTS, read once at
// start (armFailpoints):
//
//   KITE_FAILPOINTS="after-log-append=crash"            crash at the first hit
//   KITE_FAILPOINTS="snapshot-recorded=crash@3,before-apply=crash"   the 3rd hit; several points
//
// Invariants: with nothing armed (production) a point costs one boolean check and builds no
// string; an unknown point name or action refuses the start with a FailpointSpecError. A crash
// writes one line naming the point to stderr synchronously and exits with EXIT_FAILPOINT at
// once: nothing else is flushed, no pending write finishes, as close to kill -9 as a process can
// do to itself while still saying where it stopped.

import { writeSync } from 'node:fs';

/** The environment variable that arms failpoints. */
export const FAILPOINTS_ENV = 'KITE_FAILPOINTS';
/** The exit code of a member stopped by a failpoint (distinct from run-server.ts's 0-6). */
export const EXIT_FAILPOINT = 86;
/** A failpoint may wait for at most this many hits before it fires. */
export const FAILPOINT_HIT_MAX = 1_000_000;

/** Every failpoint, in the order a Ready and a snapshot install reach them. */
export const FAILPOINT_NAMES = [
  /** Host persist: before the WAL write (entries, HardState, snapshot metadata) and its fsync. */
  'before-log-append',
  /** Host persist: after the WAL write and fsync returned, before the core's storage mirrors it. */
  'after-log-append',
  /** Apply chain: before one apply batch reaches the store. */
  'before-apply',
  /** Apply chain: after the store applied the batch, before waiting requests are answered. */
  'after-apply',
  /** Snapshot install: the streamed file is durable (snap-<index>.snap), not yet handed to Raft. */
  'snapshot-staged',
  /** Snapshot install: the Raft log recorded the snapshot (synced), the store not yet restored. */
  'snapshot-recorded',
  /** Snapshot install: the store is restored from the staged file, the file not yet pruned. */
  'snapshot-restored',
  /** Snapshot install: staged files up to the snapshot are pruned. */
  'snapshot-pruned',
] as const;

export type FailpointName = (typeof FAILPOINT_NAMES)[number];

export type FailpointAction = 'crash';

export interface FailpointSpec {
  readonly name: FailpointName;
  readonly action: FailpointAction;
  /** Fires at this hit (1 = the first). */
  readonly hit: number;
}

/** A KITE_FAILPOINTS value that cannot be parsed: the member refuses to start. */
export class FailpointSpecError extends Error {
  readonly code = 'BadFailpoints';

  constructor(message: string) {
    super(`${FAILPOINTS_ENV}: ${message} (format: name=crash or name=crash@N, comma-separated; names: ${FAILPOINT_NAMES.join(', ')})`);
    this.name = 'FailpointSpecError';
  }
}

/** Parses a KITE_FAILPOINTS value; empty or unset arms nothing. */
export function parseFailpoints(raw: string | undefined): FailpointSpec[] {
  if (raw === undefined || raw.trim() === '') return [];
  const specs: FailpointSpec[] = [];
  for (const part of raw.split(',')) {
    const item = part.trim();
    const m = /^([a-z-]+)=([a-z]+)(?:@(\d+))?$/.exec(item);
    if (m === null) throw new FailpointSpecError(`cannot parse ${JSON.stringify(item)}`);
    const [, name = '', action = '', hitText] = m;
    if (!(FAILPOINT_NAMES as readonly string[]).includes(name)) throw new FailpointSpecError(`unknown failpoint ${JSON.stringify(name)}`);
    if (action !== 'crash') throw new FailpointSpecError(`unknown action ${JSON.stringify(action)} for ${name}`);
    const hit = hitText === undefined ? 1 : Number(hitText);
    if (!Number.isSafeInteger(hit) || hit < 1 || hit > FAILPOINT_HIT_MAX) throw new FailpointSpecError(`${name}: the hit must be 1..${FAILPOINT_HIT_MAX}, got ${hitText}`);
    if (specs.some((s) => s.name === name)) throw new FailpointSpecError(`${name} is given twice`);
    specs.push({ name: name as FailpointName, action, hit });
  }
  return specs;
}

/** What a fired failpoint does (the real crash by default; unit tests pass a spy). */
export type FailpointTrigger = (name: FailpointName, hit: number) => void;

const crash: FailpointTrigger = (name, hit) => {
  // Synchronous, so the line is out before the process is; process.exit runs no pending I/O.
  writeSync(2, `kite server: failpoint ${name} fired (hit ${hit}): crashing with exit code ${EXIT_FAILPOINT}\n`);
  process.exit(EXIT_FAILPOINT);
};

/** True when any point is armed: the one check a disabled point costs. */
let armed = false;
/** Armed points: how many hits each has seen and at which it fires. */
const points = new Map<FailpointName, { seen: number; readonly fireAt: number }>();
let trigger: FailpointTrigger = crash;

/**
 * Arms the points KITE_FAILPOINTS names (throws FailpointSpecError on a bad value). Called once
 * at start; calling it again replaces what was armed (tests).
 */
export function armFailpoints(raw: string | undefined, onFire: FailpointTrigger = crash): readonly FailpointSpec[] {
  const specs = parseFailpoints(raw);
  points.clear();
  for (const s of specs) points.set(s.name, { seen: 0, fireAt: s.hit });
  trigger = onFire;
  armed = specs.length > 0;
  return specs;
}

/** Marks that execution reached `name`; fires the point when it is armed and its hit is due. */
export function failpoint(name: FailpointName): void {
  if (!armed) return;
  reached(name);
}

function reached(name: FailpointName): void {
  const p = points.get(name);
  if (p === undefined) return;
  p.seen++;
  if (p.seen < p.fireAt) return;
  // A point fires once (a spy trigger returns; the real one never does).
  points.delete(name);
  armed = points.size > 0;
  trigger(name, p.seen);
}
