// Lowe's just-in-time linearization search ("Testing for linearizability", 2017) with the
// memoization Porcupine also relies on, for the operations of one partition (one key).
//
// Events (calls and returns) are replayed in real-time order. A call only makes its operation
// pending. Nothing is linearized until it has to be: at the return of an operation that is not
// yet linearized, the search linearizes it now, or first some other pending operation and then
// tries again (a depth-first search over those choices, the returning operation tried first).
// A configuration is (event position, set of linearized operations, model state); one seen
// before is never explored again, which keeps the search polynomial in practice. Models may
// declare symmetry classes of interchangeable operations, which the memo then counts.
//
// Indeterminate operations have no return event: they complete at +infinity, so they are only
// ever linearized when a later operation needs their effect, and otherwise never (= they did
// not take effect). Every attempted transition is one step; the step budget makes the verdict
// deterministic: past it the answer is 'unknown'.

import type { Operation } from '../../history/types.js';
import { Bitset } from './bitset.js';
import type { Model } from './model.js';

export type SearchOutcome<S> =
  | { readonly kind: 'linearizable'; readonly steps: number; readonly cacheSize: number }
  | { readonly kind: 'unknown'; readonly steps: number; readonly cacheSize: number }
  | {
      readonly kind: 'nonlinearizable';
      readonly steps: number;
      readonly cacheSize: number;
      /** Positions (into the ops argument) of the longest linearizable prefix, in order. */
      readonly longestPrefix: readonly number[];
      readonly stateAfterPrefix: S;
      /** The operation whose return the longest prefix could not get past. */
      readonly stuck: number;
      /** Operations pending (invoked, not linearized) at that return. */
      readonly concurrent: readonly number[];
    };

/**
 * The memo key of a configuration: the decision point, the linearized set and the model's
 * state key. Operations in a symmetry class are interchangeable, so for them only how many
 * are linearized counts, not which.
 */
class MemoKey {
  private readonly named: Bitset;
  private readonly classOf: Int32Array;
  private readonly classCounts: Int32Array;

  constructor(ops: readonly Operation[], private readonly model: Model<unknown>) {
    this.named = new Bitset(ops.length);
    this.classOf = new Int32Array(ops.length).fill(-1);
    const classes = new Map<string, number>();
    ops.forEach((op, i) => {
      const label = model.symmetryClass?.(op) ?? null;
      if (label === null) return;
      if (!classes.has(label)) classes.set(label, classes.size);
      this.classOf[i] = classes.get(label) ?? -1;
    });
    this.classCounts = new Int32Array(classes.size);
  }

  add(op: number): void {
    const c = this.classOf[op] ?? -1;
    if (c >= 0) this.classCounts[c] = (this.classCounts[c] ?? 0) + 1;
    else this.named.set(op);
  }

  remove(op: number): void {
    const c = this.classOf[op] ?? -1;
    if (c >= 0) this.classCounts[c] = (this.classCounts[c] ?? 0) - 1;
    else this.named.clear(op);
  }

  /** The symmetry class of an operation, or -1. */
  classIndex(op: number): number {
    return this.classOf[op] ?? -1;
  }

  key(point: number, state: unknown): string {
    return `${point}|${this.named.key()}|${this.classCounts.join(',')}|${this.model.key(state)}`;
  }
}

/**
 * A return event that needs a decision: which pending operations may be linearized before
 * the returning one. Indeterminate operations stay pending forever once invoked, so rather
 * than copying them into every point, a point records how many of them (in invoke order)
 * had been invoked by then: memory stays O(points x concurrency).
 */
interface DecisionPoint {
  /** The returning operation. */
  readonly op: number;
  /** Other operations that will return, invoked before this return and still open. */
  readonly returning: readonly number[];
  /** How many entries of the shared indeterminate list were invoked before this return. */
  readonly indeterminate: number;
}

interface Frame<S> {
  readonly point: number;
  readonly state: S;
  /** The operation linearized to reach this frame (-1 for the root). */
  readonly via: number;
  candidate: number;
  alternative: number;
  successors: readonly S[] | null;
  /** Symmetry classes already tried at this frame (a second member would reach the same key). */
  triedClasses: Set<number> | null;
}

interface Timeline {
  readonly points: readonly DecisionPoint[];
  /** Indeterminate operations in invoke order. */
  readonly indeterminate: readonly number[];
}

function timeline(ops: readonly Operation[]): Timeline {
  const events: Array<{ at: number; op: number; call: boolean }> = [];
  ops.forEach((o, i) => {
    events.push({ at: o.invokeIndex, op: i, call: true });
    if (o.completeIndex !== null) events.push({ at: o.completeIndex, op: i, call: false });
  });
  events.sort((a, b) => a.at - b.at);
  const open = new Set<number>();
  const indeterminate: number[] = [];
  const points: DecisionPoint[] = [];
  for (const e of events) {
    if (e.call && ops[e.op]?.completeIndex === null) {
      indeterminate.push(e.op);
    } else if (e.call) {
      open.add(e.op);
    } else {
      open.delete(e.op);
      points.push({ op: e.op, returning: [...open], indeterminate: indeterminate.length });
    }
  }
  return { points, indeterminate };
}

