// A sequential specification for the linearizability search. `step` returns every state the
// object may be in after the operation, which lets a model be nondeterministic; an empty list
// means the operation cannot happen in that state. Indeterminate (info) operations reach the
// model with `type: 'info'`: their output is unknown, and "did not take effect" is expressed by
// the search never linearizing them, so the model only describes the case where they did.

import type { Operation } from '../../history/types.js';

export interface Model<S> {
  readonly name: string;
  readonly init: S;
  step(state: S, op: Operation): readonly S[];
  /** Equal states must have equal keys: the search memoizes on (linearized set, key). */
  key(state: S): string;
  /** False for operations the model ignores (e.g. indeterminate reads: no effect, no output). */
  relevant(op: Operation): boolean;
  describeOp(op: Operation): string;
  describeState(state: S): string;
  /**
   * Optional: a copy specialized to one partition's operations, e.g. one that knows which
   * values are ever observed and so can merge states that no later operation can tell apart.
   */
  prepare?(ops: readonly Operation[]): Model<S>;
  /**
   * Optional symmetry: operations with the same non-null label are interchangeable once
   * invoked (same effect on everything observable, never returning), so the memo counts them
   * instead of naming them.
   */
  symmetryClass?(op: Operation): string | null;
}
