// Public surface of the list-append (Elle-style) checker.
export { checkAppend, APPEND_ANOMALIES_PER_TYPE_MAX, APPEND_CYCLE_SEARCH_STEPS_MAX } from './checker.js';
export type { AppendOptions } from './checker.js';
export type { CycleClass, CycleStep } from './cycles.js';
export { classify, describeCycle } from './cycles.js';
export type { EdgeKind, EdgeReason } from './graph.js';
export { parseTxn } from './txn.js';
export type { MicroOp, Txn } from './txn.js';
