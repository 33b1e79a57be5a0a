// Runs the checkers that fit a workload over one recorded history and folds their verdicts:
//   register  linearizability (register model) + durability
//   append    list-append (Elle-style) + durability
//   watch     watch streams against the final global history and the clients' writes
// plus liveness for any workload when a recovery bound is given, and corrupt-serving when the
// corrupt nemesis damaged a member.

import { pairOperations } from '../history/operations.js';
import type { HistoryEntry } from '../history/types.js';
import { checkAppend } from './append/checker.js';
import type { AppendOptions } from './append/checker.js';
import { checkCorruptServing } from './corrupt-serving.js';
import { checkDurability } from './durability.js';
import { checkLinearizability } from './linearizability/checker.js';
import { checkLiveness } from './liveness.js';
import type { LivenessBound } from './liveness.js';
import type { CheckResult, Validity } from './result.js';
import { combineValidity } from './result.js';
import { nameServingMembers } from './serving-members.js';
import { checkWatch } from './watch/checker.js';
import { watchEvidence } from './watch/acknowledged.js';
import { globalHistoryFromObservations, watchersFromObservations } from './watch/from-history.js';

export type Workload = 'register' | 'append' | 'watch';

export interface CheckHistoryOptions {
  readonly workload: Workload;
  readonly linearizabilityStepsMaxPerKey?: number;
  readonly append?: AppendOptions;
  readonly liveness?: LivenessBound;
}

export interface HistoryVerdict {
  readonly valid: Validity;
  readonly results: readonly CheckResult[];
}

export function checkHistory(entries: readonly HistoryEntry[], options: CheckHistoryOptions): HistoryVerdict {
  const { operations, nemesis, observations } = pairOperations(entries);
  const results: CheckResult[] = [];
  switch (options.workload) {
    case 'register': {
      const steps = options.linearizabilityStepsMaxPerKey;
      results.push(checkLinearizability(operations, steps === undefined ? {} : { stepsMaxPerKey: steps }));
      results.push(checkDurability(operations, observations));
      break;
    }
    case 'append':
      results.push(checkAppend(operations, options.append ?? {}));
      results.push(checkDurability(operations, observations));
      break;
    case 'watch':
      results.push(checkWatch(watchersFromObservations(observations), globalHistoryFromObservations(observations), watchEvidence(operations, nemesis)));
      break;
  }
  const corrupt = checkCorruptServing(operations, nemesis);
  if (corrupt.stats['corruptions'] !== 0) results.push(corrupt);
  if (options.liveness !== undefined) results.push(checkLiveness(operations, nemesis, { bound: options.liveness }));
  return { valid: combineValidity(results.map((r) => r.valid)), results: nameServingMembers(results, operations) };
}
