// Public surface of the checkers: one function per property, one result shape.
export type { Anomaly, CheckResult, Validity } from './result.js';
export { combineValidity } from './result.js';
export * from './linearizability/index.js';
export * from './append/index.js';
export * from './watch/index.js';
export { checkDurability, LOST_WRITES_SHOWN_MAX } from './durability.js';
export { checkLiveness, healWindows } from './liveness.js';
export type { LivenessBound, LivenessOptions } from './liveness.js';
export { checkHistory } from './check-history.js';
export { nameServingMembers, SERVING_MEMBERS_NAMED_MAX } from './serving-members.js';
export type { CheckHistoryOptions, HistoryVerdict, Workload } from './check-history.js';