/**
 * The other pending operations of a point, in the order they are tried: those that will
 * return first (they must be linearized soon anyway), then indeterminate ones, most recent
 * first (likelier to be what a read observed than one abandoned long ago). Any order is
 * complete; this one finds valid linearizations sooner.
 */
function candidateAt(t: Timeline, point: DecisionPoint, c: number): number | undefined {
  if (c < point.returning.length) return point.returning[c];
  const k = c - point.returning.length;
  return k < point.indeterminate ? t.indeterminate[point.indeterminate - 1 - k] : undefined;
}

export function searchLinearization<S>(
  ops: readonly Operation[],
  model: Model<S>,
  stepsMax: number,
): SearchOutcome<S> {
  const t = timeline(ops);
  const points = t.points;
  const linearized = new Bitset(ops.length);
  const memo = new MemoKey(ops, model);
  const seen = new Set<string>();
  // The next return whose operation is not linearized yet, at or after point p.
  const nextDecision = (p: number): number => {
    let q = p;
    while (q < points.length && linearized.has((points[q] as DecisionPoint).op)) q++;
    return q;
  };
  const frame = (point: number, state: S, via: number): Frame<S> =>
    ({ point, state, via, candidate: -2, alternative: 0, successors: null, triedClasses: null });
  let steps = 0;
  let best = { point: -1, path: [] as number[], state: model.init };
  const stack: Array<Frame<S>> = [];
  const root = nextDecision(0);
  if (root === points.length) return { kind: 'linearizable', steps: 0, cacheSize: 0 };
  stack.push(frame(root, model.init, -1));

  for (;;) {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      const at = points[best.point] as DecisionPoint;
      const inPath = new Set(best.path);
      const pending = [...at.returning, ...t.indeterminate.slice(0, at.indeterminate)].sort((a, b) => a - b);
      return {
        kind: 'nonlinearizable', steps, cacheSize: seen.size,
        longestPrefix: best.path, stateAfterPrefix: best.state, stuck: at.op,
        concurrent: pending.filter((o) => !inPath.has(o)),
      };
    }
    if (top.point > best.point) {
      best = { point: top.point, path: stack.slice(1).map((f) => f.via), state: top.state };
    }
    const point = points[top.point] as DecisionPoint;
    const next = nextTransition(top, t, point, ops, model, linearized, memo);
    if (next === null) {
      stack.pop();
      if (top.via >= 0) {
        linearized.clear(top.via);
        memo.remove(top.via);
      }
      continue;
    }
    if (steps >= stepsMax) return { kind: 'unknown', steps, cacheSize: seen.size };
    steps++;
    const [op, after] = next;
    linearized.set(op);
    memo.add(op);
    const target = op === point.op ? nextDecision(top.point + 1) : top.point;
    if (target === points.length) return { kind: 'linearizable', steps, cacheSize: seen.size };
    const key = memo.key(target, after);
    if (seen.has(key)) {
      linearized.clear(op);
      memo.remove(op);
      continue;
    }
    seen.add(key);
    stack.push(frame(target, after, op));
  }
}

/**
 * The frame's next untried (operation, successor state): the returning operation first
 * (candidate -1), then the other pending ones (candidates 0.., see `candidateAt`), each with
 * every successor state the model allows, skipping operations already linearized and
 * symmetric twins of one already tried. A fresh frame has candidate -2.
 */
function nextTransition<S>(
  f: Frame<S>,
  t: Timeline,
  point: DecisionPoint,
  ops: readonly Operation[],
  model: Model<S>,
  linearized: Bitset,
  memo: MemoKey,
): readonly [number, S] | null {
  for (;;) {
    if (f.successors !== null && f.alternative < f.successors.length) {
      const chosen = f.candidate < 0 ? point.op : (candidateAt(t, point, f.candidate) as number);
      return [chosen, f.successors[f.alternative++] as S];
    }
    f.candidate++;
    f.alternative = 0;
    if (f.candidate === -1) {
      f.successors = model.step(f.state, ops[point.op] as Operation);
      continue;
    }
    const chosen = candidateAt(t, point, f.candidate);
    if (chosen === undefined) return null;
    f.successors = null;
    if (linearized.has(chosen)) continue;
    const c = memo.classIndex(chosen);
    if (c >= 0) {
      f.triedClasses ??= new Set();
      if (f.triedClasses.has(c)) continue;
      f.triedClasses.add(c);
    }
    f.successors = model.step(f.state, ops[chosen] as Operation);
  }
}
