// Linearizability checker: partitions operations by key (linearizability is compositional,
// Herlihy & Wing's locality), searches each key independently with a step budget, and on
// failure reports the smallest failing window: the tail of the longest linearizable prefix, the
// state it leaves, the operation whose return could not be passed, and the operations
// concurrent with it at that point.

import type { Operation } from '../../history/types.js';
import type { Anomaly, CheckResult, Validity } from '../result.js';
import { combineValidity } from '../result.js';
import type { Model } from './model.js';
import { registerModel } from './register-model.js';
import { searchLinearization } from './search.js';
import type { SearchOutcome } from './search.js';

/** Default search budget per key. The memo grows by at most one entry per step, so this also
 *  bounds memory (roughly 100 bytes an entry). */
export const LINEARIZABILITY_STEPS_PER_KEY_MAX = 2_000_000;
/** How many of the prefix's last operations an anomaly shows. */
export const PREFIX_TAIL_OPS_SHOWN = 8;
/** How many concurrent operations an anomaly lists. */
export const CONCURRENT_OPS_SHOWN_MAX = 32;

export interface LinearizabilityOptions<S> {
  readonly model?: Model<S>;
  readonly stepsMaxPerKey?: number;
}

export function checkLinearizability<S = unknown>(
  operations: readonly Operation[],
  options: LinearizabilityOptions<S> = {},
): CheckResult {
  // The register model is the default; the cast only fixes the generic parameter.
  const model = (options.model ?? registerModel) as Model<S>;
  const stepsMax = options.stepsMaxPerKey ?? LINEARIZABILITY_STEPS_PER_KEY_MAX;
  const byKey = partitionByKey(operations.filter((op) => model.relevant(op)));
  const anomalies: Anomaly[] = [];
  const verdicts: Validity[] = [];
  let steps = 0;
  let stepsMaxKey = 0;
  let cacheSize = 0;
  let ops = 0;
  for (const [key, candidates] of byKey) {
    // Specialize the model to this key's history; it may find more operations irrelevant.
    const prepared = model.prepare?.(candidates) ?? model;
    const keyOps = candidates.filter((op) => prepared.relevant(op));
    const outcome = searchLinearization(keyOps, prepared, stepsMax);
    steps += outcome.steps;
    stepsMaxKey = Math.max(stepsMaxKey, outcome.steps);
    cacheSize += outcome.cacheSize;
    ops += keyOps.length;
    if (outcome.kind === 'linearizable') {
      verdicts.push(true);
    } else if (outcome.kind === 'unknown') {
      verdicts.push('unknown');
      anomalies.push({
        type: 'search-budget-exhausted',
        message: `key ${key}: gave up after ${outcome.steps} search steps (${keyOps.length} ops)`,
        key,
        steps: outcome.steps,
      });
    } else {
      verdicts.push(false);
      anomalies.push(failureWindow(key, keyOps, prepared, outcome));
    }
  }
  return {
    checker: `linearizability/${model.name}`,
    valid: combineValidity(verdicts),
    anomalies,
    stats: { keys: byKey.size, ops, steps, stepsMaxKey, cacheSize },
  };
}

function partitionByKey(ops: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    const k = op.key ?? '';
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [op]);
    else list.push(op);
  }
  return new Map([...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function failureWindow<S>(
  key: string,
  ops: readonly Operation[],
  model: Model<S>,
  outcome: Extract<SearchOutcome<S>, { kind: 'nonlinearizable' }>,
): Anomaly {
  const at = (i: number): Operation => ops[i] as Operation;
  const stuckOp = at(outcome.stuck);
  const prefix = outcome.longestPrefix;
  const concurrent = outcome.concurrent.map(at);
  const prefixTail = prefix.slice(-PREFIX_TAIL_OPS_SHOWN).map(at);
  const pending = concurrent.slice(0, CONCURRENT_OPS_SHOWN_MAX);
  const state = model.describeState(outcome.stateAfterPrefix);
  const describe = (xs: readonly Operation[]): string => xs.map((op) => model.describeOp(op)).join('; ') || 'none';
  return {
    type: 'nonlinearizable',
    message:
      `key ${key}: cannot linearize ${model.describeOp(stuckOp)} after the longest linearizable ` +
      `prefix (${prefix.length} ops, ending ${describe(prefixTail)}) in state ${state}; ` +
      `concurrent: ${describe(pending)}`,
    key,
    linearizedCount: prefix.length,
    prefixTail,
    stateAfterPrefix: state,
    stuckOp,
    concurrent: pending,
    concurrentCount: concurrent.length,
    // The ops that answered around the stuck one bound the window; an indeterminate op may have
    // been pending since long before (a write lost in an old fault) and would stretch it there.
    window: {
      fromIndex: Math.min(stuckOp.invokeIndex, ...concurrent.filter((op) => op.type !== 'info').map((op) => op.invokeIndex)),
      toIndex: stuckOp.completeIndex,
    },
    explain: [
      `key ${key}: not linearizable`,
      `  longest linearizable prefix: ${prefix.length} ops${prefix.length > prefixTail.length ? `, last ${prefixTail.length}` : ''}:`,
      ...prefixTail.map((op) => `    ${line(model, op)}`),
      `  state after it: ${state}`,
      `  stuck at the return of: ${line(model, stuckOp)}`,
      `  pending then (${concurrent.length}):`,
      ...pending.map((op) => `    ${line(model, op)}`),
    ],
  };
}

/** One operation with its process and its span in the history (∞: never returned). */
function line<S>(model: Model<S>, op: Operation): string {
  return `${model.describeOp(op)}  (process ${op.process}, entries ${op.invokeIndex}..${op.completeIndex ?? '∞'})`;
}
