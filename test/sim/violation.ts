// A broken property found by the simulator. Thrown from the checkers at the step where the
// property first fails; the runner catches it only to report the seed and schedule.

export type InvariantName =
  | 'Election Safety'
  | 'Leader Append-Only'
  | 'Log Matching'
  | 'Leader Completeness'
  | 'State Machine Safety'
  | 'Vote Stability'
  | 'Apply Order'
  | 'Linearizable Read'
  | 'Liveness'
  | 'Core Crash';

export class SimViolation extends Error {
  readonly code = 'SimViolation';
  constructor(
    readonly invariant: InvariantName,
    readonly detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}
